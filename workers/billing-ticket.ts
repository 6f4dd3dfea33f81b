import { UnrecoverableError, type Job } from 'bullmq';
import { billingDrainPayload, type Queues } from '../server/queues/contracts';
import {
  DEFAULT_DRAIN,
  drainTenant,
  TicketSlots,
  type DrainOptions,
  type DrainResult,
} from '../server/billing/drain';
import type { ProcessDeps } from '../server/billing/process';

export interface BillingTicketDeps extends ProcessDeps {
  queues: Pick<Queues, 'wakeBillingDrains'>;
  /** Tickets brought up to date at once by this process, across all drains. */
  concurrency: number;
  drain?: Partial<Omit<DrainOptions, 'slots'>>;
}

/**
 * billing-ticket: a tenant's wake-up call. Drains its ticket event inbox (server/billing/drain.ts): every
 * ticket with pending events gets its resolution ledger brought up to date. A drain that stopped with work
 * left (its time slice) wakes itself again at once; one that left tickets waiting (a failed attempt's
 * backoff, a Zendesk rate limit) wakes itself when the wait is over.
 */
export function billingTicketProcessor(deps: BillingTicketDeps) {
  const opts: DrainOptions = {
    ...DEFAULT_DRAIN,
    ...deps.drain,
    slots: new TicketSlots(deps.concurrency),
  };
  return async (job: Job): Promise<DrainResult> => {
    const parsed = billingDrainPayload.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`invalid billing-ticket payload: ${parsed.error.message}`);
    const { tenantId } = parsed.data;
    const result = await drainTenant(deps, tenantId, opts);
    if (result.more) await deps.queues.wakeBillingDrains([tenantId]);
    if (result.retryInMs !== null) await deps.queues.wakeBillingDrains([tenantId], result.retryInMs);
    return result;
  };
}
