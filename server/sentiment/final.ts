import type { SentimentFinalPayload } from '../queues/contracts';
import { ZendeskError } from '../zendesk/types';
import { customerPoints, placeRows } from './timeline';
import { finalFromPostCall, finalFromTimeline, type FinalSentiment } from './trend';
import type { SentimentService } from './service';

export type FinalOutcome =
  | { outcome: 'written'; ticketId: number; final: FinalSentiment }
  | { outcome: 'already' }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'wait'; delayMs: number };

/** The ticket does not exist yet (contact-sync is behind): retried by the queue with backoff. */
export class TicketNotReadyError extends Error {
  constructor(initialContactId: string) {
    super(`no ticket yet for conversation ${initialContactId}`);
    this.name = 'TicketNotReadyError';
  }
}

/** A failure that retrying will never fix (the ticket is gone, the tenant was removed). */
export class PermanentFinalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentFinalError';
  }
}

const CLAIM_MS = 60_000;

/**
 * Writes a conversation's final sentiment to its ticket, exactly once: one internal note (overall
 * and per quarter) and a `concierge_sentiment_<label>` tag for triggers. From the Contact Lens
 * post-call output when every analysed leg has one; otherwise, once the wait for it is over, from
 * the live timeline. The write is claimed with a lease and recorded, so concurrent or repeated jobs
 * write nothing more.
 */
export async function finalizeConversation(
  service: SentimentService,
  job: SentimentFinalPayload,
  owner: string,
  now = Date.now(),
): Promise<FinalOutcome> {
  const { repo, contacts } = service.deps;
  const { tenantId, initialContactId } = job;
  const log = service.log.child({ tenantId, initialContactId });
  const state = await repo.state(tenantId, initialContactId);
  if (state?.finalStatus === 'written' || state?.finalStatus === 'failed') return { outcome: 'already' };

  const legs = await repo.analysedLegs(tenantId, initialContactId);
  const postCalls = await repo.postCalls(tenantId, initialContactId);
  // Skipped for lack of data; only a post-call output arriving afterwards can change that.
  if (state?.finalStatus === 'skipped' && postCalls.length === 0) return { outcome: 'already' };
  const complete = legs.length > 0 && legs.every((l) => l.hasPostCall);
  const due = state?.finalDueAt ?? null;
  if (!complete) {
    if (due === null) {
      // Not known to have ended (its DISCONNECTED may still be on the way): wait as for a post-call.
      const at = await repo.setFinalDue(
        tenantId,
        initialContactId,
        new Date(now + service.options.postCallWaitMs),
      );
      return { outcome: 'wait', delayMs: Math.max(1000, at - now) };
    }
    if (now < due) return { outcome: 'wait', delayMs: due - now };
    // Let a leg's last poll land before the timeline is summed up.
    if (legs.some((l) => l.polling) && now < due + 30_000) return { outcome: 'wait', delayMs: 1000 };
  }

  const rows = await repo.timeline(tenantId, initialContactId);
  const placed = placeRows(rows);
  const timeline = finalFromTimeline(
    customerPoints(placed).map((r) => ({ begin: r.t, end: r.tEnd, score: r.score! })),
  );
  const fromPostCall = finalFromPostCall(
    postCalls.map((p) => ({
      ...(p.durationMs !== null ? { durationMs: p.durationMs } : {}),
      ...(p.customerOverall !== null ? { customerOverall: p.customerOverall } : {}),
      customerQuarters: p.customerQuarters,
    })),
  );
  const final = (complete ? fromPostCall : null) ?? timeline ?? fromPostCall;
  if (!final) {
    await repo.settleFinal(tenantId, initialContactId, { status: 'skipped', error: 'no sentiment data' });
    return { outcome: 'skipped', reason: 'no_data' };
  }

  const tenant = await service.deps.tenant(tenantId);
  if (!tenant) throw new PermanentFinalError(`tenant ${tenantId} no longer exists`);
  const contact = await contacts.get(tenantId, initialContactId);
  if (!contact?.ticketId) throw new TicketNotReadyError(initialContactId);
  if (!(await repo.claimFinal(tenantId, initialContactId, owner, CLAIM_MS))) {
    const again = await repo.state(tenantId, initialContactId);
    const settled = again?.finalStatus === 'written' || again?.finalStatus === 'failed';
    return settled ? { outcome: 'already' } : { outcome: 'wait', delayMs: CLAIM_MS };
  }
  const customerTurns = placed.filter((r) => r.participant === 'CUSTOMER' && r.score !== null).length;
  const summary = await service.summary(tenantId, initialContactId);
  try {
    const zd = await service.deps.zendesk(tenant);
    await zd.updateTicket(
      contact.ticketId,
      {
        comment: { body: noteFor(final, customerTurns, summary?.alert.raised ?? 0), public: false },
        additional_tags: [sentimentTag(final.label)],
      },
      { priority: 'deferrable' },
    );
  } catch (err) {
    if (err instanceof ZendeskError && !err.retriable) {
      await repo.settleFinal(tenantId, initialContactId, {
        status: 'failed',
        ticketId: contact.ticketId,
        error: err.message,
      });
      throw new PermanentFinalError(err.message, { cause: err });
    }
    await repo.releaseFinal(tenantId, initialContactId, owner);
    throw err;
  }
  await repo.settleFinal(tenantId, initialContactId, {
    status: 'written',
    ticketId: contact.ticketId,
    final,
  });
  log.info(
    { ticketId: contact.ticketId, label: final.label, source: final.source },
    'final sentiment written to the ticket',
  );
  await service.refresh(tenantId, [initialContactId]); // the summary now carries the final
  return { outcome: 'written', ticketId: contact.ticketId, final };
}

export const sentimentTag = (label: FinalSentiment['label']): string =>
  `concierge_sentiment_${label.toLowerCase()}`;

const signed = (v: number) => (v > 0 ? `+${v.toFixed(1)}` : v < 0 ? `−${Math.abs(v).toFixed(1)}` : '0.0');
const word = (label: FinalSentiment['label']) => label.charAt(0) + label.slice(1).toLowerCase();

/** The internal note: figures only, never a word of the transcript. */
export function noteFor(final: FinalSentiment, customerTurns: number, alertsRaised: number): string {
  const lines = [
    `Customer sentiment: ${word(final.label)} (${signed(final.overall)} on a −5 to +5 scale)`,
    `By quarter of the conversation: ${final.quarters.map((q, i) => `Q${i + 1} ${q === null ? 'n/a' : signed(q)}`).join(' · ')}`,
    final.source === 'post_call'
      ? 'Source: Amazon Connect Contact Lens post-call analysis.'
      : `Source: Concierge live sentiment timeline (${customerTurns} customer utterance${customerTurns === 1 ? '' : 's'}).`,
    alertsRaised > 0
      ? `Live alert: the customer's sentiment turned negative and stayed there (${alertsRaised} time${alertsRaised === 1 ? '' : 's'}).`
      : undefined,
  ];
  return lines.filter(Boolean).join('\n');
}
