import { Worker, type MessagePort } from 'node:worker_threads';
import { threadCpuSeconds } from './stats';

/**
 * A tiny request/answer channel to a worker thread running one of the benchmark's TypeScript modules
 * (compiled by tsx on the thread, as bin/bench does on the main one).
 */

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
type Message = Reply | { progress: string };
interface Request {
  id: number;
  type: string;
  [key: string]: unknown;
}

export class ThreadClient {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  /** Starts `module`'s exported `entry()` on a new thread. */
  constructor(module: string, entry: string, onProgress: (text: string) => void) {
    this.worker = new Worker(
      `require('tsx/cjs/api').register(); require(${JSON.stringify(module)})[${JSON.stringify(entry)}]();`,
      { eval: true },
    );
    this.worker.on('message', (msg: Message) => {
      if ('progress' in msg) return onProgress(msg.progress);
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (msg.ok) w?.resolve(msg.value);
      else w?.reject(new Error(`thread: ${msg.error}`));
    });
    this.worker.on('error', (err) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  call<T>(type: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...args, type, id });
    });
  }

  /** CPU seconds the thread has used so far (null where the platform does not say). */
  cpuSeconds(): Promise<number | null> {
    return this.call('threadCpu');
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/** The thread side: answers each request with what `handle` returns (or the error it throws). */
export function serveThread(
  port: MessagePort,
  handle: (
    req: { type: string; [key: string]: unknown },
    progress: (text: string) => void,
  ) => Promise<unknown>,
): void {
  const progress = (text: string) => port.postMessage({ progress: text } satisfies Message);
  port.on('message', (req: Request) => {
    const answer = req.type === 'threadCpu' ? Promise.resolve(threadCpuSeconds()) : handle(req, progress);
    answer.then(
      (value) => port.postMessage({ id: req.id, ok: true, value } satisfies Message),
      (err: unknown) =>
        port.postMessage({
          id: req.id,
          ok: false,
          error: String((err as Error)?.stack ?? err),
        } satisfies Message),
    );
  });
}
