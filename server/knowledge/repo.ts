import type { Db, Queryable } from '../store/db';
import type { GapImpact } from './gaps';
import type { TicketDoc } from './tickets';

/** Storage of the knowledge loop: settings, exported tickets, runs, versioned gaps, drafts. */

export interface KnowledgeSettings {
  everyMs: number;
  approverGroupId: number | null;
  draftMinSize: number;
  lookbackDays: number;
  permissionGroupId: number | null;
}

export const DEFAULT_SETTINGS: KnowledgeSettings = {
  everyMs: 7 * 24 * 3600_000,
  approverGroupId: null,
  draftMinSize: 8,
  lookbackDays: 90,
  permissionGroupId: null,
};

export type RunStage = 'export' | 'analyze' | 'draft' | 'done' | 'failed';

export interface Run {
  id: string;
  trigger: 'schedule' | 'manual';
  stage: RunStage;
  exported: number;
  stats: Record<string, unknown>;
  error: string | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface StoredGap {
  id: string;
  signature: string;
  label: string;
  size: number;
  ticketIds: number[];
  coverage: number;
  topArticle: { id: number; title: string } | null;
  questions: string[];
  impact: GapImpact;
  centroid: Record<string, number>;
  version: number;
  status: 'open' | 'covered';
  firstSeenAt: string;
  lastSeenAt: string;
  lastRun: string;
}

export interface StoredTicket extends TicketDoc {
  solvedAt: number;
  channel: string | null;
}

const iso = (v: unknown): string => new Date(v as string).toISOString();
const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));

interface RunRow {
  id: string;
  trigger: Run['trigger'];
  stage: RunStage;
  exported: number;
  stats: Record<string, unknown> | string;
  error: string | null;
  started_at: unknown;
  updated_at: unknown;
  finished_at: unknown;
}
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const runOf = (r: RunRow): Run => ({
  id: r.id,
  trigger: r.trigger,
  stage: r.stage,
  exported: Number(r.exported),
  stats: json(r.stats),
  error: r.error,
  startedAt: iso(r.started_at),
  updatedAt: iso(r.updated_at),
  finishedAt: isoOrNull(r.finished_at),
});

interface GapRow {
  id: string;
  signature: string;
  label: string;
  size: number;
  ticket_ids: Array<string | number>;
  coverage: number;
  top_article_id: string | null;
  top_article_title: string | null;
  questions: string[] | string;
  impact: GapImpact | string;
  centroid: Record<string, number> | string;
  version: number;
  status: StoredGap['status'];
  first_seen_at: unknown;
  last_seen_at: unknown;
  last_run: string;
}
const GAP_COLUMNS = `id, signature, label, size, ticket_ids, coverage, top_article_id::text, top_article_title, questions,
  impact, centroid, version, status, first_seen_at, last_seen_at, last_run`;
const gapOf = (r: GapRow): StoredGap => ({
  id: r.id,
  signature: r.signature,
  label: r.label,
  size: Number(r.size),
  ticketIds: r.ticket_ids.map(Number),
  coverage: Number(r.coverage),
  topArticle:
    r.top_article_id === null ? null : { id: Number(r.top_article_id), title: r.top_article_title ?? '' },
  questions: json(r.questions),
  impact: json(r.impact),
  centroid: json(r.centroid),
  version: Number(r.version),
  status: r.status,
  firstSeenAt: iso(r.first_seen_at),
  lastSeenAt: iso(r.last_seen_at),
  lastRun: r.last_run,
});

export class KnowledgeRepo {
  constructor(readonly db: Db) {}

  async settings(tenantId: string): Promise<KnowledgeSettings> {
    const rows = await this.db.query<{
      every_ms: string;
      approver_group_id: string | null;
      draft_min_size: number;
      lookback_days: number;
      permission_group_id: string | null;
    }>(
      `SELECT every_ms::text, approver_group_id::text, draft_min_size, lookback_days, permission_group_id::text
         FROM knowledge_settings WHERE tenant_id = $1`,
      [tenantId],
    );
    const r = rows[0];
    if (!r) return { ...DEFAULT_SETTINGS };
    return {
      everyMs: Number(r.every_ms),
      approverGroupId: r.approver_group_id === null ? null : Number(r.approver_group_id),
      draftMinSize: Number(r.draft_min_size),
      lookbackDays: Number(r.lookback_days),
      permissionGroupId: r.permission_group_id === null ? null : Number(r.permission_group_id),
    };
  }

