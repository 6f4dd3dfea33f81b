import type { Logger } from 'pino';
import type { Queues } from '../queues/contracts';

/**
 * Wake-up calls for the billing worker: one per tenant with new events, at most every `everyMs`. The
 * events are already durable in the inbox and the worker claims them from there, so a webhook is answered
 * without waiting for Redis and a burst of deliveries costs one job per tenant, not one per event. Each
 * call is sent after the events it covers were stored, so the drain it starts sees them; what a Redis
 * outage loses, the inbox sweep wakes again.
 */
export class WakeUps {
  private due = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  constructor(
    private readonly queues: Queues,
    private readonly logger: Logger,
    private readonly everyMs = 250,
  ) {}

  add(tenantId: string): void {
    this.due.add(tenantId);
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), Math.max(0, this.last + this.everyMs - Date.now()));
    this.timer.unref();
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.last = Date.now();
    const tenants = [...this.due];
    this.due.clear();
    if (tenants.length === 0) return;
    try {
      await this.queues.wakeBillingDrains(tenants);
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message, tenants: tenants.length },
        'queue unavailable; ticket events left for the sweep',
      );
    }
  }
}
