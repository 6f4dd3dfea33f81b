import type { Db } from '../store/db';
import type { ContactLensChannel, SentimentLabel, Utterance } from '../connect/contact-lens';
import type { FinalSentiment } from './trend';
import { scoreOfLabel } from './trend';
import { placeRows } from './timeline';

/** Segments of one analysed leg, from one poll or one stream event. */
export interface LegBatch {
  contactId: string;
  channel: ContactLensChannel;
  instanceArn?: string;
  languageCode?: string;
  utterances: Utterance[];
  categories: string[];
  source: 'api' | 'stream';
  /** Stream lifecycle seen with this batch (STARTED / SEGMENTS / COMPLETED / FAILED). */
  stream?: 'seen' | 'completed';
}

export interface IngestResult {
  /** Segments that added or completed a turn of the timeline. */
  accepted: number;
  /** Segments already known (redelivered, polled and streamed, or a piece of a finished turn). */
  duplicates: number;
  /** Conversations (initial contact ids) whose timeline or categories changed. */
  changed: string[];
  /**
   * The changed conversations' timeline and state as of the write, read in the same statement, so
   * the summary can be computed without another round trip. `version` is when the read began.
   */
  snapshots: Map<string, Snapshot>;
}

export interface Snapshot {
  rows: TimelineRow[];
  state: ConversationState | null;
  version: number;
}

/** A timeline row without its text: what trends and summaries are computed from. */
export interface TimelineRow {
  contactId: string;
  participant: string;
  sentiment: SentimentLabel | null;
  score: number | null;
  scoreSource: 'contact_lens' | 'provider' | null;
  beginOffsetMs: number;
  endOffsetMs: number;
  receivedAt: number;
}

/** A turn of the conversation with its text (the sidebar's transcript snippets). */
export interface TranscriptTurn {
  /** Stable: `<leg contact id>:<segment id>`. */
  id: string;
  participant: string;
  text: string;
  sentiment: SentimentLabel | null;
  score: number | null;
  /** Conversation time (ms). */
  t: number;
  languageCode: string | null;
}

export interface UnscoredRow {
  contactId: string;
  segmentId: string;
  text: string;
  languageCode: string | null;
}

export interface LegRecord {
  tenantId: string;
  contactId: string;
  initialContactId: string;
  instanceArn: string | null;
  channel: ContactLensChannel;
  originAt: number | null;
  pollStartedAt: number | null;
  nextToken: string | null;
  polls: number;
  lastSegmentAt: number | null;
  intervalMs: number | null;
  endedAt: number | null;
  streamSeenAt: number | null;
  stoppedAt: number | null;
  stopReason: string | null;
}

export interface ConversationState {
  categories: string[];
  alertActive: boolean;
  alertRaised: number;
  endedAt: number | null;
  finalDueAt: number | null;
  finalStatus: 'written' | 'skipped' | 'failed' | null;
  finalWrittenAt: string | null;
  final: FinalSentiment | null;
}

export interface PostCallRecord {
  contactId: string;
  durationMs: number | null;
  customerOverall: number | null;
  customerQuarters: Array<{ beginOffsetMs: number; endOffsetMs: number; score: number }>;
}

const ms = (v: Date | string | null): number | null => (v === null ? null : new Date(v).getTime());
const CHANNELS = new Set(['VOICE', 'CHAT']);

/** Storage of live sentiment. Every statement is scoped by tenant. */
export class SentimentRepo {
  constructor(private readonly db: Db) {}

