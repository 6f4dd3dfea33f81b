import type { Logger } from 'pino';
import type { Inbox } from './inbox';
import type { Queues } from '../queues/contracts';

/**
 * Re-enqueues inbox events no worker finished (Redis restarted empty, a worker died, retries ran out on
 * a long outage). Job ids are deterministic, so an event whose job still exists is not queued twice.
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
  // A job that exhausted its attempts still holds its id; remove failed leftovers so the retry can be queued.
  for (const p of payloads) {
    const existing = await queue.getJob(`${p.tenantId}|${p.eventId}`);
    if (existing && (await existing.isFailed())) await existing.remove();
  }
  await queues.enqueueContactSync(payloads, () => false);
  logger.info({ count: stale.length }, 'sweeper re-enqueued unfinished contact events');
  return stale.length;
}
