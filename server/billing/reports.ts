import type { Db } from '../store/db';
import { RESOLUTION_KINDS, type ResolutionKind } from './types';

/**
 * What admins see. Figures come from billing_daily (kept with every ledger insert), so a month costs a
 * few hundred rows however long the ledger is; today's billable count is read exactly from the ledger.
 *
 * - resolutions[kind]: resolutions solved that day, less those voided (by solve day).
 * - billable: automated resolutions whose window ended that day and that were not voided (by window-end
 *   day; only days up to now — later ones are still inside their window).
 * - credited: credits (reopens after billing) by the day of the reopen.
 */

export interface UsageDay {
  date: string;
  resolutions: Record<ResolutionKind, number>;
  voided: Record<ResolutionKind, number>;
  billable: number;
  credited: number;
}

export interface Usage {
  from: string;
  to: string;
  days: UsageDay[];
  totals: {
    resolutions: Record<ResolutionKind, number>;
    voided: number;
    billable: number;
    credited: number;
    net: number;
  };
  /** automated / all resolutions that stood, over the period; null without any. */
  automationRate: number | null;
  /** Automated resolutions still inside their window right now (not billable yet). */
  inWindow: number;
}

const zero = (): Record<ResolutionKind, number> => ({ automated: 0, ai_assisted: 0, human: 0 });
const DAY_MS = 86_400_000;
const isKind = (k: string): k is ResolutionKind => (RESOLUTION_KINDS as readonly string[]).includes(k);