  /**
   * Stores segments idempotently: per leg, one statement that upserts the leg and its turns (so no
   * explicit transaction and one round trip), plus one for new categories. A finished turn replaces
   * the pieces heard so far; a piece extends its turn unless any of its pieces are there already; a
   * turn already finished stays as it is. Everything else counts as a duplicate.
   */
  async ingest(tenantId: string, batches: LegBatch[]): Promise<IngestResult> {
    const result: IngestResult = { accepted: 0, duplicates: 0, changed: [], snapshots: new Map() };
    const changed = new Set<string>();
    const legIds = [...new Set(batches.map((b) => b.contactId))].sort();
    for (const contactId of legIds) {
      const legBatches = batches.filter((b) => b.contactId === contactId);
      const first = legBatches[0]!;
      const utterances = legBatches.flatMap((b) => b.utterances);
      const times = utterances.map((u) => u.atMs).filter((t): t is number => t !== undefined);
      const streamCompleted = legBatches.some((b) => b.stream === 'completed');
      const { turns, weight } = prepareTurns(utterances);
      const version = Date.now();
      const rows = await this.db.query<{
        initial_contact_id: string;
        stored: string[] | null;
        timeline: RawTimelineRow[] | string | null;
        state: RawState | string | null;
      }>(
        `WITH leg AS (
           INSERT INTO contact_lens_legs AS l (tenant_id, contact_id, initial_contact_id, instance_arn, channel, origin_at,
                                               language_code, stream_seen_at, stream_completed_at)
           VALUES ($1, $2, COALESCE((SELECT initial_contact_id FROM contact_legs WHERE tenant_id = $1 AND contact_id = $2), $2),
                   $3, $4, $5, $6, CASE WHEN $7 THEN now() END, CASE WHEN $8 THEN now() END)
           ON CONFLICT (tenant_id, contact_id) DO UPDATE SET
             initial_contact_id = EXCLUDED.initial_contact_id,
             origin_at = COALESCE(l.origin_at, EXCLUDED.origin_at),
             instance_arn = COALESCE(l.instance_arn, EXCLUDED.instance_arn),
             language_code = COALESCE(EXCLUDED.language_code, l.language_code),
             stream_seen_at = COALESCE(EXCLUDED.stream_seen_at, l.stream_seen_at),
             stream_completed_at = COALESCE(l.stream_completed_at, EXCLUDED.stream_completed_at)
           RETURNING initial_contact_id, origin_at
         ), stored AS (
           INSERT INTO sentiment_utterances AS u (tenant_id, contact_id, segment_id, initial_contact_id, participant, text,
                                                  partial, piece_ids, sentiment, score, score_source, begin_offset_ms,
                                                  end_offset_ms, issues, source)
           SELECT $1, $2, r.segment_id, leg.initial_contact_id, r.participant, r.text, r.partial, r.piece_ids, r.sentiment,
                  r.score, r.score_source,
                  -- chat: placed by time from the leg's origin
                  COALESCE((r.at_ms - extract(epoch FROM leg.origin_at) * 1000)::int, r.begin_offset_ms),
                  COALESCE((r.at_ms - extract(epoch FROM leg.origin_at) * 1000)::int, r.end_offset_ms),
                  r.issues, $9
             FROM jsonb_to_recordset($10::jsonb) AS r(${TURN_COLUMNS}), leg
           ON CONFLICT (tenant_id, contact_id, segment_id) DO UPDATE SET
             participant = EXCLUDED.participant,
             text = CASE WHEN EXCLUDED.partial THEN u.text || ' ' || EXCLUDED.text ELSE EXCLUDED.text END,
             partial = EXCLUDED.partial,
             piece_ids = CASE WHEN EXCLUDED.partial THEN u.piece_ids || EXCLUDED.piece_ids ELSE '{}' END,
             sentiment = COALESCE(EXCLUDED.sentiment, CASE WHEN EXCLUDED.partial THEN u.sentiment END),
             -- a provider's score was for the old text: scored again
             score = CASE WHEN EXCLUDED.sentiment IS NOT NULL THEN EXCLUDED.score
                          WHEN EXCLUDED.partial AND u.score_source = 'contact_lens' THEN u.score END,
             score_source = CASE WHEN EXCLUDED.sentiment IS NOT NULL THEN 'contact_lens'
                                 WHEN EXCLUDED.partial AND u.score_source = 'contact_lens' THEN 'contact_lens' END,
             begin_offset_ms = CASE WHEN EXCLUDED.partial THEN LEAST(u.begin_offset_ms, EXCLUDED.begin_offset_ms)
                                    ELSE EXCLUDED.begin_offset_ms END,
             end_offset_ms = CASE WHEN EXCLUDED.partial THEN GREATEST(u.end_offset_ms, EXCLUDED.end_offset_ms)
                                  ELSE EXCLUDED.end_offset_ms END,
             issues = CASE WHEN NOT EXCLUDED.partial THEN EXCLUDED.issues
                           WHEN EXCLUDED.issues IS NULL THEN u.issues
                           ELSE COALESCE(u.issues, '[]'::jsonb) || (
                             SELECT jsonb_agg(jsonb_build_array((e ->> 0)::int + length(u.text) + 1,
                                                                (e ->> 1)::int + length(u.text) + 1))
                               FROM jsonb_array_elements(EXCLUDED.issues) e) END
             WHERE u.partial AND (NOT EXCLUDED.partial OR NOT (u.piece_ids && EXCLUDED.piece_ids))
           RETURNING ${RETURNED_COLUMNS}, u.segment_id
         ), timeline AS (
           -- The statement cannot see its own writes: the conversation's other rows, plus what it stored.
           SELECT ${TIMELINE_COLUMNS} FROM sentiment_utterances t, leg
            WHERE t.tenant_id = $1 AND t.initial_contact_id = leg.initial_contact_id
              AND NOT (t.contact_id = $2 AND t.segment_id IN (SELECT segment_id FROM stored))
           UNION ALL SELECT ${TIMELINE_COLUMNS} FROM stored
         )
         SELECT leg.initial_contact_id, (SELECT array_agg(segment_id) FROM stored) AS stored,
                (SELECT json_agg(timeline) FROM timeline) AS timeline,
                (SELECT row_to_json(s) FROM (SELECT ${STATE_COLUMNS} FROM contact_sentiment c
                                              WHERE c.tenant_id = $1 AND c.initial_contact_id = leg.initial_contact_id) s) AS state
           FROM leg`,
        [
          tenantId,
          contactId,
          first.instanceArn ?? null,
          first.channel,
          times.length ? new Date(Math.min(...times)) : null,
          legBatches.find((b) => b.languageCode)?.languageCode ?? null,
          legBatches.some((b) => b.stream),
          streamCompleted,
          first.source,
          JSON.stringify(turns),
        ],
      );
      const initial = rows[0]!.initial_contact_id;
      const accepted = (rows[0]!.stored ?? []).reduce((n, id) => n + (weight.get(id) ?? 1), 0);
      result.accepted += accepted;
      result.duplicates += utterances.length - accepted;
      if (accepted > 0 || streamCompleted) changed.add(initial);
      result.snapshots.set(initial, { ...parseSnapshot(rows[0]!.timeline, rows[0]!.state), version });
      const categories = [...new Set(legBatches.flatMap((b) => b.categories))];
      if (categories.length) {
        const added = await this.db.query(
          `INSERT INTO contact_sentiment AS s (tenant_id, initial_contact_id, categories) VALUES ($1, $2, $3::text[])
           ON CONFLICT (tenant_id, initial_contact_id) DO UPDATE
             SET categories = (SELECT array_agg(DISTINCT c ORDER BY c) FROM unnest(s.categories || EXCLUDED.categories) c),
                 updated_at = now()
             WHERE NOT (EXCLUDED.categories <@ s.categories)
           RETURNING 1`,
          [tenantId, initial, categories],
        );
        if (added.length) {
          changed.add(initial);
          result.snapshots.delete(initial); // its state changed after the snapshot
        }
      }
    }
    result.changed = [...changed];
    for (const id of result.snapshots.keys()) if (!changed.has(id)) result.snapshots.delete(id);
    return result;
  }

