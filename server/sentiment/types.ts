import type { SentimentLabel } from '../connect/contact-lens';
import type { AiProvider } from '../ai/types';
import { DEFAULT_TREND, type AlertState, type FinalSentiment, type TrendOptions } from './trend';

/** What scores a customer's utterance when Contact Lens gave no sentiment: the AI provider. */
export type SentimentScorer = Pick<AiProvider, 'sentiment'>;

/** Tunables of live sentiment; the defaults suit production. */
export interface SentimentOptions {
  /** Poll interval while new segments keep coming. */
  pollFastMs: number;
  /** Poll interval once quiet (the interval doubles from fast up to this). */
  pollSlowMs: number;
  /** Polling of one contact stops after this long whatever happens. */
  pollMaxMs: number;
  /** Contact Lens answering "not found" this long after the agent connected: the contact is not analysed. */
  notFoundGiveUpMs: number;
  /** While the Kinesis segment stream delivered for a contact this recently, polling it is skipped. */
  streamFreshMs: number;
  /** After a conversation ends, how long to wait for the post-call output when the tenant sends them. */
  postCallWaitMs: number;
  /** …and when it does not: a moment for the last poll to land before the timeline is summed up. */
  timelineGraceMs: number;
  /** Trend points sent to the app (the sparkline). */
  trendPoints: number;
  trend: TrendOptions;
  /** Concurrent jobs of the sentiment-poll worker (each poll is one short API call). */
  pollConcurrency: number;
}

export const DEFAULT_SENTIMENT_OPTIONS: SentimentOptions = {
  pollFastMs: 1_000,
  pollSlowMs: 5_000,
  pollMaxMs: 4 * 3600_000,
  notFoundGiveUpMs: 60_000,
  streamFreshMs: 15_000,
  postCallWaitMs: 15 * 60_000,
  timelineGraceMs: 3_000,
  trendPoints: 60,
  trend: DEFAULT_TREND,
  pollConcurrency: 50,
};

export function sentimentOptions(overrides: Partial<SentimentOptions> = {}): SentimentOptions {
  return {
    ...DEFAULT_SENTIMENT_OPTIONS,
    ...overrides,
    trend: { ...DEFAULT_SENTIMENT_OPTIONS.trend, ...overrides.trend },
  };
}

/**
 * What the app shows for a conversation (SSE `event: sentiment` and GET …/sentiment). No transcript
 * text: labels, scores and conversation times only.
 */
export interface SentimentSummary {
  /** The conversation (initial contact id). */
  contactId: string;
  /** The customer's smoothed sentiment now; null before any customer utterance was scored. */
  label: SentimentLabel | null;
  score: number | null;
  /** The customer's latest scored utterance. */
  last: { label: SentimentLabel; score: number; source: 'contact_lens' | 'provider' } | null;
  /** The last points of the customer's trend, oldest first (t = conversation ms). */
  trend: Array<{ t: number; score: number; smoothed: number }>;
  alert: AlertState;
  utterances: number;
  customerUtterances: number;
  /** Contact Lens rule categories matched so far. */
  categories: string[];
  /** Once the conversation's final sentiment was written to the ticket. */
  final: (FinalSentiment & { writtenAt: string }) | null;
  updatedAt: string;
}
