import type { ConversationState, TimelineRow } from './repo';
import { computeTrend, labelOf, type TrendOptions } from './trend';
import type { SentimentSummary } from './types';

export interface PlacedRow extends TimelineRow {
  /** Conversation time: legs laid end to end in the order they were first heard from. */
  t: number;
  tEnd: number;
}

/**
 * Puts a conversation's rows on one clock. Each leg's offsets start at its own analysis start, so
 * legs (transfers) are laid end to end in the order their first segment arrived.
 */
export function placeRows<R extends TimelineRow>(rows: R[]): Array<R & PlacedRow> {
  const firstSeen = new Map<string, number>();
  for (const r of rows)
    firstSeen.set(r.contactId, Math.min(firstSeen.get(r.contactId) ?? Infinity, r.receivedAt));
  const legs = [...firstSeen.keys()].sort(
    (a, b) => firstSeen.get(a)! - firstSeen.get(b)! || a.localeCompare(b),
  );
  const placed: Array<R & PlacedRow> = [];
  let base = 0;
  for (const leg of legs) {
    const own = rows
      .filter((r) => r.contactId === leg)
      .sort((a, b) => a.beginOffsetMs - b.beginOffsetMs || a.receivedAt - b.receivedAt);
    const start = Math.min(0, ...own.map((r) => r.beginOffsetMs)); // chat before the origin: shift, never negative
    let end = 0;
    for (const r of own) {
      const t = base + r.beginOffsetMs - start;
      const tEnd = base + Math.max(r.endOffsetMs, r.beginOffsetMs) - start;
      placed.push({ ...r, t, tEnd });
      end = Math.max(end, tEnd);
    }
    base = Math.max(base, end);
  }
  return placed;
}

export const customerPoints = (placed: PlacedRow[]) =>
  placed.filter((r) => r.participant === 'CUSTOMER' && r.score !== null);

export function buildSummary(
  contactId: string,
  rows: TimelineRow[],
  state: ConversationState | null,
  opts: { trend: TrendOptions; trendPoints: number },
): SentimentSummary {
  const placed = placeRows(rows);
  const customer = customerPoints(placed);
  const trend = computeTrend(
    customer.map((r) => ({ t: r.t, score: r.score! })),
    opts.trend,
  );
  const lastPoint = trend.points.at(-1);
  const lastRow = customer.at(-1);
  return {
    contactId,
    label: lastPoint ? labelOf(lastPoint.smoothed, -opts.trend.threshold) : null,
    score: lastPoint ? lastPoint.smoothed : null,
    last: lastRow
      ? {
          label: lastRow.sentiment ?? labelOf(lastRow.score!),
          score: lastRow.score!,
          source: lastRow.scoreSource ?? 'contact_lens',
        }
      : null,
    trend: trend.points.slice(-opts.trendPoints),
    alert: trend.alert,
    utterances: rows.length,
    customerUtterances: placed.filter((r) => r.participant === 'CUSTOMER').length,
    categories: state?.categories ?? [],
    final:
      state?.finalStatus === 'written' && state.final && state.finalWrittenAt
        ? { ...state.final, writtenAt: state.finalWrittenAt }
        : null,
    updatedAt: new Date(rows.length ? Math.max(...rows.map((r) => r.receivedAt)) : Date.now()).toISOString(),
  };
}
