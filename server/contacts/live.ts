import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { ContactRecord } from './repo';

/** What the app's call card shows; no phone number beyond its masked form. */
export interface ContactView {
  contactId: string;
  initialContactId: string;
  channel: string;
  state: 'queued' | 'connected' | 'ended';
  queue?: string;
  agentUsername?: string;
  callerMasked?: string;
  startedAt?: string;
  connectedAt?: string;
  endedAt?: string;
  ticketId?: number;
}

export function toView(c: ContactRecord, contactId = c.initialContactId): ContactView {
  const opt = <K extends keyof ContactView>(k: K, v: ContactView[K] | null) =>
    v === null || v === undefined ? {} : { [k]: v };
  return {
    contactId,
    initialContactId: c.initialContactId,
    channel: c.channel,
    state: c.state === 'initiated' ? 'queued' : c.state,
    ...opt('queue', c.queueName),
    ...opt('agentUsername', c.agentUsername),
    ...opt('callerMasked', c.callerMasked),
    ...opt('startedAt', c.startedAt),
    ...opt('connectedAt', c.connectedAt),
    ...opt('endedAt', c.endedAt),
    ...opt('ticketId', c.ticketId),
  };
}

/**
 * Fan-out of "this conversation changed" across processes: workers publish on Redis, every API process
 * subscribes once and hands the news to its open event streams. Messages carry ids only.
 */
export class ContactNews {
  private readonly local = new EventEmitter();
  private subscribed = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: () => Redis,
    private readonly channel: string,
  ) {
    this.local.setMaxListeners(0);
  }

  async publish(tenantId: string, initialContactId: string): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify([tenantId, initialContactId]));
  }

  async subscribe(tenantId: string, initialContactId: string, fn: () => void): Promise<() => void> {
    if (!this.subscribed) {
      this.subscribed = true;
      const sub = this.subscriber();
      sub.on('message', (_channel: string, message: string) => {
        try {
          const [t, c] = JSON.parse(message) as [string, string];
          this.local.emit(`${t}|${c}`);
        } catch {
          // not ours
        }
      });
      await sub.subscribe(this.channel);
    }
    const key = `${tenantId}|${initialContactId}`;
    this.local.on(key, fn);
    return () => this.local.off(key, fn);
  }
}
