import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { billingTicketPayload } from '../server/queues/contracts';
import {
  processTicket,
  UnknownTenantError,
  type ProcessDeps,
  type ProcessResult,
} from '../server/billing/process';
import { RateLimitedError, ZendeskError } from '../server/zendesk/types';

/**
 * billing-ticket: brings one ticket's resolution ledger up to date from its stored events. Waiting for the
 * tenant's Zendesk budget or a 429 delays the job without spending an attempt; a ticket Zendesk refuses to
 * show (403…) fails its events for good, with the reason.
 */
export function billingTicketProcessor(deps: ProcessDeps) {
  return async (job: Job, token?: string): Promise<ProcessResult> => {
    const parsed = billingTicketPayload.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`invalid billing-ticket payload: ${parsed.error.message}`);
    const { tenantId, ticketId } = parsed.data;
    try {
      return await processTicket(deps, tenantId, ticketId);
    } catch (err) {
      const waitMs =
        err instanceof RateLimitedError
          ? err.retryAfterMs
          : err instanceof ZendeskError && err.retriable && err.retryAfterMs
            ? err.retryAfterMs
            : null;
      if (waitMs !== null && token) {
        await job.moveToDelayed(Date.now() + waitMs, token);
        throw new DelayedError();
      }
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (err instanceof UnknownTenantError || (err instanceof ZendeskError && !err.retriable)) {
        await deps.inbox.markFailed(tenantId, ticketId, reason).catch(() => undefined);
        throw new UnrecoverableError(reason);
      }
      await deps.inbox.recordAttempt(tenantId, ticketId, reason).catch(() => undefined);
      throw err;
    }
  };
}
