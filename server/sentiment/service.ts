import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type {
  ContactLensApi,
  ContactLensChannel,
  PostCallAnalysis,
  StreamEvent,
} from '../connect/contact-lens';
import type { StoredEvent } from '../contacts/inbox';
import type { ContactNews } from '../contacts/live';
import type { ContactRepo } from '../contacts/repo';
import { QUEUES, sentimentFinalJobId, sentimentPollJobId, type Queues } from '../queues/contracts';
import type { Tenant } from '../tenants/repo';
import type { ZendeskApi } from '../zendesk/types';
import type { IngestResult, LegBatch, SentimentRepo, Snapshot, TranscriptTurn } from './repo';
import { buildSummary } from './timeline';
import { clampScore } from './trend';
import type { SentimentOptions, SentimentScorer, SentimentSummary } from './types';

export interface SentimentDeps {
  repo: SentimentRepo;
  contacts: ContactRepo;
  queues: Queues;
  /** Fan-out of "this conversation's sentiment changed" (ids only) to every API process. */
  news: ContactNews;
  contactLens: ContactLensApi;
  /** Scores customer turns Contact Lens left without sentiment; without it they stay unscored. */
  scorer?: SentimentScorer;
  tenant: (id: string) => Promise<Tenant | null>;
  zendesk: (tenant: Tenant) => Promise<ZendeskApi>;
  logger: Logger;
  /**
   * Holds each conversation's latest summary (labels and scores, never text) so that every open
   * stream of every API process reads it from Redis instead of recomputing it from Postgres.
   */
  redis?: Redis;
  /** Key prefix in Redis (the queue prefix). */
  prefix?: string;
  options: SentimentOptions;
  /** Process-unique name, for the final note's claim. */
  instanceId: string;
}

const ENDED = new Set(['DISCONNECTED', 'COMPLETED']);
const SUMMARY_TTL_MS = 6 * 3600_000;
const STORE_IF_NEWER = `
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if tonumber(ARGV[1]) >= v then
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0`;
const ANALYSED_CHANNELS = new Set(['VOICE', 'CHAT']);
const POST_CALL_SENDER_TTL_MS = 60_000;

/**
 * Live sentiment as a use case: segments in (polled or streamed), a timeline and trend out to the
 * app, the final sentiment onto the ticket. Transcript text goes to Postgres and the scorer only.
 */
export class SentimentService {
  readonly log: Logger;
  private readonly inflight = new Map<string, Promise<SentimentSummary | null>>();
  private readonly postCallSenders = new Map<string, { value: boolean; until: number }>();

  constructor(readonly deps: SentimentDeps) {
    this.log = deps.logger.child({ module: 'sentiment' });
  }

  get options(): SentimentOptions {
    return this.deps.options;
  }

  /** Where this conversation-changed news is published (the event stream listens). */
  get news(): ContactNews {
    return this.deps.news;
  }

  // --- intake -----------------------------------------------------------------------------

  /** Stores segment-stream events durably (duplicates ignored); call `refresh` afterwards. */
  async ingestStream(tenantId: string, events: StreamEvent[]): Promise<IngestResult> {
    return this.deps.repo.ingest(
      tenantId,
      events.map((e): LegBatch => ({
        contactId: e.contactId,
        channel: e.channel,
        ...(e.languageCode ? { languageCode: e.languageCode } : {}),
        utterances: e.batch.utterances,
        categories: e.batch.categories,
        source: 'stream',
        stream: e.eventType === 'COMPLETED' || e.eventType === 'FAILED' ? 'completed' : 'seen',
      })),
    );
  }

  /**
   * Brings conversations up to date after new segments: scores customer turns Contact Lens left
   * unscored, records the alert when it changed, stores the summary and tells every API process.
   * Best effort: the timeline is stored, so anything missed here is recomputed on the next segment
   * or when a stream opens.
   */
  async refresh(
    tenantId: string,
    initialContactIds: string[],
    snapshots?: Map<string, Snapshot>,
  ): Promise<void> {
    for (const initial of initialContactIds) {
      try {
        let snap = snapshots?.get(initial) ?? { ...(await this.readSnapshot(tenantId, initial)) };
        const unscored = snap.rows.some((r) => r.participant === 'CUSTOMER' && r.score === null);
        if (unscored && this.deps.scorer) {
          await this.scoreUnscored(tenantId, initial);
          snap = await this.readSnapshot(tenantId, initial);
        }
        const { rows, state } = snap;
        const summary = buildSummary(initial, rows, state, this.deps.options);
        const { active, raised } = summary.alert;
        if (active !== (state?.alertActive ?? false) || raised > (state?.alertRaised ?? 0)) {
          await this.deps.repo.recordAlert(tenantId, initial, active, raised);
          this.log.info(
            { tenantId, initialContactId: initial, alert: active, raised },
            'sentiment alert changed',
          );
        }
        // Sent together on one connection: Redis stores the summary before subscribers hear of it.
        await Promise.all([
          this.storeSummary(tenantId, initial, summary, snap.version),
          this.deps.news.publish(tenantId, initial),
        ]);
      } catch (err) {
        this.log.warn(
          { tenantId, initialContactId: initial, err: (err as Error).message },
          'sentiment refresh failed',
        );
      }
    }
  }