  /** Customer turns not scored yet (Contact Lens gave no sentiment), with their text for the scorer. */
  async unscoredCustomerTurns(
    tenantId: string,
    initialContactId: string,
    limit = 50,
  ): Promise<UnscoredRow[]> {
    const rows = await this.db.query<{
      contact_id: string;
      segment_id: string;
      text: string;
      language_code: string | null;
    }>(
      `SELECT u.contact_id, u.segment_id, u.text, l.language_code
         FROM sentiment_utterances u
         LEFT JOIN contact_lens_legs l ON l.tenant_id = u.tenant_id AND l.contact_id = u.contact_id
        WHERE u.tenant_id = $1 AND u.initial_contact_id = $2 AND u.participant = 'CUSTOMER' AND u.score IS NULL
        ORDER BY u.begin_offset_ms LIMIT $3`,
      [tenantId, initialContactId, limit],
    );
    return rows.map((r) => ({
      contactId: r.contact_id,
      segmentId: r.segment_id,
      text: r.text,
      languageCode: r.language_code,
    }));
  }

  /**
   * The conversation's last turns with their text, in spoken order (legs laid end to end as in the
   * timeline), and the customer's language. For the agent's sidebar and suggestions only: never logged.
   */
  async transcript(tenantId: string, initialContactId: string, limit = 50): Promise<TranscriptTurn[]> {
    const rows = await this.db.query<
      RawTimelineRow & { segment_id: string; text: string; language_code: string | null }
    >(
      `SELECT ${RETURNED_COLUMNS}, u.segment_id, u.text, l.language_code
         FROM sentiment_utterances u
         LEFT JOIN contact_lens_legs l ON l.tenant_id = u.tenant_id AND l.contact_id = u.contact_id
        WHERE u.tenant_id = $1 AND u.initial_contact_id = $2`,
      [tenantId, initialContactId],
    );
    const turns = rows.map((r) => ({
      ...toTimelineRow(r),
      id: `${r.contact_id}:${r.segment_id}`,
      text: r.text,
      languageCode: r.language_code,
    }));
    return placeRows(turns)
      .sort((a, b) => a.t - b.t || a.receivedAt - b.receivedAt)
      .slice(-limit)
      .map((p) => ({
        id: p.id,
        participant: p.participant,
        text: p.text,
        sentiment: p.sentiment,
        score: p.score,
        t: p.t,
        languageCode: p.languageCode,
      }));
  }

