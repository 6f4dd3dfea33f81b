import type { Db, Queryable } from '../store/db';
import type { LedgerEntry, LedgerEntryType, ResolutionKind } from './types';

export const resolutionEntryKey = (resolutionKey: string): string => `resolution:${resolutionKey}`;
/** Void and credit share one key per resolution: a resolution is reversed at most once. */
export const reversalEntryKey = (resolutionKey: string): string => `reversal:${resolutionKey}`;

export interface TicketLedger {
  resolutions: Map<string, { kind: ResolutionKind; windowEndsAt: number; id: number }>;
  reversed: Set<string>;
}

interface EntryRow {
  id: string | number;
  entry: LedgerEntryType;
  resolution_key: string;
  kind: ResolutionKind;
  window_ends_at: Date | string;
}

const day = (iso: string) => iso.slice(0, 10);

/** The append-only resolution ledger and its per-day counters. */
export class LedgerRepo {
  constructor(private readonly db: Db) {}

  async forTicket(tenantId: string, ticketId: number): Promise<TicketLedger> {
    const rows = await this.db.query<EntryRow>(
      `SELECT id, entry, resolution_key, kind, window_ends_at FROM resolution_ledger
        WHERE tenant_id = $1 AND ticket_id = $2`,
      [tenantId, ticketId],
    );
    const ledger: TicketLedger = { resolutions: new Map(), reversed: new Set() };
    for (const r of rows) {
      if (r.entry === 'resolution')
        ledger.resolutions.set(r.resolution_key, {
          kind: r.kind,
          windowEndsAt: new Date(r.window_ends_at).getTime(),
          id: Number(r.id),
        });
      else ledger.reversed.add(r.resolution_key);
    }
    return ledger;
  }

  /**
   * Appends entries whose key is not there yet (a replay appends nothing) and counts the new ones into
   * billing_daily in the same transaction. Returns the entries actually appended.
   */
  async append(entries: LedgerEntry[], q?: Queryable): Promise<LedgerEntry[]> {
    if (entries.length === 0) return [];
    const run = (tx: Queryable) => appendIn(tx, entries);
    return q ? run(q) : this.db.tx(run);
  }
}

async function appendIn(q: Queryable, entries: LedgerEntry[]): Promise<LedgerEntry[]> {
  const rows = await q.query<{ id: string; entry_key: string; tenant_id: string }>(
    `INSERT INTO resolution_ledger (tenant_id, entry_key, entry, ticket_id, resolution_key, kind, quantity,
                                    occurred_at, solved_at, window_ends_at, reason, evidence)
     SELECT e.tenant_id, e.entry_key, e.entry, e.ticket_id, e.resolution_key, e.kind, e.quantity,
            e.occurred_at, e.solved_at, e.window_ends_at, e.reason, e.evidence
       FROM jsonb_to_recordset($1::jsonb) AS e(tenant_id text, entry_key text, entry text, ticket_id bigint,
            resolution_key text, kind text, quantity smallint, occurred_at timestamptz, solved_at timestamptz,
            window_ends_at timestamptz, reason text, evidence jsonb)
     ON CONFLICT (tenant_id, entry_key) DO NOTHING
     RETURNING id, entry_key, tenant_id`,
    [
      JSON.stringify(
        entries.map((e) => ({
          tenant_id: e.tenantId,
          entry_key: e.entryKey,
          entry: e.entry,
          ticket_id: e.ticketId,
          resolution_key: e.resolutionKey,
          kind: e.kind,
          quantity: e.quantity,
          occurred_at: e.occurredAt,
          solved_at: e.solvedAt,
          window_ends_at: e.windowEndsAt,
          reason: e.reason,
          evidence: e.evidence,
        })),
      ),
    ],
  );
  const ids = new Map(rows.map((r) => [`${r.tenant_id}\u0000${r.entry_key}`, Number(r.id)]));
  const appended: LedgerEntry[] = [];
  // One entry key twice in one call: the first one won.
  const taken = new Set<string>();
  for (const e of entries) {
    const k = `${e.tenantId}\u0000${e.entryKey}`;
    const id = ids.get(k);
    if (id === undefined || taken.has(k)) continue;
    taken.add(k);
    appended.push({ ...e, id });
  }
  const deltas = new Map<
    string,
    { tenant_id: string; day: string; kind: string; metric: string; n: number }
  >();
  const bump = (tenantId: string, d: string, kind: string, metric: string) => {
    const k = `${tenantId}|${d}|${kind}|${metric}`;
    const cur = deltas.get(k);
    if (cur) cur.n++;
    else deltas.set(k, { tenant_id: tenantId, day: d, kind, metric, n: 1 });
  };
  for (const e of appended) {
    if (e.entry === 'resolution') {
      bump(e.tenantId, day(e.solvedAt), e.kind, 'resolved');
      if (e.kind === 'automated') bump(e.tenantId, day(e.windowEndsAt), e.kind, 'due');
    } else if (e.entry === 'void') {
      bump(e.tenantId, day(e.solvedAt), e.kind, 'voided');
      if (e.kind === 'automated') bump(e.tenantId, day(e.windowEndsAt), e.kind, 'due_voided');
    } else {
      bump(e.tenantId, day(e.occurredAt), e.kind, 'credited');
    }
  }
  if (deltas.size > 0) {
    // Sorted, so two transactions bumping the same days lock them in the same order.
    const list = [...deltas.values()].sort((a, b) =>
      `${a.tenant_id}|${a.day}|${a.kind}|${a.metric}` < `${b.tenant_id}|${b.day}|${b.kind}|${b.metric}`
        ? -1
        : 1,
    );
    await q.query(
      `INSERT INTO billing_daily (tenant_id, day, kind, metric, n)
       SELECT d.tenant_id, d.day, d.kind, d.metric, d.n
         FROM jsonb_to_recordset($1::jsonb) AS d(tenant_id text, day date, kind text, metric text, n integer)
       ON CONFLICT (tenant_id, day, kind, metric) DO UPDATE SET n = billing_daily.n + EXCLUDED.n`,
      [JSON.stringify(list)],
    );
  }
  return appended;
}
