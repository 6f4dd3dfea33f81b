import type { Logger } from 'pino';
import type { ConnectApi, ContactEvent } from '../connect/types';
import type { Tenant } from '../tenants/repo';
import type { Inbox } from './inbox';
import type { Queues } from '../queues/contracts';

/**
 * Catches contacts whose events never arrived, or whose end never arrived (EventBridge is best effort): lists the recent window with
 * SearchContacts and feeds every contact we never heard of into the inbox as a synthetic event.
 */
export async function reconcileTenant(
  tenant: Tenant,
  deps: { connect: ConnectApi; inbox: Inbox; queues: Queues; logger: Logger },
  windowMs: number,
  now = new Date(),
): Promise<number> {
  if (!tenant.connectInstanceArn) return 0;
  const from = new Date(now.getTime() - windowMs);
  const found: ContactEvent[] = [];
  const page: ContactEvent[] = [];
  const flush = async () => {
    const ids = page.map((e) => e.contactId);
    const known = await deps.inbox.knownContactIds(tenant.id, ids);
    const ended = await deps.inbox.endedContactIds(tenant.id, ids);
    // New contacts, and known ones whose end Connect reports but whose DISCONNECTED event never came.
    found.push(
      ...page.filter(
        (e) => !known.has(e.contactId) || (e.eventType === 'DISCONNECTED' && !ended.has(e.contactId)),
      ),
    );
    page.length = 0;
  };
  for await (const c of deps.connect.searchContacts(tenant.connectInstanceArn, from, now)) {
    const ended = Boolean(c.disconnectTimestamp);
    const eventType = ended ? 'DISCONNECTED' : c.agentConnected ? 'CONNECTED_TO_AGENT' : 'INITIATED';
    page.push({
      eventId: `reconcile-${c.contactId}-${eventType}`,
      time: c.disconnectTimestamp ?? c.initiationTimestamp ?? now.toISOString(),
      eventType,
      contactId: c.contactId,
      initialContactId: c.initialContactId ?? c.contactId,
      instanceArn: tenant.connectInstanceArn,
      channel: c.channel.toUpperCase(),
    });
    if (page.length >= 100) await flush();
  }
  await flush();
  const { fresh, quiet } = await deps.inbox.storeAndTriage(tenant.id, found, 'reconcile');
  // As at intake: an event stored as handled (a live contact not yet connected) needs no job.
  await deps.queues.enqueueContactSync(
    fresh
      .filter((e) => !quiet.has(e.eventId))
      .map((e) => ({ tenantId: tenant.id, eventId: e.eventId, initialContactId: e.initialContactId })),
    (p) => !p.eventId.endsWith('DISCONNECTED'),
  );
  if (fresh.length)
    deps.logger.warn(
      { tenantId: tenant.id, count: fresh.length },
      'reconciliation found contacts with no events',
    );
  return fresh.length;
}