  /** Stores provider scores; a turn whose text changed since it was read keeps waiting for a new score. */
  async setProviderScores(
    tenantId: string,
    scores: Array<{ contactId: string; segmentId: string; text: string; score: number }>,
  ): Promise<void> {
    if (scores.length === 0) return;
    await this.db.query(
      `UPDATE sentiment_utterances u SET score = s.score, score_source = 'provider'
         FROM jsonb_to_recordset($2::jsonb) AS s(contact_id text, segment_id text, text text, score real)
        WHERE u.tenant_id = $1 AND u.contact_id = s.contact_id AND u.segment_id = s.segment_id
          AND u.score IS NULL AND u.text = s.text`,
      [
        tenantId,
        JSON.stringify(
          scores.map((s) => ({
            contact_id: s.contactId,
            segment_id: s.segmentId,
            text: s.text,
            score: s.score,
          })),
        ),
      ],
    );
  }

  /** The timeline and the conversation state in one round trip (the hot path of every update). */
  async timelineAndState(
    tenantId: string,
    initialContactId: string,
  ): Promise<{ rows: TimelineRow[]; state: ConversationState | null }> {
    const rows = await this.db.query<{
      timeline: RawTimelineRow[] | string | null;
      state: RawState | string | null;
    }>(
      `SELECT (SELECT json_agg(t) FROM (SELECT ${TIMELINE_COLUMNS} FROM sentiment_utterances
                                         WHERE tenant_id = $1 AND initial_contact_id = $2) t) AS timeline,
              (SELECT row_to_json(s) FROM (SELECT ${STATE_COLUMNS} FROM contact_sentiment
                                            WHERE tenant_id = $1 AND initial_contact_id = $2) s) AS state`,
      [tenantId, initialContactId],
    );
    return parseSnapshot(rows[0]?.timeline ?? null, rows[0]?.state ?? null);
  }

  async timeline(tenantId: string, initialContactId: string): Promise<TimelineRow[]> {
    const rows = await this.db.query<RawTimelineRow>(
      `SELECT contact_id, participant, sentiment, score, score_source, begin_offset_ms, end_offset_ms, received_at
         FROM sentiment_utterances WHERE tenant_id = $1 AND initial_contact_id = $2`,
      [tenantId, initialContactId],
    );
    return rows.map(toTimelineRow);
  }

  async state(tenantId: string, initialContactId: string): Promise<ConversationState | null> {
    const rows = await this.db.query<RawState>(
      `SELECT ${STATE_COLUMNS} FROM contact_sentiment WHERE tenant_id = $1 AND initial_contact_id = $2`,
      [tenantId, initialContactId],
    );
    return rows[0] ? toState(rows[0]) : null;
  }

