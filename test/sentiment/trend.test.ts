import {
  computeTrend,
  finalFromPostCall,
  finalFromTimeline,
  labelOf,
  quarters,
  type ScoredPoint,
} from '../../server/sentiment/trend';
import { placeRows } from '../../server/sentiment/timeline';
import type { TimelineRow } from '../../server/sentiment/repo';

const series = (scores: number[], stepMs = 4000): ScoredPoint[] =>
  scores.map((score, i) => ({ t: i * stepMs, score }));

describe('live trend and alert', () => {
  test('when scores arrive, then the trend is an EWMA from neutral (alpha 0.4)', () => {
    const { points } = computeTrend(series([1, 1, -1]));
    expect(points.map((p) => p.smoothed)).toEqual([0.4, 0.64, -0.016]);
  });

  test('when one customer utterance is negative among positives, then no alert is raised', () => {
    const { alert, points } = computeTrend(series([1, 0, -1, 1, 0, 0]));
    expect(alert.active).toBe(false);
    expect(alert.raised).toBe(0);
    expect(labelOf(points.at(-1)!.smoothed)).toBe('NEUTRAL');
  });

  test('when the customer turns negative for three utterances, then the alert is raised from the start of the run', () => {
    const { alert } = computeTrend(series([0, 0, -1, -1, -1]));
    expect(alert).toEqual({ active: true, since: 8000, raised: 1, clearedAt: null });
  });

  test('when two negative utterances span 20 s or more, then the alert is raised on time alone', () => {
    expect(computeTrend(series([-1, -1], 25_000)).alert.active).toBe(true);
    expect(computeTrend(series([-1, -1], 5_000)).alert.active).toBe(false);
  });

  test('when the customer recovers past -0.1, then the alert clears; hovering just above -0.3 keeps it', () => {
    const stays = computeTrend(series([-1, -1, -1, 0, 0]));
    expect(stays.points.at(-1)!.smoothed).toBeGreaterThan(-0.3);
    expect(stays.points.at(-1)!.smoothed).toBeLessThanOrEqual(-0.1);
    expect(stays.alert.active).toBe(true);
    const clears = computeTrend(series([-1, -1, -1, 1, 1]));
    expect(clears.alert).toMatchObject({ active: false, raised: 1, clearedAt: 12_000 });
  });

  test('when the customer turns negative again after recovering, then a second alert is counted', () => {
    const { alert } = computeTrend(series([-1, -1, -1, 1, 1, 1, -1, -1, -1, -1]));
    expect(alert).toMatchObject({ active: true, raised: 2 });
  });
});

describe('final sentiment', () => {
  test('when quarters are re-bucketed, then each is the overlap-weighted mean and empty quarters are null', () => {
    expect(
      quarters(
        [
          { begin: 0, end: 10, score: 1 },
          { begin: 10, end: 30, score: -1 },
          { begin: 35, end: 40, score: 0.5 },
        ],
        40,
      ),
    ).toEqual([1, -1, -1, 0.5]);
    expect(quarters([{ begin: 0, end: 1, score: 1 }], 100)).toEqual([1, null, null, null]);
  });

  test('when the timeline is all negative, then the final is negative on the -5..5 scale', () => {
    const final = finalFromTimeline([
      { begin: 0, end: 1000, score: -1 },
      { begin: 5000, end: 6000, score: -1 },
      { begin: 9000, end: 10_000, score: 0 },
    ]);
    expect(final).toEqual({
      label: 'NEGATIVE',
      overall: -3.33,
      quarters: [-5, null, -5, 0],
      source: 'timeline',
    });
    expect(finalFromTimeline([])).toBeNull();
  });

  test('when the post-call output has scores, then overall and quarters are taken from it', () => {
    const final = finalFromPostCall([
      {
        durationMs: 83935,
        customerOverall: -2.2,
        customerQuarters: [
          { beginOffsetMs: 0, endOffsetMs: 20983, score: 1.3 },
          { beginOffsetMs: 20983, endOffsetMs: 41967, score: 0 },
          { beginOffsetMs: 41967, endOffsetMs: 62951, score: -2.5 },
          { beginOffsetMs: 62951, endOffsetMs: 83935, score: -5 },
        ],
      },
    ]);
    expect(final).toEqual({
      label: 'NEGATIVE',
      overall: -2.2,
      quarters: [1.3, 0, -2.5, -5],
      source: 'post_call',
    });
  });

  test('when a transferred call has two post-call outputs, then overall is weighted by duration', () => {
    const final = finalFromPostCall([
      { durationMs: 30_000, customerOverall: 3, customerQuarters: [] },
      { durationMs: 10_000, customerOverall: -5, customerQuarters: [] },
    ]);
    expect(final).toMatchObject({ overall: 1, label: 'POSITIVE', quarters: [null, null, null, null] });
  });
});

describe('conversation time', () => {
  const row = (contactId: string, begin: number, receivedAt: number): TimelineRow => ({
    contactId,
    participant: 'CUSTOMER',
    sentiment: 'NEUTRAL',
    score: 0,
    scoreSource: 'contact_lens',
    beginOffsetMs: begin,
    endOffsetMs: begin + 1000,
    receivedAt,
  });

  test('when a call was transferred, then the second leg follows the first on one clock', () => {
    const placed = placeRows([row('leg-2', 0, 300), row('leg-1', 5000, 200), row('leg-1', 0, 100)]);
    expect(placed.map((r) => [r.contactId, r.t])).toEqual([
      ['leg-1', 0],
      ['leg-1', 5000],
      ['leg-2', 6000],
    ]);
  });
});
