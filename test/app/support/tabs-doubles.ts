/**
 * In-memory stand-ins for the Web Locks API and BroadcastChannel shared by several "tabs" in one test,
 * following the specs' observable behaviour: one holder per lock name, FIFO queue, `steal` rejects the
 * previous holder's request with AbortError, an aborted queued request rejects, a closing tab drops its
 * locks; broadcast messages reach every other channel, never the sender.
 */
import type { ChannelLike, LockManagerLike } from '../../../app/top_bar/tabs';

interface Pending {
  tab: string;
  callback: (lock: unknown) => Promise<void>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

function abortError(): Error {
  const e = new Error('The request was aborted');
  e.name = 'AbortError';
  return e;
}

export class FakeLocks {
  private holder: Pending | null = null;
  private queue: Pending[] = [];

  forTab(tab: string): LockManagerLike {
    return {
      request: (_name, options, callback) =>
        new Promise((resolve, reject) => {
          const req: Pending = { tab, callback, resolve, reject };
          if (options.steal) {
            const previous = this.holder;
            this.holder = null;
            previous?.reject(abortError());
            this.grant(req);
            return;
          }
          options.signal?.addEventListener('abort', () => {
            const i = this.queue.indexOf(req);
            if (i >= 0) {
              this.queue.splice(i, 1);
              reject(abortError());
            }
          });
          if (!this.holder) this.grant(req);
          else this.queue.push(req);
        }),
    };
  }

  /** The tab closed: its lock and queued requests vanish. */
  closeTab(tab: string): void {
    this.queue = this.queue.filter((r) => r.tab !== tab);
    if (this.holder?.tab === tab) {
      this.holder = null;
      this.next();
    }
  }

  holderTab(): string | null {
    return this.holder?.tab ?? null;
  }

  private grant(req: Pending): void {
    this.holder = req;
    req.callback({ name: 'lock' }).then(
      (v) => this.settle(req, () => req.resolve(v)),
      (e) => this.settle(req, () => req.reject(e)),
    );
  }

  private settle(req: Pending, done: () => void): void {
    done();
    if (this.holder === req) {
      this.holder = null;
      this.next();
    }
  }

  private next(): void {
    const req = this.queue.shift();
    if (req) this.grant(req);
  }
}

export class FakeBroadcastHub {
  private channels = new Set<{ tab: string; listeners: Set<(e: MessageEvent) => void> }>();

  forTab(tab: string): ChannelLike {
    const me = { tab, listeners: new Set<(e: MessageEvent) => void>() };
    this.channels.add(me);
    return {
      postMessage: (message) => {
        const data = structuredClone(message);
        for (const other of this.channels) {
          if (other === me) continue;
          queueMicrotask(() => other.listeners.forEach((l) => l({ data } as MessageEvent)));
        }
      },
      addEventListener: (_type, listener) => me.listeners.add(listener),
      removeEventListener: (_type, listener) => me.listeners.delete(listener),
      close: () => this.channels.delete(me),
    };
  }
}