export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export class BillingReports {
  constructor(private readonly db: Db) {}

  /** Usage by day and kind for [from, to] (UTC dates, inclusive). */
  async usage(tenantId: string, from: string, to: string, now: Date): Promise<Usage> {
    const today = now.toISOString().slice(0, 10);
    const [rows, todayRows, inWindowRows] = await Promise.all([
      this.db.query<{ day: string; kind: string; metric: string; n: number }>(
        `SELECT day::text AS day, kind, metric, n FROM billing_daily WHERE tenant_id = $1 AND day BETWEEN $2 AND $3`,
        [tenantId, from, to],
      ),
      today >= from && today <= to
        ? this.db.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM resolution_ledger l
              WHERE l.tenant_id = $1 AND l.kind = 'automated' AND l.entry = 'resolution'
                AND l.window_ends_at >= $2 AND l.window_ends_at <= $3
                AND NOT EXISTS (SELECT 1 FROM resolution_ledger r WHERE r.tenant_id = l.tenant_id
                                 AND r.entry_key = 'reversal:' || l.resolution_key AND r.entry = 'void')`,
            [tenantId, `${today}T00:00:00Z`, now.toISOString()],
          )
        : Promise.resolve([]),
      // Still inside their window: whole future days from the counters, the rest of today exactly.
      this.db.query<{ n: string }>(
        `SELECT ((SELECT coalesce(sum(CASE WHEN metric = 'due' THEN n ELSE -n END), 0) FROM billing_daily
                   WHERE tenant_id = $1 AND kind = 'automated' AND metric IN ('due', 'due_voided') AND day > $3::date)
               + (SELECT count(*) FROM resolution_ledger l
                   WHERE l.tenant_id = $1 AND l.kind = 'automated' AND l.entry = 'resolution'
                     AND l.window_ends_at > $2 AND l.window_ends_at < (($3::date + 1)::timestamp AT TIME ZONE 'UTC')
                     AND NOT EXISTS (SELECT 1 FROM resolution_ledger r WHERE r.tenant_id = l.tenant_id
                                      AND r.entry_key = 'reversal:' || l.resolution_key)))::text AS n`,
        [tenantId, now.toISOString(), today],
      ),
    ]);
    const byDay = new Map<string, UsageDay>(
      daysBetween(from, to).map((d) => [
        d,
        { date: d, resolutions: zero(), voided: zero(), billable: 0, credited: 0 },
      ]),
    );
    for (const r of rows) {
      const d = byDay.get(r.day);
      if (!d || !isKind(r.kind)) continue;
      if (r.metric === 'resolved') d.resolutions[r.kind] += r.n;
      else if (r.metric === 'voided') {
        d.resolutions[r.kind] -= r.n;
        d.voided[r.kind] += r.n;
      } else if (r.metric === 'due') d.billable += r.n;
      else if (r.metric === 'due_voided') d.billable -= r.n;
      else if (r.metric === 'credited') d.credited += r.n;
    }
    for (const d of byDay.values()) {
      if (d.date > today) d.billable = 0;
      else if (d.date === today) d.billable = Number(todayRows[0]?.n ?? 0);
    }
    const days = [...byDay.values()];
    const totals = {
      resolutions: zero(),
      voided: 0,
      billable: 0,
      credited: 0,
      net: 0,
    };
    for (const d of days) {
      for (const k of RESOLUTION_KINDS) {
        totals.resolutions[k] += d.resolutions[k];
        totals.voided += d.voided[k];
      }
      totals.billable += d.billable;
      totals.credited += d.credited;
    }
    totals.net = totals.billable - totals.credited;
    const all = RESOLUTION_KINDS.reduce((s, k) => s + totals.resolutions[k], 0);
    return {
      from,
      to,
      days,
      totals,
      automationRate: all > 0 ? Math.round((totals.resolutions.automated / all) * 10_000) / 10_000 : null,
      inWindow: Number(inWindowRows[0]?.n ?? 0),
    };
  }

  /** The resolutions behind a figure, with their evidence, newest first. */
  async resolutions(
    tenantId: string,
    q: {
      from: string;
      to: string;
      basis: 'solved' | 'billable' | 'credited';
      kind?: ResolutionKind;
      state?: ResolutionState;
      limit: number;
      /** Cursor from the previous page: newest first, by solve time then id. */
      before?: { solvedAt: string; id: number };
      ticketId?: number;
    },
    now: Date,
  ): Promise<{ resolutions: ResolutionView[]; nextCursor: string | null }> {
    const start = `${q.from}T00:00:00Z`;
    const end = new Date(Date.parse(`${q.to}T00:00:00Z`) + DAY_MS).toISOString();
    const range =
      q.basis === 'solved'
        ? `l.solved_at >= $2 AND l.solved_at < $3`
        : q.basis === 'billable'
          ? `l.kind = 'automated' AND l.window_ends_at >= $2 AND l.window_ends_at < $3 AND l.window_ends_at <= $4`
          : `r.entry = 'credit' AND r.occurred_at >= $2 AND r.occurred_at < $3`;
    const rows = await this.db.query<ViewRow>(
      `SELECT * FROM (
         SELECT l.id, l.ticket_id, l.resolution_key, l.kind, l.solved_at, l.window_ends_at, l.evidence,
                r.entry AS reversal, r.occurred_at AS reversal_at, r.reason AS reversal_reason,
                c.outcome AS check_outcome, m.usage_hour AS metered_hour, m.status AS metering_status,
                CASE WHEN r.entry = 'void' THEN 'voided'
                     WHEN r.entry = 'credit' THEN 'credited'
                     WHEN l.kind <> 'automated' THEN 'not_billable'
                     WHEN l.window_ends_at > $4 THEN 'in_window'
                     ELSE 'billable' END AS state
           FROM resolution_ledger l
           LEFT JOIN resolution_ledger r ON r.tenant_id = l.tenant_id AND r.entry_key = 'reversal:' || l.resolution_key
           LEFT JOIN resolution_checks c ON c.tenant_id = l.tenant_id AND c.resolution_key = l.resolution_key
           LEFT JOIN metered_entries me ON me.ledger_id = l.id
           LEFT JOIN metering_records m ON m.id = me.record_id
          WHERE l.tenant_id = $1 AND l.entry = 'resolution' AND ${range}
            AND ($5::text IS NULL OR l.kind = $5)
            AND ($6::timestamptz IS NULL OR (l.solved_at, l.id) < ($6::timestamptz, $11::bigint))
            AND ($8::bigint IS NULL OR l.ticket_id = $8)
       ) x
       WHERE ($7::text IS NULL OR x.state = $7)
         AND ($9::text <> 'billable' OR x.state IN ('billable', 'credited'))
       ORDER BY x.solved_at DESC, x.id DESC LIMIT $10`,
      [
        tenantId,
        start,
        end,
        now.toISOString(),
        q.kind ?? null,
        q.before?.solvedAt ?? null,
        q.state ?? null,
        q.ticketId ?? null,
        q.basis,
        q.limit + 1,
        q.before?.id ?? null,
      ],
    );
    const page = rows.slice(0, q.limit).map(toView);
    const last = page.at(-1);
    return {
      resolutions: page,
      nextCursor: rows.length > q.limit && last ? `${Date.parse(last.solvedAt)}-${last.id}` : null,
    };
  }

  /** The monthly usage report for tenants billed outside AWS Marketplace (and a cross-check for those on it). */
  async monthly(tenantId: string, month: string, now: Date): Promise<MonthlyReport> {
    const from = `${month}-01`;
    const last = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0));
    const to = last.toISOString().slice(0, 10);
    const u = await this.usage(tenantId, from, to, now);
    return {
      tenant: tenantId,
      month,
      generatedAt: now.toISOString(),
      complete: now.getTime() >= last.getTime() + DAY_MS,
      days: u.days.map((d) => ({
        date: d.date,
        automated: d.resolutions.automated,
        aiAssisted: d.resolutions.ai_assisted,
        human: d.resolutions.human,
        billable: d.billable,
        credited: d.credited,
        net: d.billable - d.credited,
      })),
      totals: {
        automated: u.totals.resolutions.automated,
        aiAssisted: u.totals.resolutions.ai_assisted,
        human: u.totals.resolutions.human,
        billable: u.totals.billable,
        credited: u.totals.credited,
        net: u.totals.net,
      },
      automationRate: u.automationRate,
    };
  }

  async meteringRecords(tenantId: string, limit: number): Promise<MeteringRecordView[]> {
    const rows = await this.db.query<{
      id: string;
      usage_hour: Date | string;
      quantity: number;
      status: string;
      attempts: number;
      metering_record_id: string | null;
      last_error: string | null;
      entries: string;
    }>(
      `SELECT m.id, m.usage_hour, m.quantity, m.status, m.attempts, m.metering_record_id, m.last_error,
              (SELECT count(*) FROM metered_entries e WHERE e.record_id = m.id)::text AS entries
         FROM metering_records m WHERE m.tenant_id = $1 ORDER BY m.usage_hour DESC LIMIT $2`,
      [tenantId, limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      hour: new Date(r.usage_hour).toISOString(),
      quantity: r.quantity,
      status: r.status,
      attempts: r.attempts,
      meteringRecordId: r.metering_record_id,
      error: r.last_error,
      entries: Number(r.entries),
    }));
  }
}

export type ResolutionState = 'in_window' | 'billable' | 'voided' | 'credited' | 'not_billable';

export interface ResolutionView {
  id: number;
  ticketId: number;
  kind: ResolutionKind;
  solvedAt: string;
  windowEndsAt: string;
  state: ResolutionState;
  reversal: { entry: 'void' | 'credit'; at: string; reason: string | null } | null;
  check: string | null;
  metered: { hour: string; status: string } | null;
  evidence: unknown;
}

export interface MeteringRecordView {
  id: number;
  hour: string;
  quantity: number;
  status: string;
  attempts: number;
  meteringRecordId: string | null;
  error: string | null;
  entries: number;
}

export interface MonthlyReport {
  tenant: string;
  month: string;
  generatedAt: string;
  /** False while the month (or the windows of its last resolutions) is still running. */
  complete: boolean;
  days: Array<{
    date: string;
    automated: number;
    aiAssisted: number;
    human: number;
    billable: number;
    credited: number;
    net: number;
  }>;
  totals: {
    automated: number;
    aiAssisted: number;
    human: number;
    billable: number;
    credited: number;
    net: number;
  };
  automationRate: number | null;
}

interface ViewRow {
  id: string;
  ticket_id: string;
  resolution_key: string;
  kind: ResolutionKind;
  solved_at: Date | string;
  window_ends_at: Date | string;
  evidence: unknown;
  reversal: 'void' | 'credit' | null;
  reversal_at: Date | string | null;
  reversal_reason: string | null;
  check_outcome: string | null;
  metered_hour: Date | string | null;
  metering_status: string | null;
  state: ResolutionState;
}

const iso = (v: Date | string) => new Date(v).toISOString();

const toView = (r: ViewRow): ResolutionView => ({
  id: Number(r.id),
  ticketId: Number(r.ticket_id),
  kind: r.kind,
  solvedAt: iso(r.solved_at),
  windowEndsAt: iso(r.window_ends_at),
  state: r.state,
  reversal:
    r.reversal && r.reversal_at
      ? { entry: r.reversal, at: iso(r.reversal_at), reason: r.reversal_reason }
      : null,
  check: r.check_outcome,
  metered:
    r.metered_hour && r.metering_status ? { hour: iso(r.metered_hour), status: r.metering_status } : null,
  evidence: typeof r.evidence === 'string' ? (JSON.parse(r.evidence) as unknown) : r.evidence,
});

/** RFC 4180 CSV: one line per day, then a totals line. */
export function reportCsv(r: MonthlyReport): string {
  const head = 'date,automated,ai_assisted,human,billable,credited,net';
  const line = (d: MonthlyReport['days'][number] | (MonthlyReport['totals'] & { date: string })) =>
    [d.date, d.automated, d.aiAssisted, d.human, d.billable, d.credited, d.net].join(',');
  return [head, ...r.days.map(line), line({ ...r.totals, date: 'total' })].join('\r\n') + '\r\n';
}
