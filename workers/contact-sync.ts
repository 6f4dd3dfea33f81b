import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { contactSyncPayload } from '../server/queues/contracts';
import { LeaseBusyError } from '../server/contacts/repo';
import { PermanentSyncError, syncContact, type SyncDeps, type SyncResult } from '../server/contacts/sync';
import { RateLimitedError, ZendeskError } from '../server/zendesk/types';

/**
 * contact-sync: one job per inbox event; brings the event's conversation up to date in Zendesk.
 * Waiting (another worker holds the conversation, the tenant's Zendesk budget is spent, a 429) moves the
 * job back to delayed without spending an attempt; 4xx that will never succeed end it for good.
 */
export function contactSyncProcessor(deps: SyncDeps) {
  return async (job: Job, token?: string): Promise<SyncResult> => {
    const parsed = contactSyncPayload.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`invalid contact-sync payload: ${parsed.error.message}`);
    const payload = parsed.data;
    try {
      const result = await syncContact(deps, payload, `${job.id ?? 'job'}:${token ?? ''}`);
      return result;
    } catch (err) {
      const waitMs =
        err instanceof LeaseBusyError
          ? 100 + Math.floor(Math.random() * 200)
          : err instanceof RateLimitedError
            ? err.retryAfterMs
            : err instanceof ZendeskError && err.retriable && err.retryAfterMs
              ? err.retryAfterMs
              : null;
      if (waitMs !== null && token) {
        await job.moveToDelayed(Date.now() + waitMs, token);
        throw new DelayedError();
      }
      await deps.inbox
        .recordAttempt(payload.tenantId, payload.eventId, errorText(err))
        .catch(() => undefined);
      if (err instanceof PermanentSyncError) throw new UnrecoverableError(err.message);
      throw err;
    }
  };
}

const errorText = (err: unknown) =>
  (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 500);
