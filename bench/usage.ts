/** Bad command-line input: reported as a message and exit code 2, not as a crash with a stack. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
