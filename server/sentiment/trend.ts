/**
 * The arithmetic of live sentiment, free of storage and I/O so it can be tested on its own.
 *
 * Scores are on −1 … +1 (a Contact Lens label maps to −1 / 0 / +1; a provider's score is clamped).
 * The trend is an exponentially weighted moving average over the customer's utterances, starting
 * from neutral so that one sharp word does not define a call.
 *
 * Alert: the smoothed score is at or below `threshold` for `minUtterances` consecutive customer
 * utterances, or for `minMs` of conversation time (two utterances at least); it clears once the
 * smoothed score rises above `recover` (hysteresis, so it does not flap around the threshold).
 */
import type { SentimentLabel } from '../connect/contact-lens';

export interface TrendOptions {
  /** EWMA weight of the newest utterance. */
  alpha: number;
  threshold: number;
  recover: number;
  minUtterances: number;
  minMs: number;
}

export const DEFAULT_TREND: TrendOptions = {
  alpha: 0.4,
  threshold: -0.3,
  recover: -0.1,
  minUtterances: 3,
  minMs: 20_000,
};

export interface ScoredPoint {
  /** Conversation time of the utterance (ms). */
  t: number;
  score: number;
}

export interface TrendPoint extends ScoredPoint {
  smoothed: number;
}

export interface AlertState {
  active: boolean;
  /** Conversation time when the negative run that raised (or is raising) the alert began. */
  since: number | null;
  /** How many times an alert was raised in this conversation. */
  raised: number;
  /** Conversation time of the last clear, when the alert was raised before and is not now. */
  clearedAt: number | null;
}

export interface Trend {
  points: TrendPoint[];
  alert: AlertState;
}

const LABEL_SCORE: Record<SentimentLabel, number> = { POSITIVE: 1, NEUTRAL: 0, NEGATIVE: -1 };

export const scoreOfLabel = (label: SentimentLabel): number => LABEL_SCORE[label];

export const clampScore = (score: number): number =>
  Number.isFinite(score) ? Math.max(-1, Math.min(1, score)) : 0;

/** The label a smoothed or averaged score reads as: a third of the way either side of neutral. */
export function labelOf(score: number, band = 0.3): SentimentLabel {
  return score <= -band ? 'NEGATIVE' : score >= band ? 'POSITIVE' : 'NEUTRAL';
}

export function computeTrend(scored: ScoredPoint[], opts: TrendOptions = DEFAULT_TREND): Trend {
  const points: TrendPoint[] = [];
  const alert: AlertState = { active: false, since: null, raised: 0, clearedAt: null };
  let smoothed = 0;
  let run = 0;
  let runStart = 0;
  for (const p of scored) {
    smoothed = opts.alpha * p.score + (1 - opts.alpha) * smoothed;
    points.push({ t: p.t, score: p.score, smoothed: round(smoothed) });
    if (smoothed <= opts.threshold) {
      if (run === 0) runStart = p.t;
      run += 1;
    } else {
      run = 0;
    }
    if (!alert.active) {
      const long = run >= 2 && p.t - runStart >= opts.minMs;
      if (run >= opts.minUtterances || long) {
        alert.active = true;
        alert.since = runStart;
        alert.raised += 1;
        alert.clearedAt = null;
      }
    } else if (smoothed > opts.recover) {
      alert.active = false;
      alert.clearedAt = p.t;
    }
  }
  return { points, alert };
}

// ---------------------------------------------------------------------------------------------
// After the call: overall and per quarter, on Contact Lens' −5 … +5 scale

export interface FinalSentiment {
  label: SentimentLabel;
  /** −5 … +5. */
  overall: number;
  /** Four entries, first to last quarter; null where the customer said nothing scored. */
  quarters: Array<number | null>;
  source: 'post_call' | 'timeline';
}

/** Overall on −5 … +5: at or beyond ±1 (a fifth of the scale) reads as positive/negative. */
export const finalLabel = (overall: number): SentimentLabel =>
  overall <= -1 ? 'NEGATIVE' : overall >= 1 ? 'POSITIVE' : 'NEUTRAL';

export interface Span {
  begin: number;
  end: number;
  score: number;
}

/**
 * Re-buckets scored spans into four equal quarters of [0, total): each quarter is the mean of the
 * spans overlapping it, weighted by overlap (a point span counts as 1 ms). Null where nothing falls.
 */
export function quarters(spans: Span[], total: number): Array<number | null> {
  const length = Math.max(1, total);
  const out: Array<number | null> = [];
  for (let q = 0; q < 4; q++) {
    const from = (q * length) / 4;
    const to = ((q + 1) * length) / 4;
    let weight = 0;
    let sum = 0;
    for (const s of spans) {
      const begin = Math.max(0, s.begin);
      const end = Math.max(begin + 1, s.end);
      const overlap = Math.min(end, to) - Math.max(begin, from);
      const last = q === 3 && begin >= to; // past the end: counts in the last quarter
      const w = overlap > 0 ? overlap : last ? 1 : 0;
      weight += w;
      sum += w * s.score;
    }
    out.push(weight > 0 ? round(sum / weight, 2) : null);
  }
  return out;
}

/** Final sentiment from the live timeline's customer scores (−1 … +1), scaled to −5 … +5. */
export function finalFromTimeline(
  points: Array<{ begin: number; end: number; score: number }>,
): FinalSentiment | null {
  if (points.length === 0) return null;
  const total = Math.max(...points.map((p) => Math.max(p.end, p.begin + 1)));
  const overall = round((points.reduce((a, p) => a + p.score, 0) / points.length) * 5, 2);
  const q = quarters(points, total).map((v) => (v === null ? null : round(v * 5, 2)));
  return { label: finalLabel(overall), overall, quarters: q, source: 'timeline' };
}

export interface LegPostCall {
  durationMs?: number;
  customerOverall?: number;
  customerQuarters: Array<{ beginOffsetMs: number; endOffsetMs: number; score: number }>;
}

/**
 * Final sentiment from the post-call outputs of a conversation's legs (one unless transferred):
 * overall is the duration-weighted mean of each leg's CUSTOMER overall; quarters come from the
 * legs' quarter periods laid end to end and re-bucketed over the whole conversation.
 */
export function finalFromPostCall(legs: LegPostCall[]): FinalSentiment | null {
  const scored = legs.filter((l) => typeof l.customerOverall === 'number');
  if (scored.length === 0) return null;
  const dur = (l: LegPostCall) =>
    Math.max(1, l.durationMs ?? Math.max(0, ...l.customerQuarters.map((p) => p.endOffsetMs)));
  const totalWeight = scored.reduce((a, l) => a + dur(l), 0);
  const overall = round(scored.reduce((a, l) => a + dur(l) * l.customerOverall!, 0) / totalWeight, 2);
  const spans: Span[] = [];
  let base = 0;
  for (const l of legs) {
    for (const p of l.customerQuarters)
      spans.push({ begin: base + p.beginOffsetMs, end: base + p.endOffsetMs, score: p.score });
    base += dur(l);
  }
  const q = spans.length ? quarters(spans, base) : [null, null, null, null];
  return { label: finalLabel(overall), overall, quarters: q, source: 'post_call' };
}

function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f || 0; // never -0
}
