import type { Logger } from 'pino';
import type { BillingTicketPayload, Queues } from '../queues/contracts';

/**
 * Wake-up calls for the billing worker, sent in batches: the events are already durable in the inbox, so
 * a webhook is answered without waiting for Redis, and a burst of deliveries costs one addBulk per tick
 * instead of one per request. What a Redis outage loses, the inbox sweep re-enqueues.
 */
export class WakeUps {
  private buffer: BillingTicketPayload[] = [];
  private scheduled = false;

  constructor(
    private readonly queues: Queues,
    private readonly logger: Logger,
    private readonly maxBatch = 1000,
  ) {}

  add(p: BillingTicketPayload): void {
    this.buffer.push(p);
    if (this.buffer.length >= this.maxBatch) void this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.buffer.splice(0, this.buffer.length);
    if (batch.length === 0) return;
    try {
      await this.queues.enqueueBillingTickets(batch);
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message, events: batch.length },
        'queue unavailable; ticket events left for the sweep',
      );
    }
  }
}
