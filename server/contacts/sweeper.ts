import type { Logger } from 'pino';
import type { Inbox } from './inbox';
import { contactSyncJobId, type Queues } from '../queues/contracts';

/**
 * Re-enqueues inbox events no worker finished (Redis restarted empty, a worker died, retries ran out on
 * a long outage). Job ids are deterministic, so an event whose job is still waiting or running is not
 * queued twice.
 */
export async function sweepInbox(
  inbox: Inbox,
  queues: Queues,
  olderThanMs: number,
  logger: Logger,
): Promise<number> {
  const stale = await inbox.stale(olderThanMs);
  if (stale.length === 0) return 0;
  const queue = queues.get('contact-sync');
  const payloads = stale.map((e) => ({
    tenantId: e.tenantId,
    eventId: e.eventId,
    initialContactId: e.initialContactId,
  }));
  // A finished job keeps its id (BullMQ keeps completed and failed jobs for a while) and would make the
  // add below a no-op: remove it. Failed: it exhausted its attempts. Completed: it found the conversation
  // leased by a worker that then died before reading the inbox again, so its event is still pending.
  for (const p of payloads) {
    const existing = await queue.getJob(contactSyncJobId(p));
    if (!existing) continue;
    const state = await existing.getState();
    if (state === 'completed' || state === 'failed') await existing.remove().catch(() => undefined);
  }
  await queues.enqueueContactSync(payloads, () => false);
  logger.info({ count: stale.length }, 'sweeper re-enqueued unfinished contact events');
  return stale.length;
}
