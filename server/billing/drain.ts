import { RateLimitedError, ZendeskError } from '../zendesk/types';
import { processTicket, UnknownTenantError, type ProcessDeps } from './process';

/** How many tickets a worker process brings up to date at once, whatever the number of drains running. */
export class TicketSlots {
  private waiting: Array<() => void> = [];

  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

export interface DrainOptions {
  slots: TicketSlots;
  /** How long a claim holds a ticket's events; a worker that dies lets them go after this. */
  leaseMs: number;
  /** Events claimed per round trip (their tickets, with every other pending event of those tickets). */
  claimBatch: number;
  /** A drain stops claiming after this long and asks to be continued (shutdowns and other tenants wait less). */
  sliceMs: number;
}

export const DEFAULT_DRAIN: Omit<DrainOptions, 'slots'> = { leaseMs: 60_000, claimBatch: 4, sliceMs: 10_000 };

export interface DrainResult {
  tickets: number;
  events: number;
  appended: number;
  /** Tickets whose attempt failed and will be retried, and those failed for good. */
  retrying: number;
  failed: number;
  /** Stopped with work left (time slice over): continue now. */
  more: boolean;
  /** Some tickets wait (backoff, rate limit): drain again after this long. */
  retryInMs: number | null;
}

/** Waits asked for by Zendesk or our own budget: not the ticket's fault, so no attempt is counted. */
function rateLimitWait(err: unknown): number | null {
  if (err instanceof RateLimitedError) return err.retryAfterMs;
  if (err instanceof ZendeskError && err.retriable && err.retryAfterMs) return err.retryAfterMs;
  return null;
}

/**
 * Drains one tenant's ticket event inbox: claims pending tickets from Postgres in batches (oldest events
 * first; see TicketInbox.claim) and brings each one's ledger up to date, as many at once as the process's
 * slots allow, until nothing claimable is left. Several drains of one tenant (wake-ups from several API
 * processes, the sweep) share the work through the claims. A ticket that fails is retried after a backoff;
 * one Zendesk refuses to show (403…) or of a tenant that no longer exists is failed for good, with the
 * reason; a rate limit gives the claimed tickets back and ends the drain until it is over.
 */
export async function drainTenant(
  deps: ProcessDeps,
  tenantId: string,
  opts: DrainOptions,
): Promise<DrainResult> {
  const result: DrainResult = {
    tickets: 0,
    events: 0,
    appended: 0,
    retrying: 0,
    failed: 0,
    more: false,
    retryInMs: null,
  };
  const waitAtLeast = (ms: number) => {
    result.retryInMs = result.retryInMs === null ? ms : Math.min(result.retryInMs, ms);
  };
  let limitedFor: number | null = null;
  const one = async (ticketId: number) => {
    try {
      const r = await processTicket(deps, tenantId, ticketId);
      result.tickets++;
      result.events += r.events;
      result.appended += r.appended;
    } catch (err) {
      const wait = rateLimitWait(err);
      if (wait !== null) {
        limitedFor = Math.max(limitedFor ?? 0, wait);
        await deps.inbox.release(tenantId, [ticketId], wait).catch(() => undefined);
        return;
      }
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (err instanceof UnknownTenantError || (err instanceof ZendeskError && !err.retriable)) {
        result.failed++;
        await deps.inbox.markFailed(tenantId, ticketId, reason).catch(() => undefined);
        return;
      }
      result.retrying++;
      deps.logger.warn({ tenantId, ticketId, err: reason }, 'billing ticket failed; will retry');
      // If even this fails (the database), the claim runs out and the sweep wakes the drain again.
      const backoff = await deps.inbox.recordAttempt(tenantId, ticketId, reason).catch(() => null);
      waitAtLeast(backoff ?? opts.leaseMs);
    }
  };

  const running = new Set<Promise<void>>();
  const until = Date.now() + opts.sliceMs;
  let claimed: number[] = [];
  try {
    for (;;) {
      await opts.slots.acquire();
      if (limitedFor !== null || (claimed.length === 0 && Date.now() >= until)) {
        opts.slots.release();
        result.more = limitedFor === null;
        break;
      }
      if (claimed.length === 0) {
        claimed = await deps.inbox.claim(tenantId, opts.claimBatch, opts.leaseMs).catch((err: unknown) => {
          opts.slots.release();
          throw err;
        });
        if (claimed.length === 0) {
          opts.slots.release();
          break;
        }
      }
      const p = one(claimed.shift()!).finally(() => {
        running.delete(p);
        opts.slots.release();
      });
      running.add(p);
    }
  } finally {
    await Promise.all(running);
  }
  if (limitedFor !== null) {
    // Rate limited: what was claimed but not started waits for the budget too.
    await deps.inbox.release(tenantId, claimed, limitedFor).catch(() => undefined);
    waitAtLeast(limitedFor);
  }
  return result;
}
