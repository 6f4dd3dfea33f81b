import type { ReversalReason, TicketEventKind } from './types';

/**
 * The resolution rules as one pure function of a ticket's event history, so the ledger does not depend on
 * the order or repetition in which webhooks arrive: the worker replays the whole history each time and
 * appends what is missing, under keys that make a second append of the same fact a no-op.
 *
 * - Every distinct `solved` event is a resolution; its window ends `windowMs` later.
 * - A reopen or a new end-user comment after the solve and inside the window voids it; so does a later
 *   solve inside the window (the reopen in between must have happened inside it, even if its webhook
 *   has not arrived).
 * - A reopen after the window reverses it too; the worker turns that into a credit when the resolution
 *   was automated (billable), and into nothing otherwise.
 */

export interface PlanEvent {
  eventKey: string;
  kind: TicketEventKind;
  /** Epoch ms, from the payload's `at`. */
  occurredAt: number;
  /** Epoch ms of the delivery (signature timestamp), or null. */
  deliveredAt: number | null;
}

export interface PlannedResolution {
  resolutionKey: string;
  solvedAt: number;
  windowEndsAt: number;
  /** What reverses it, if anything is known yet. */
  reversal: { within: boolean; at: number; reason: ReversalReason } | null;
}

/** Same minute, no delivery time: a comment is taken to precede the solve, a reopen to follow it. */
const RANK: Record<TicketEventKind, number> = { end_user_comment: 0, solved: 1, reopened: 2 };

export function compareEvents(a: PlanEvent, b: PlanEvent): number {
  return (
    a.occurredAt - b.occurredAt ||
    (a.deliveredAt ?? Number.MAX_SAFE_INTEGER) - (b.deliveredAt ?? Number.MAX_SAFE_INTEGER) ||
    RANK[a.kind] - RANK[b.kind] ||
    (a.eventKey < b.eventKey ? -1 : a.eventKey > b.eventKey ? 1 : 0)
  );
}

export const resolutionKeyFor = (ticketId: number, solvedAt: number): string =>
  `${ticketId}:${new Date(solvedAt).toISOString()}`;

export function planTicket(ticketId: number, events: PlanEvent[], windowMs: number): PlannedResolution[] {
  const unique = new Map<string, PlanEvent>();
  for (const e of events) if (!unique.has(e.eventKey)) unique.set(e.eventKey, e);
  const sorted = [...unique.values()].sort(compareEvents);
  const solves = sorted.filter((e) => e.kind === 'solved');
  // A solve of the same minute delivered twice under different keys would be one resolution anyway.
  const seen = new Set<string>();
  const plans: PlannedResolution[] = [];
  for (let i = 0; i < solves.length; i++) {
    const solve = solves[i]!;
    const key = resolutionKeyFor(ticketId, solve.occurredAt);
    if (seen.has(key)) continue;
    seen.add(key);
    const next = solves.slice(i + 1).find((s) => s.occurredAt > solve.occurredAt);
    const windowEndsAt = solve.occurredAt + windowMs;
    const after = sorted.filter(
      (e) =>
        e.kind !== 'solved' &&
        compareEvents(e, solve) > 0 &&
        e.occurredAt >= solve.occurredAt &&
        (!next || compareEvents(e, next) < 0),
    );
    const inWindow = after.find((e) => e.occurredAt <= windowEndsAt);
    let reversal: PlannedResolution['reversal'] = null;
    if (inWindow) {
      reversal = { within: true, at: inWindow.occurredAt, reason: inWindow.kind as ReversalReason };
    } else if (next && next.occurredAt <= windowEndsAt) {
      reversal = { within: true, at: next.occurredAt, reason: 'solved_again' };
    } else {
      const reopen = after.find((e) => e.kind === 'reopened');
      if (reopen) reversal = { within: false, at: reopen.occurredAt, reason: 'reopened' };
    }
    plans.push({ resolutionKey: key, solvedAt: solve.occurredAt, windowEndsAt, reversal });
  }
  return plans;
}
