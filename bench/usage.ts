/** Bad command-line input: reported as a message and exit code 2, not as a crash with a stack. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Reads an integer option (`--name`) at least `min`, or throws a UsageError naming it. */
export function intOption(usage: string, name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer >= ${min}\nusage: ${usage}`);
  return n;
}