  async saveSettings(tenantId: string, patch: Partial<KnowledgeSettings>): Promise<KnowledgeSettings> {
    const next = { ...(await this.settings(tenantId)), ...patch };
    await this.db.query(
      `INSERT INTO knowledge_settings (tenant_id, every_ms, approver_group_id, draft_min_size, lookback_days, permission_group_id)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id) DO UPDATE SET every_ms = EXCLUDED.every_ms, approver_group_id = EXCLUDED.approver_group_id,
         draft_min_size = EXCLUDED.draft_min_size, lookback_days = EXCLUDED.lookback_days,
         permission_group_id = EXCLUDED.permission_group_id, updated_at = now()`,
      [
        tenantId,
        next.everyMs,
        next.approverGroupId,
        next.draftMinSize,
        next.lookbackDays,
        next.permissionGroupId,
      ],
    );
    return next;
  }

  // --- export -------------------------------------------------------------------------------------

  async exportState(tenantId: string): Promise<{ cursor: string | null; startTime: number | null }> {
    const rows = await this.db.query<{ cursor: string | null; start_time: string | null }>(
      `SELECT cursor, start_time::text FROM knowledge_export_state WHERE tenant_id = $1`,
      [tenantId],
    );
    const r = rows[0];
    return { cursor: r?.cursor ?? null, startTime: r?.start_time ? Number(r.start_time) : null };
  }