  private async readSnapshot(tenantId: string, initialContactId: string): Promise<Snapshot> {
    const version = Date.now();
    return { ...(await this.deps.repo.timelineAndState(tenantId, initialContactId)), version };
  }

  private async scoreUnscored(tenantId: string, initialContactId: string): Promise<void> {
    const scorer = this.deps.scorer;
    if (!scorer) return;
    const turns = await this.deps.repo.unscoredCustomerTurns(tenantId, initialContactId);
    if (turns.length === 0) return;
    const scores: Array<{ contactId: string; segmentId: string; text: string; score: number }> = [];
    for (const t of turns) {
      try {
        const s = await scorer.sentiment(t.text, t.languageCode ?? undefined);
        scores.push({
          contactId: t.contactId,
          segmentId: t.segmentId,
          text: t.text,
          score: clampScore(s.score),
        });
      } catch (err) {
        // The text never goes into the log line: ids and the error's name only.
        this.log.warn(
          { tenantId, segmentId: t.segmentId, err: (err as Error).name },
          'sentiment scoring failed',
        );
      }
    }
    await this.deps.repo.setProviderScores(tenantId, scores);
  }

  // --- reading ----------------------------------------------------------------------------

  /**
   * The conversation's summary: from Redis when a refresh stored it, else computed from Postgres (and
   * stored). Concurrent calls for one conversation share a single read.
   */
  summary(tenantId: string, initialContactId: string): Promise<SentimentSummary | null> {
    const key = `${tenantId}|${initialContactId}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.readSummary(tenantId, initialContactId).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async readSummary(tenantId: string, initialContactId: string): Promise<SentimentSummary | null> {
    const { redis } = this.deps;
    if (redis) {
      try {
        const cached = await redis.hget(this.summaryKey(tenantId, initialContactId), 'd');
        if (cached) return JSON.parse(cached) as SentimentSummary;
      } catch {
        // Redis unavailable: Postgres has everything
      }
    }
    const { rows, state, version } = await this.readSnapshot(tenantId, initialContactId);
    if (rows.length === 0 && !state) return null;
    const summary = buildSummary(initialContactId, rows, state, this.deps.options);
    await this.storeSummary(tenantId, initialContactId, summary, version);
    return summary;
  }

  private summaryKey(tenantId: string, initialContactId: string): string {
    return `${this.deps.prefix ?? 'concierge'}:sentiment-summary:${tenantId}|${initialContactId}`;
  }

  /** Keeps the newest computation (by the time it started reading): a slower, older one never wins. */
  private async storeSummary(
    tenantId: string,
    initialContactId: string,
    summary: SentimentSummary,
    version: number,
  ): Promise<void> {
    await this.deps.redis
      ?.eval(
        STORE_IF_NEWER,
        1,
        this.summaryKey(tenantId, initialContactId),
        version,
        JSON.stringify(summary),
        SUMMARY_TTL_MS,
      )
      .catch(() => undefined);
  }

  /** The conversation's last turns with their text, for the agent's sidebar (never logged or cached). */
  transcript(tenantId: string, initialContactId: string, limit = 12): Promise<TranscriptTurn[]> {
    return this.deps.repo.transcript(tenantId, initialContactId, limit);
  }

  /**
   * What a live suggestion is computed from: the customer's turns so far (most recent last) and
   * the language Contact Lens heard. Agent turns are left out: retrieval should match what the
   * customer asks, not the agent's own words. Null when the customer has said nothing yet.
   */
  async conversationText(
    tenantId: string,
    contactId: string,
  ): Promise<{ initialContactId: string; text: string; languageCode: string | null } | null> {
    const initialContactId = await this.conversationOf(tenantId, contactId);
    const turns = await this.deps.repo.transcript(tenantId, initialContactId, 200);
    const customer = turns.filter((t) => t.participant === 'CUSTOMER' && t.text.trim());
    if (customer.length === 0) return null;
    return {
      initialContactId,
      text: customer.map((t) => t.text.trim()).join('\n'),
      languageCode: customer.at(-1)?.languageCode ?? null,
    };
  }

  /** Resolves any leg id to its conversation (a leg not yet known stands for itself). */
  async conversationOf(tenantId: string, contactId: string): Promise<string> {
    return (await this.deps.contacts.byContactId(tenantId, contactId))?.initialContactId ?? contactId;
  }

  // --- contact lifecycle (called by contact-sync for every batch of contact events) ----------

  /**
   * Starts polling legs an agent is connected to, marks ended legs so their poll stops, and once
   * the whole conversation has ended schedules its final sentiment. Idempotent: job ids are
   * deterministic and the rows only move forward.
   */
  async onContactEvents(tenantId: string, initialContactId: string, events: StoredEvent[]): Promise<void> {
    const legs = new Map<
      string,
      { channel: string; instanceArn: string; connected: boolean; ended: boolean; firstAt: number | null }
    >();
    for (const e of events) {
      const leg = legs.get(e.contactId) ?? {
        channel: e.channel.toUpperCase(),
        instanceArn: e.detail.instanceArn,
        connected: false,
        ended: false,
        firstAt: null,
      };
      if (e.eventType === 'CONNECTED_TO_AGENT') leg.connected = true;
      if (ENDED.has(e.eventType)) leg.ended = true;
      const at = e.eventTime ? Date.parse(e.eventTime) : NaN;
      if (Number.isFinite(at)) leg.firstAt = Math.min(leg.firstAt ?? at, at);
      legs.set(e.contactId, leg);
    }
    // Only a leg other than the initial one can have rows filed under another conversation (a leg not yet
    // known stands for itself, see conversationOf): a single-leg call moves nothing and costs no statement.
    const moved = await this.deps.repo.rehome(
      tenantId,
      initialContactId,
      [...legs.keys()].filter((id) => id !== initialContactId),
    );
    let analysed = false;
    for (const [contactId, leg] of legs) {
      if (!ANALYSED_CHANNELS.has(leg.channel) || !leg.connected) continue;
      analysed = true;
      const record = await this.deps.repo.upsertLeg(tenantId, {
        contactId,
        initialContactId,
        instanceArn: leg.instanceArn,
        channel: leg.channel as ContactLensChannel,
        originAt: leg.firstAt === null ? null : new Date(leg.firstAt),
        startPolling: true,
        ended: leg.ended,
      });
      if (record.stoppedAt === null)
        await this.deps.queues.enqueueSentimentPoll({ tenantId, contactId, initialContactId });
    }
    if (moved.length) await this.refresh(tenantId, [initialContactId]);
    const over = legs.size > 0 && [...legs.values()].every((l) => l.ended);
    if (over && (analysed || (await this.deps.repo.hasLegs(tenantId, initialContactId)))) {
      const wait = (await this.sendsPostCall(tenantId))
        ? this.deps.options.postCallWaitMs
        : this.deps.options.timelineGraceMs;
      const due = await this.deps.repo.markEnded(tenantId, initialContactId, new Date(Date.now() + wait));
      await this.deps.queues.enqueueSentimentFinal(
        { tenantId, initialContactId },
        Math.max(0, due - Date.now()),
      );
    }
  }

  /**
   * Whether the tenant's Contact Lens sends post-call analysis (any in 30 days), asked of the database at
   * most once a minute per tenant: every ended conversation needs it. A tenant whose first post-call
   * output arrives meanwhile still gets its final brought forward by recordPostCallAnalysis.
   */
  private async sendsPostCall(tenantId: string): Promise<boolean> {
    const hit = this.postCallSenders.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.value;
    const value = await this.deps.repo.tenantSendsPostCall(tenantId);
    if (this.postCallSenders.size > 10_000) this.postCallSenders.clear();
    this.postCallSenders.set(tenantId, { value, until: Date.now() + POST_CALL_SENDER_TTL_MS });
    return value;
  }

  // --- after the call -----------------------------------------------------------------------

  /**
   * Records a leg's Contact Lens post-call output (its sentiment figures; never the transcript) and
   * brings the conversation's final sentiment forward. Returns false for a repeat delivery.
   */
  async recordPostCallAnalysis(
    tenantId: string,
    analysis: PostCallAnalysis,
  ): Promise<{ stored: boolean; initialContactId: string }> {
    const initialContactId = await this.conversationOf(tenantId, analysis.contactId);
    const stored = await this.deps.repo.storePostCall(tenantId, initialContactId, analysis);
    if (stored) {
      await this.deps.repo.setFinalDue(
        tenantId,
        initialContactId,
        new Date(Date.now() + this.deps.options.postCallWaitMs),
      );
      await this.deps.queues.enqueueSentimentFinal({ tenantId, initialContactId }, 0);
    }
    return { stored, initialContactId };
  }

  /** Revives polls and finals whose jobs were lost (Redis flushed, a job failed for good). */
  async sweep(): Promise<{ polls: number; finals: number }> {
    const stale = await this.deps.repo.stalePolls(Math.max(60_000, this.deps.options.pollSlowMs * 6));
    for (const p of stale)
      await this.revive(sentimentPollJobId(p), () => this.deps.queues.enqueueSentimentPoll(p));
    const overdue = await this.deps.repo.overdueFinals(60_000);
    for (const f of overdue)
      await this.revive(sentimentFinalJobId(f), () => this.deps.queues.enqueueSentimentFinal(f, 0));
    return { polls: stale.length, finals: overdue.length };
  }

  /** A job id that still exists blocks a new enqueue: retry a failed job, replace a finished one. */
  private async revive(jobId: string, enqueue: () => Promise<void>): Promise<void> {
    const job = await this.deps.queues.get(QUEUES.sentimentPoll).getJob(jobId);
    if (job && (await job.isFailed())) return job.retry();
    if (job && (await job.isCompleted())) await job.remove();
    else if (job) return; // waiting, delayed or active: alive
    await enqueue();
  }
}