  /** Records the alert as last computed; returns true when it changed (raised or cleared). */
  async recordAlert(
    tenantId: string,
    initialContactId: string,
    active: boolean,
    raised: number,
  ): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO contact_sentiment AS s (tenant_id, initial_contact_id, alert_active, alert_raised, alert_changed_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (tenant_id, initial_contact_id) DO UPDATE
         SET alert_active = EXCLUDED.alert_active, alert_raised = GREATEST(s.alert_raised, EXCLUDED.alert_raised),
             alert_changed_at = now(), updated_at = now()
         WHERE s.alert_active IS DISTINCT FROM EXCLUDED.alert_active OR s.alert_raised < EXCLUDED.alert_raised
       RETURNING 1`,
      [tenantId, initialContactId, active, raised],
    );
    return rows.length > 0 && (active || raised > 0);
  }

  // --- legs and polling -----------------------------------------------------------------------

  /** Creates or updates a leg from its contact events; returns it as stored. */
  async upsertLeg(
    tenantId: string,
    leg: {
      contactId: string;
      initialContactId: string;
      instanceArn: string;
      channel: ContactLensChannel;
      originAt: Date | null;
      startPolling: boolean;
      ended: boolean;
    },
  ): Promise<LegRecord> {
    const rows = await this.db.query<LegRow>(
      `INSERT INTO contact_lens_legs AS l (tenant_id, contact_id, initial_contact_id, instance_arn, channel, origin_at,
                                           poll_started_at, ended_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END, CASE WHEN $8 THEN now() END)
       ON CONFLICT (tenant_id, contact_id) DO UPDATE SET
         initial_contact_id = EXCLUDED.initial_contact_id,
         instance_arn = COALESCE(l.instance_arn, EXCLUDED.instance_arn),
         channel = EXCLUDED.channel,
         -- Never moved once set: chat offsets already stored are measured from it.
         origin_at = COALESCE(l.origin_at, EXCLUDED.origin_at),
         poll_started_at = COALESCE(l.poll_started_at, EXCLUDED.poll_started_at),
         ended_at = COALESCE(l.ended_at, EXCLUDED.ended_at)
       RETURNING ${LEG_COLUMNS}`,
      [
        tenantId,
        leg.contactId,
        leg.initialContactId,
        leg.instanceArn,
        leg.channel,
        leg.originAt,
        leg.startPolling,
        leg.ended,
      ],
      { prepared: true },
    );
    return toLeg(rows[0]!);
  }

  async leg(tenantId: string, contactId: string): Promise<LegRecord | null> {
    const rows = await this.db.query<LegRow>(
      `SELECT * FROM contact_lens_legs WHERE tenant_id = $1 AND contact_id = $2`,
      [tenantId, contactId],
    );
    return rows[0] ? toLeg(rows[0]) : null;
  }

  async recordPoll(
    tenantId: string,
    contactId: string,
    p: { nextToken: string | null; newSegments: boolean; intervalMs: number },
  ): Promise<void> {
    await this.db.query(
      `UPDATE contact_lens_legs SET next_token = COALESCE($3, next_token), polls = polls + 1, last_poll_at = now(),
              last_segment_at = CASE WHEN $4 THEN now() ELSE last_segment_at END, interval_ms = $5
        WHERE tenant_id = $1 AND contact_id = $2`,
      [tenantId, contactId, p.nextToken, p.newSegments, p.intervalMs],
    );
  }

  async stopPolling(tenantId: string, contactId: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE contact_lens_legs SET stopped_at = COALESCE(stopped_at, now()), stop_reason = COALESCE(stop_reason, $3)
        WHERE tenant_id = $1 AND contact_id = $2`,
      [tenantId, contactId, reason],
    );
  }

  /** Moves segments stored before their leg was known onto the right conversation. */
  async rehome(tenantId: string, initialContactId: string, legIds: string[]): Promise<string[]> {
    if (legIds.length === 0) return [];
    // One statement: rows of a leg stored before its conversation was known move onto it.
    const moved = await this.db.query<{ old: string }>(
      `WITH legs AS (
         UPDATE contact_lens_legs SET initial_contact_id = $2
          WHERE tenant_id = $1 AND contact_id = ANY($3::text[]) AND initial_contact_id <> $2
          RETURNING contact_id
       ), m AS (
         UPDATE sentiment_utterances u SET initial_contact_id = $2
           FROM (SELECT contact_id, initial_contact_id AS old FROM sentiment_utterances
                  WHERE tenant_id = $1 AND contact_id = ANY($3::text[]) AND initial_contact_id <> $2) o
          WHERE u.tenant_id = $1 AND u.contact_id = o.contact_id AND u.initial_contact_id = o.old
          RETURNING o.old)
       SELECT DISTINCT old FROM m`,
      [tenantId, initialContactId, legIds],
    );
    return moved.map((r) => r.old);
  }

  /** Legs with segments or a post-call output: the ones a final sentiment is made of. */
  async analysedLegs(
    tenantId: string,
    initialContactId: string,
  ): Promise<Array<{ contactId: string; polling: boolean; hasPostCall: boolean }>> {
    const rows = await this.db.query<{ contact_id: string; polling: boolean; has_post_call: boolean }>(
      `SELECT x.contact_id,
              EXISTS (SELECT 1 FROM contact_lens_legs l WHERE l.tenant_id = $1 AND l.contact_id = x.contact_id
                         AND l.poll_started_at IS NOT NULL AND l.stopped_at IS NULL) AS polling,
              EXISTS (SELECT 1 FROM contact_lens_post_call p WHERE p.tenant_id = $1 AND p.contact_id = x.contact_id) AS has_post_call
         FROM (SELECT DISTINCT contact_id FROM sentiment_utterances WHERE tenant_id = $1 AND initial_contact_id = $2
               UNION SELECT contact_id FROM contact_lens_post_call WHERE tenant_id = $1 AND initial_contact_id = $2) x`,
      [tenantId, initialContactId],
    );
    return rows.map((r) => ({ contactId: r.contact_id, polling: r.polling, hasPostCall: r.has_post_call }));
  }

  async hasLegs(tenantId: string, initialContactId: string): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 FROM contact_lens_legs WHERE tenant_id = $1 AND initial_contact_id = $2
       UNION ALL SELECT 1 FROM contact_lens_post_call WHERE tenant_id = $1 AND initial_contact_id = $2 LIMIT 1`,
      [tenantId, initialContactId],
    );
    return rows.length > 0;
  }

  /** Polling legs whose job seems lost (Redis flushed, job failed for good): the sweeper revives them. */
  async stalePolls(
    olderThanMs: number,
    limit = 200,
  ): Promise<Array<{ tenantId: string; contactId: string; initialContactId: string }>> {
    const rows = await this.db.query<{ tenant_id: string; contact_id: string; initial_contact_id: string }>(
      `SELECT tenant_id, contact_id, initial_contact_id FROM contact_lens_legs
        WHERE poll_started_at IS NOT NULL AND stopped_at IS NULL
          AND COALESCE(last_poll_at, poll_started_at) < now() - ($1::int * interval '1 millisecond')
        ORDER BY last_poll_at NULLS FIRST LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      contactId: r.contact_id,
      initialContactId: r.initial_contact_id,
    }));
  }

  // --- post-call and the final sentiment ----------------------------------------------------

  /** Stores a leg's post-call figures once; false when they were stored before. */
  async storePostCall(
    tenantId: string,
    initialContactId: string,
    p: {
      contactId: string;
      channel: string;
      durationMs?: number;
      customerOverall?: number;
      agentOverall?: number;
      customerQuarters: PostCallRecord['customerQuarters'];
      customerShift?: { begin: number; end: number };
    },
  ): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO contact_lens_post_call (tenant_id, contact_id, initial_contact_id, channel, duration_ms,
                                          customer_overall, agent_overall, customer_quarters, customer_shift)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)
       ON CONFLICT (tenant_id, contact_id) DO NOTHING RETURNING 1`,
      [
        tenantId,
        p.contactId,
        initialContactId,
        p.channel,
        p.durationMs ?? null,
        p.customerOverall ?? null,
        p.agentOverall ?? null,
        JSON.stringify(p.customerQuarters),
        p.customerShift ? JSON.stringify(p.customerShift) : null,
      ],
    );
    return rows.length > 0;
  }

  async postCalls(tenantId: string, initialContactId: string): Promise<PostCallRecord[]> {
    const rows = await this.db.query<{
      contact_id: string;
      duration_ms: number | null;
      customer_overall: number | null;
      customer_quarters: PostCallRecord['customerQuarters'] | string;
    }>(
      `SELECT contact_id, duration_ms, customer_overall, customer_quarters FROM contact_lens_post_call
        WHERE tenant_id = $1 AND initial_contact_id = $2 ORDER BY received_at`,
      [tenantId, initialContactId],
    );
    return rows.map((r) => ({
      contactId: r.contact_id,
      durationMs: r.duration_ms,
      customerOverall: r.customer_overall === null ? null : Number(r.customer_overall),
      customerQuarters:
        typeof r.customer_quarters === 'string'
          ? (JSON.parse(r.customer_quarters) as PostCallRecord['customerQuarters'])
          : r.customer_quarters,
    }));
  }

  /** Whether this tenant delivers post-call outputs at all (then a final waits for them). */
  async tenantSendsPostCall(tenantId: string, withinMs = 30 * 24 * 3600_000): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 FROM contact_lens_post_call WHERE tenant_id = $1
          AND received_at > now() - ($2::bigint * interval '1 millisecond') LIMIT 1`,
      [tenantId, withinMs],
    );
    return rows.length > 0;
  }

  /** The conversation ended: the final is due at `dueAt` unless already scheduled. Returns the due time. */
  async markEnded(tenantId: string, initialContactId: string, dueAt: Date): Promise<number> {
    const rows = await this.db.query<{ final_due_at: Date | string }>(
      `INSERT INTO contact_sentiment AS s (tenant_id, initial_contact_id, ended_at, final_due_at)
       VALUES ($1, $2, now(), $3)
       ON CONFLICT (tenant_id, initial_contact_id) DO UPDATE
         SET ended_at = COALESCE(s.ended_at, now()), final_due_at = COALESCE(s.final_due_at, EXCLUDED.final_due_at)
       RETURNING final_due_at`,
      [tenantId, initialContactId, dueAt],
      { prepared: true },
    );
    return new Date(rows[0]!.final_due_at).getTime();
  }

  async setFinalDue(tenantId: string, initialContactId: string, dueAt: Date): Promise<number> {
    const rows = await this.db.query<{ final_due_at: Date | string }>(
      `INSERT INTO contact_sentiment AS s (tenant_id, initial_contact_id, final_due_at) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, initial_contact_id) DO UPDATE SET final_due_at = COALESCE(s.final_due_at, EXCLUDED.final_due_at)
       RETURNING final_due_at`,
      [tenantId, initialContactId, dueAt],
    );
    return new Date(rows[0]!.final_due_at).getTime();
  }

  /** Takes the right to write the final note for leaseMs; false if written, settled or held by another. */
  async claimFinal(
    tenantId: string,
    initialContactId: string,
    owner: string,
    leaseMs: number,
  ): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO contact_sentiment AS s (tenant_id, initial_contact_id, final_claim_owner, final_claim_until)
       VALUES ($1, $2, $3, now() + ($4::int * interval '1 millisecond'))
       ON CONFLICT (tenant_id, initial_contact_id) DO UPDATE
         SET final_claim_owner = EXCLUDED.final_claim_owner, final_claim_until = EXCLUDED.final_claim_until
         WHERE (s.final_status IS NULL OR s.final_status = 'skipped')
           AND (s.final_claim_until IS NULL OR s.final_claim_until < now() OR s.final_claim_owner = EXCLUDED.final_claim_owner)
       RETURNING 1`,
      [tenantId, initialContactId, owner, leaseMs],
    );
    return rows.length > 0;
  }

  async releaseFinal(tenantId: string, initialContactId: string, owner: string): Promise<void> {
    await this.db.query(
      `UPDATE contact_sentiment SET final_claim_owner = NULL, final_claim_until = NULL
        WHERE tenant_id = $1 AND initial_contact_id = $2 AND final_claim_owner = $3`,
      [tenantId, initialContactId, owner],
    );
  }

  async settleFinal(
    tenantId: string,
    initialContactId: string,
    s: {
      status: 'written' | 'skipped' | 'failed';
      ticketId?: number;
      final?: FinalSentiment;
      error?: string;
    },
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO contact_sentiment AS s (tenant_id, initial_contact_id, final_status, final_written_at, final_ticket_id, final, final_error)
       VALUES ($1, $2, $3, CASE WHEN $3 = 'written' THEN now() END, $4, $5::jsonb, $6)
       ON CONFLICT (tenant_id, initial_contact_id) DO UPDATE
         SET final_status = EXCLUDED.final_status, final_written_at = EXCLUDED.final_written_at,
             final_ticket_id = EXCLUDED.final_ticket_id, final = EXCLUDED.final, final_error = EXCLUDED.final_error,
             final_claim_owner = NULL, final_claim_until = NULL, updated_at = now()
         WHERE s.final_status IS NULL OR s.final_status = 'skipped'`,
      [
        tenantId,
        initialContactId,
        s.status,
        s.ticketId ?? null,
        s.final ? JSON.stringify(s.final) : null,
        s.error?.slice(0, 500) ?? null,
      ],
    );
  }

  /** Finals past due that no job settled (Redis lost the job): the sweeper re-enqueues them. */
  async overdueFinals(
    olderThanMs: number,
    limit = 200,
  ): Promise<Array<{ tenantId: string; initialContactId: string }>> {
    const rows = await this.db.query<{ tenant_id: string; initial_contact_id: string }>(
      `SELECT tenant_id, initial_contact_id FROM contact_sentiment
        WHERE final_status IS NULL AND final_due_at < now() - ($1::int * interval '1 millisecond')
        ORDER BY final_due_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, initialContactId: r.initial_contact_id }));
  }
}

const TIMELINE_COLUMNS =
  'contact_id, participant, sentiment, score, score_source, begin_offset_ms, end_offset_ms, received_at';

const RETURNED_COLUMNS = TIMELINE_COLUMNS.split(', ')
  .map((c) => `u.${c}`)
  .join(', ');

function parseSnapshot(
  timeline: RawTimelineRow[] | string | null,
  state: RawState | string | null,
): { rows: TimelineRow[]; state: ConversationState | null } {
  const list = typeof timeline === 'string' ? (JSON.parse(timeline) as RawTimelineRow[]) : (timeline ?? []);
  const st = typeof state === 'string' ? (JSON.parse(state) as RawState) : state;
  return { rows: list.map(toTimelineRow), state: st ? toState(st) : null };
}

const STATE_COLUMNS =
  'categories, alert_active, alert_raised, ended_at, final_due_at, final_status, final_written_at, final';

interface RawTimelineRow {
  contact_id: string;
  participant: string;
  sentiment: SentimentLabel | null;
  score: number | string | null;
  score_source: TimelineRow['scoreSource'];
  begin_offset_ms: number;
  end_offset_ms: number;
  received_at: Date | string;
}

interface RawState {
  categories: string[] | null;
  alert_active: boolean;
  alert_raised: number;
  ended_at: Date | string | null;
  final_due_at: Date | string | null;
  final_status: ConversationState['finalStatus'];
  final_written_at: Date | string | null;
  final: FinalSentiment | string | null;
}

const toTimelineRow = (r: RawTimelineRow): TimelineRow => ({
  contactId: r.contact_id,
  participant: r.participant,
  sentiment: r.sentiment,
  score: r.score === null ? null : Number(r.score),
  scoreSource: r.score_source,
  beginOffsetMs: r.begin_offset_ms,
  endOffsetMs: r.end_offset_ms,
  receivedAt: new Date(r.received_at).getTime(),
});

const toState = (r: RawState): ConversationState => ({
  categories: r.categories ?? [],
  alertActive: r.alert_active,
  alertRaised: r.alert_raised,
  endedAt: ms(r.ended_at),
  finalDueAt: ms(r.final_due_at),
  finalStatus: r.final_status,
  finalWrittenAt: r.final_written_at === null ? null : new Date(r.final_written_at).toISOString(),
  final: typeof r.final === 'string' ? (JSON.parse(r.final) as FinalSentiment) : r.final,
});

/** LegRow's columns: spelled out, so the upsert can be a prepared statement (see QueryOptions). */
const LEG_COLUMNS = `tenant_id, contact_id, initial_contact_id, instance_arn, channel, origin_at, poll_started_at,
  next_token, polls, last_segment_at, interval_ms, ended_at, stream_seen_at, stopped_at, stop_reason`;

interface LegRow {
  tenant_id: string;
  contact_id: string;
  initial_contact_id: string;
  instance_arn: string | null;
  channel: string;
  origin_at: Date | string | null;
  poll_started_at: Date | string | null;
  next_token: string | null;
  polls: number;
  last_segment_at: Date | string | null;
  interval_ms: number | null;
  ended_at: Date | string | null;
  stream_seen_at: Date | string | null;
  stopped_at: Date | string | null;
  stop_reason: string | null;
}

function toLeg(r: LegRow): LegRecord {
  return {
    tenantId: r.tenant_id,
    contactId: r.contact_id,
    initialContactId: r.initial_contact_id,
    instanceArn: r.instance_arn,
    channel: CHANNELS.has(r.channel) ? (r.channel as ContactLensChannel) : 'VOICE',
    originAt: ms(r.origin_at),
    pollStartedAt: ms(r.poll_started_at),
    nextToken: r.next_token,
    polls: r.polls,
    lastSegmentAt: ms(r.last_segment_at),
    intervalMs: r.interval_ms,
    endedAt: ms(r.ended_at),
    streamSeenAt: ms(r.stream_seen_at),
    stoppedAt: ms(r.stopped_at),
    stopReason: r.stop_reason,
  };
}

/**
 * One row per turn for the upsert (a statement may not touch a row twice): a finished turn wins over
 * pieces of it in the same batch; pieces of one turn are joined in order, each piece once. `weight`
 * is how many incoming segments each row stands for.
 */
function prepareTurns(utterances: Utterance[]): { turns: object[]; weight: Map<string, number> } {
  const byTurn = new Map<string, Utterance[]>();
  for (const u of utterances) byTurn.set(u.segmentId, [...(byTurn.get(u.segmentId) ?? []), u]);
  const turns: object[] = [];
  const weight = new Map<string, number>();
  for (const [segmentId, group] of byTurn) {
    const finished = group.find((u) => !u.partial);
    const seen = new Set<string>();
    const pieces = finished
      ? []
      : group.filter((u) => {
          const key = u.pieceId ?? u.segmentId;
          return !seen.has(key) && seen.add(key);
        });
    const parts = finished ? [finished] : pieces;
    let text = '';
    const issues: Array<[number, number]> = [];
    for (const p of parts) {
      const shift = text ? text.length + 1 : 0;
      for (const [b, e] of p.issues ?? []) issues.push([b + shift, e + shift]);
      text = text ? `${text} ${p.text}` : p.text;
    }
    const last = parts.at(-1)!;
    const sentiment = [...parts].reverse().find((p) => p.sentiment)?.sentiment;
    const s = scored(sentiment);
    weight.set(segmentId, parts.length);
    turns.push({
      segment_id: segmentId,
      participant: last.participant,
      text,
      partial: !finished,
      piece_ids: finished ? [] : parts.map((p) => p.pieceId ?? p.segmentId),
      sentiment: sentiment ?? null,
      score: s.score,
      score_source: s.scoreSource,
      begin_offset_ms: clampInt(Math.min(...parts.map((p) => p.beginOffsetMs))),
      end_offset_ms: clampInt(Math.max(...parts.map((p) => Math.max(p.endOffsetMs, p.beginOffsetMs)))),
      at_ms: finished?.atMs ?? parts[0]!.atMs ?? null,
      issues: issues.length ? issues : null,
    });
  }
  return { turns, weight };
}

const TURN_COLUMNS = `contact_id text, segment_id text, participant text, text text, partial boolean, piece_ids text[],
                   sentiment text, score real, score_source text, begin_offset_ms integer, end_offset_ms integer,
                   at_ms bigint, issues jsonb`;

function scored(label: SentimentLabel | undefined): {
  score: number | null;
  scoreSource: 'contact_lens' | null;
} {
  return label
    ? { score: scoreOfLabel(label), scoreSource: 'contact_lens' }
    : { score: null, scoreSource: null };
}

const clampInt = (v: number) => Math.max(-2_000_000_000, Math.min(2_000_000_000, Math.round(v)));