  /** Stores one export page's solved tickets and moves the cursor in the same transaction. */
  async savePage(
    tenantId: string,
    runId: string,
    tickets: StoredTicket[],
    cursor: { cursor: string | null; startTime: number | null },
  ): Promise<void> {
    await this.db.tx(async (q) => {
      if (tickets.length) {
        await q.query(
          `INSERT INTO knowledge_tickets (tenant_id, ticket_id, question, answer, channel, created_at, solved_at, handle_minutes, reopened)
           SELECT $1, t.id, t.question, t.answer, t.channel, t.created_at, t.solved_at, t.handle_minutes, t.reopened
             FROM jsonb_to_recordset($2::jsonb) AS t(id bigint, question text, answer text, channel text, created_at timestamptz,
                                                     solved_at timestamptz, handle_minutes real, reopened boolean)
           ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET question = EXCLUDED.question, answer = EXCLUDED.answer,
             channel = EXCLUDED.channel, solved_at = EXCLUDED.solved_at, handle_minutes = EXCLUDED.handle_minutes,
             reopened = EXCLUDED.reopened`,
          [
            tenantId,
            JSON.stringify(
              tickets.map((t) => ({
                id: t.id,
                question: t.question,
                answer: t.answer ?? null,
                channel: t.channel,
                created_at: Number.isFinite(t.createdAt) ? new Date(t.createdAt).toISOString() : null,
                solved_at: new Date(t.solvedAt).toISOString(),
                handle_minutes: t.handleMinutes,
                reopened: t.reopened,
              })),
            ),
          ],
        );
      }
      await q.query(
        `INSERT INTO knowledge_export_state (tenant_id, cursor, start_time, tickets_seen, updated_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (tenant_id) DO UPDATE SET cursor = EXCLUDED.cursor, start_time = EXCLUDED.start_time,
           tickets_seen = knowledge_export_state.tickets_seen + EXCLUDED.tickets_seen, updated_at = now()`,
        [tenantId, cursor.cursor, cursor.startTime, tickets.length],
      );
      await q.query(
        `UPDATE knowledge_runs SET exported = exported + $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
        [tenantId, runId, tickets.length],
      );
    });
  }

  /** Solved tickets of the window, oldest first (so the analysis sees them in time order). */
  async *tickets(tenantId: string, sinceMs: number, batch = 5000): AsyncGenerator<StoredTicket> {
    let after = -1;
    for (;;) {
      const rows = await this.db.query<{
        ticket_id: string;
        question: string;
        answer: string | null;
        channel: string | null;
        created_at: unknown;
        solved_at: unknown;
        handle_minutes: number;
        reopened: boolean;
      }>(
        `SELECT ticket_id::text, question, answer, channel, created_at, solved_at, handle_minutes, reopened
           FROM knowledge_tickets WHERE tenant_id = $1 AND solved_at >= $2 AND ticket_id > $3
          ORDER BY ticket_id LIMIT $4`,
        [tenantId, new Date(sinceMs).toISOString(), after, batch],
      );
      for (const r of rows) {
        yield {
          id: Number(r.ticket_id),
          question: r.question,
          ...(r.answer ? { answer: r.answer } : {}),
          createdAt: r.created_at ? Date.parse(iso(r.created_at)) : NaN,
          solvedAt: Date.parse(iso(r.solved_at)),
          handleMinutes: Number(r.handle_minutes),
          reopened: r.reopened,
          channel: r.channel,
        };
      }
      if (rows.length < batch) return;
      after = Number(rows.at(-1)!.ticket_id);
    }
  }

  async answers(
    tenantId: string,
    ticketIds: number[],
  ): Promise<Array<{ ticketId: number; question: string; answer: string | null }>> {
    const rows = await this.db.query<{ ticket_id: string; question: string; answer: string | null }>(
      `SELECT ticket_id::text, question, answer FROM knowledge_tickets WHERE tenant_id = $1 AND ticket_id = ANY($2::bigint[])
        ORDER BY ticket_id`,
      [tenantId, ticketIds],
    );
    return rows.map((r) => ({ ticketId: Number(r.ticket_id), question: r.question, answer: r.answer }));
  }

  // --- runs ---------------------------------------------------------------------------------------

  /** The tenant's unfinished run, or a new one; a second request while one runs joins it. */
  async startRun(
    tenantId: string,
    id: string,
    trigger: Run['trigger'],
    requestedBy?: number,
  ): Promise<{ run: Run; created: boolean }> {
    const inserted = await this.db.query<RunRow>(
      `INSERT INTO knowledge_runs (tenant_id, id, trigger, stage, requested_by) VALUES ($1, $2, $3, 'export', $4)
       ON CONFLICT (tenant_id) WHERE stage NOT IN ('done', 'failed') DO NOTHING
       RETURNING *`,
      [tenantId, id, trigger, requestedBy ?? null],
    );
    if (inserted[0]) return { run: runOf(inserted[0]), created: true };
    const active = await this.activeRun(tenantId);
    if (active) return { run: active, created: false };
    return this.startRun(tenantId, id, trigger, requestedBy);
  }

  async activeRun(tenantId: string): Promise<Run | null> {
    const rows = await this.db.query<RunRow>(
      `SELECT * FROM knowledge_runs WHERE tenant_id = $1 AND stage NOT IN ('done', 'failed')`,
      [tenantId],
    );
    return rows[0] ? runOf(rows[0]) : null;
  }

  async run(tenantId: string, id: string): Promise<Run | null> {
    const rows = await this.db.query<RunRow>(
      `SELECT * FROM knowledge_runs WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0] ? runOf(rows[0]) : null;
  }

  async runs(tenantId: string, limit = 10): Promise<Run[]> {
    const rows = await this.db.query<RunRow>(
      `SELECT * FROM knowledge_runs WHERE tenant_id = $1 ORDER BY started_at DESC LIMIT $2`,
      [tenantId, limit],
    );
    return rows.map(runOf);
  }

  async setStage(
    tenantId: string,
    id: string,
    stage: RunStage,
    statsPatch: Record<string, unknown> = {},
    error?: string,
    q: Queryable = this.db,
  ): Promise<void> {
    await q.query(
      `UPDATE knowledge_runs SET stage = $3, stats = stats || $4::jsonb, error = $5, updated_at = now(),
              finished_at = CASE WHEN $3 IN ('done', 'failed') THEN now() ELSE finished_at END
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, stage, JSON.stringify(statsPatch), error ?? null],
    );
  }

  // --- gaps ---------------------------------------------------------------------------------------

  /** Every gap, open or covered: a covered gap that comes back is reopened, not duplicated. */
  async allGaps(tenantId: string, q: Queryable = this.db): Promise<StoredGap[]> {
    const rows = await q.query<GapRow>(`SELECT ${GAP_COLUMNS} FROM knowledge_gaps WHERE tenant_id = $1`, [
      tenantId,
    ]);
    return rows.map(gapOf);
  }

  async gaps(tenantId: string, status: StoredGap['status'] = 'open'): Promise<StoredGap[]> {
    const rows = await this.db.query<GapRow>(
      `SELECT ${GAP_COLUMNS} FROM knowledge_gaps WHERE tenant_id = $1 AND status = $2
        ORDER BY (impact->>'score')::real DESC, size DESC, id`,
      [tenantId, status],
    );
    return rows.map(gapOf);
  }

  async gap(tenantId: string, id: string): Promise<StoredGap | null> {
    const rows = await this.db.query<GapRow>(
      `SELECT ${GAP_COLUMNS} FROM knowledge_gaps WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0] ? gapOf(rows[0]) : null;
  }

  async gapCount(tenantId: string): Promise<number> {
    const rows = await this.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM knowledge_gaps WHERE tenant_id = $1`,
      [tenantId],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
