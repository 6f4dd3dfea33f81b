import type { Logger } from 'pino';
import type { Db } from '../store/db';
import { MAX_RECORDS_PER_CALL, MeteringError, type MeteringApi, type UsageRecordInput } from './marketplace';
import type { BillingSettingsRepo } from './settings';
import { METERING_DIMENSION, type BillingSettings } from './types';

/**
 * Hourly usage export to AWS Marketplace (BatchMeterUsage, dimension automated_resolutions).
 *
 * 1. Plan: once per tenant and closed hour, one usage record is written with its exact quantity, together
 *    with the list of ledger entries it covers (each entry is covered at most once). The quantity is the
 *    automated resolutions that became billable (window passed, checked, not yet metered) minus reversals
 *    of resolutions already metered (credits, and voids that arrived late), never below zero; reversals left
 *    over wait for a later hour ("credit in the next period"). A resolution and its own reversal, both
 *    unmetered, cancel out in the same record.
 * 2. Send: pending records go out in calls of at most 25, per product. Each attempt is recorded before
 *    the call, so after a crash between AWS's answer and our write, the restart sends the identical record
 *    (same customer, dimension, hour, quantity) and AWS, which de-duplicates identical records, counts it
 *    once. UnprocessedRecords and throttling are retried; DuplicateRecord and CustomerNotSubscribed are
 *    kept as the record's status, logged and shown to admins, never retried or dropped.
 * 3. A record still unsent when the hour falls out of AWS's acceptance window is marked expired: if it
 *    was never attempted, its entries are released into a later hour; if it may have reached AWS, it is
 *    left for a person (re-sending a different hour could count it twice).
 */

export interface ExportDeps {
  db: Db;
  settings: BillingSettingsRepo;
  metering: MeteringApi;
  logger: Logger;
  now?: () => Date;
  /** AWS refuses records older than this (6 h per the seller guide). */
  acceptanceWindowMs?: number;
  /** Rounds per batch for UnprocessedRecords and retriable errors, and the backoff between them. */
  rounds?: number;
  backoffMs?: number;
  /** Test hook: runs after AWS answered and before the answer is recorded. */
  afterSend?: (recordIds: number[]) => Promise<void> | void;
  onStatus?: (status: string, n: number) => void;
}

export interface ExportSummary {
  planned: Array<{ tenantId: string; hour: string; quantity: number; entries: number }>;
  sent: number;
  accepted: number;
  duplicateRecord: number;
  customerNotSubscribed: number;
  failed: number;
  stillPending: number;
  expired: number;
}

const HOUR_MS = 3_600_000;
/** Resolutions older than this that never got checked are not billed (see finalize.ts). */
const PLAN_LOOKBACK_MS = 7 * 24 * HOUR_MS;
/**
 * AWS takes no negative quantities: a reversal waits for billable usage to net against. One still waiting
 * after this long is left to a person (a refund through AWS Marketplace); the usage report lists it.
 */
const CREDIT_LOOKBACK_MS = 90 * 24 * HOUR_MS;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface RecordRow {
  id: string | number;
  tenant_id: string;
  product_code: string;
  customer_account_id: string;
  dimension: string;
  usage_hour: Date | string;
  quantity: number;
  attempts: number;
}

export async function runExport(deps: ExportDeps, opts: { tenantId?: string } = {}): Promise<ExportSummary> {
  const now = deps.now?.() ?? new Date();
  const summary: ExportSummary = {
    planned: [],
    sent: 0,
    accepted: 0,
    duplicateRecord: 0,
    customerNotSubscribed: 0,
    failed: 0,
    stillPending: 0,
    expired: 0,
  };
  const tenants = (await deps.settings.awsTenants()).filter(
    (t) => !opts.tenantId || t.tenantId === opts.tenantId,
  );
  // Expire first: entries released by a never-sent record go into this run's hour.
  summary.expired = await expireStale(deps, now, opts.tenantId);
  for (const t of tenants) {
    const planned = await planHour(deps.db, t, now);
    if (planned) summary.planned.push(planned);
  }
  await sendPending(deps, summary, opts.tenantId);
  for (const [status, n] of Object.entries({
    accepted: summary.accepted,
    duplicate_record: summary.duplicateRecord,
    customer_not_subscribed: summary.customerNotSubscribed,
    failed: summary.failed,
    expired: summary.expired,
  }))
    if (n > 0) deps.onStatus?.(status, n);
  return summary;
}

/** Writes the record for the last closed hour (once) and the entries it covers, in one transaction. */
export async function planHour(
  db: Db,
  t: BillingSettings,
  now: Date,
): Promise<ExportSummary['planned'][number] | null> {
  const cutoff = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
  const hour = new Date(cutoff.getTime() - HOUR_MS);
  const since = new Date(cutoff.getTime() - PLAN_LOOKBACK_MS).toISOString();
  return db.tx(async (q) => {
    await q.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`billing-export:${t.tenantId}`]);
    const exists = await q.query(
      `SELECT 1 FROM metering_records WHERE tenant_id = $1 AND dimension = $2 AND usage_hour = $3`,
      [t.tenantId, METERING_DIMENSION, hour.toISOString()],
    );
    if (exists.length > 0) return null;
    const positives = await q.query<{ id: string }>(
      `SELECT l.id FROM resolution_ledger l
        WHERE l.tenant_id = $1 AND l.kind = 'automated' AND l.entry = 'resolution'
          AND l.window_ends_at < $2 AND l.window_ends_at >= $3
          AND NOT EXISTS (SELECT 1 FROM metered_entries m WHERE m.ledger_id = l.id)
          AND (EXISTS (SELECT 1 FROM resolution_checks c
                        WHERE c.tenant_id = l.tenant_id AND c.resolution_key = l.resolution_key)
               OR EXISTS (SELECT 1 FROM resolution_ledger r
                           WHERE r.tenant_id = l.tenant_id AND r.entry_key = 'reversal:' || l.resolution_key))
        ORDER BY l.window_ends_at, l.id`,
      [t.tenantId, cutoff.toISOString(), since],
    );
    const positiveIds = new Set(positives.map((p) => Number(p.id)));
    const negatives = await q.query<{
      id: string;
      res_id: string;
      res_metered: boolean;
      occurred_at: Date | string;
    }>(
      `SELECT r.id, res.id AS res_id, r.occurred_at,
              EXISTS (SELECT 1 FROM metered_entries m WHERE m.ledger_id = res.id) AS res_metered
         FROM resolution_ledger r
         JOIN resolution_ledger res ON res.tenant_id = r.tenant_id AND res.entry_key = 'resolution:' || r.resolution_key
        WHERE r.tenant_id = $1 AND r.kind = 'automated' AND r.entry IN ('void', 'credit')
          AND r.recorded_at < $2 AND r.recorded_at >= $3
          AND NOT EXISTS (SELECT 1 FROM metered_entries m WHERE m.ledger_id = r.id)`,
      [t.tenantId, cutoff.toISOString(), new Date(cutoff.getTime() - CREDIT_LOOKBACK_MS).toISOString()],
    );
    const usable = negatives
      .filter((n) => n.res_metered || positiveIds.has(Number(n.res_id)))
      .map((n) => ({
        id: Number(n.id),
        own: positiveIds.has(Number(n.res_id)),
        at: new Date(n.occurred_at).getTime(),
      }))
      // A resolution's own reversal first (they cancel), then the oldest credits.
      .sort((a, b) => Number(b.own) - Number(a.own) || a.at - b.at || a.id - b.id);
    const taken = usable.slice(0, Math.min(usable.length, positiveIds.size));
    if (positiveIds.size === 0 && taken.length === 0) return null;
    const quantity = positiveIds.size - taken.length;
    const rows = await q.query<{ id: string }>(
      `INSERT INTO metering_records (tenant_id, product_code, customer_account_id, dimension, usage_hour, quantity, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [
        t.tenantId,
        t.awsProductCode,
        t.awsCustomerAccountId,
        METERING_DIMENSION,
        hour.toISOString(),
        quantity,
        quantity > 0 ? 'pending' : 'nothing_to_send',
      ],
    );
    const recordId = Number(rows[0]!.id);
    const ledgerIds = [...positiveIds, ...taken.map((n) => n.id)];
    await q.query(
      `INSERT INTO metered_entries (ledger_id, record_id, tenant_id)
       SELECT x, $2, $3 FROM unnest($1::bigint[]) AS x`,
      [ledgerIds, recordId, t.tenantId],
    );
    return { tenantId: t.tenantId, hour: hour.toISOString(), quantity, entries: ledgerIds.length };
  });
}

async function expireStale(deps: ExportDeps, now: Date, tenantId: string | undefined): Promise<number> {
  // Ten minutes of margin: a record sent right at the edge may arrive too late.
  const limit = new Date(now.getTime() - (deps.acceptanceWindowMs ?? 6 * HOUR_MS) + 10 * 60_000);
  const stale = await deps.db.query<RecordRow>(
    `SELECT * FROM metering_records WHERE status = 'pending' AND usage_hour < $1 AND ($2::text IS NULL OR tenant_id = $2)`,
    [limit.toISOString(), tenantId ?? null],
  );
  for (const r of stale) {
    await deps.db.tx(async (q) => {
      const neverSent = r.attempts === 0;
      await q.query(
        `UPDATE metering_records SET status = 'expired', updated_at = now(), last_error = $2 WHERE id = $1`,
        [
          r.id,
          neverSent
            ? 'not sent within the acceptance window; its entries moved to a later hour'
            : 'may have reached AWS but no answer was recorded within the acceptance window: check the AWS report',
        ],
      );
      if (neverSent) await q.query(`DELETE FROM metered_entries WHERE record_id = $1`, [r.id]);
      await q.query(`INSERT INTO metering_attempts (record_id, outcome, detail) VALUES ($1, 'expired', $2)`, [
        r.id,
        JSON.stringify({ attempts: r.attempts }),
      ]);
    });
    deps.logger.error(
      {
        tenantId: r.tenant_id,
        recordId: Number(r.id),
        hour: new Date(r.usage_hour).toISOString(),
        attempts: r.attempts,
      },
      'usage record expired before AWS accepted it',
    );
  }
  return stale.length;
}

const STATUS: Record<string, string> = {
  Success: 'accepted',
  DuplicateRecord: 'duplicate_record',
  CustomerNotSubscribed: 'customer_not_subscribed',
};

async function sendPending(
  deps: ExportDeps,
  summary: ExportSummary,
  tenantId: string | undefined,
): Promise<void> {
  const pending = await deps.db.query<RecordRow>(
    `SELECT * FROM metering_records WHERE status = 'pending' AND ($1::text IS NULL OR tenant_id = $1)
      ORDER BY product_code, usage_hour, id`,
    [tenantId ?? null],
  );
  const byProduct = new Map<string, RecordRow[]>();
  for (const r of pending) byProduct.set(r.product_code, [...(byProduct.get(r.product_code) ?? []), r]);
  for (const [product, records] of byProduct) {
    for (let i = 0; i < records.length; i += MAX_RECORDS_PER_CALL) {
      await sendBatch(deps, summary, product, records.slice(i, i + MAX_RECORDS_PER_CALL));
    }
  }
}

const keyOf = (customer: string, dimension: string, hourMs: number) => `${customer}|${dimension}|${hourMs}`;
const inputOf = (r: RecordRow): UsageRecordInput => ({
  customerAccountId: r.customer_account_id,
  dimension: r.dimension,
  hour: new Date(r.usage_hour),
  quantity: r.quantity,
});

async function sendBatch(
  deps: ExportDeps,
  summary: ExportSummary,
  product: string,
  batch: RecordRow[],
): Promise<void> {
  const rounds = deps.rounds ?? 3;
  let remaining = batch;
  for (let round = 0; round < rounds && remaining.length > 0; round++) {
    if (round > 0) await sleep((deps.backoffMs ?? 500) * 2 ** (round - 1));
    const ids = remaining.map((r) => Number(r.id));
    // Recorded before the call: after a crash we know it may have been sent, and send it identically.
    await deps.db.tx(async (q) => {
      await q.query(
        `UPDATE metering_records SET attempts = attempts + 1, last_attempt_at = now(), updated_at = now()
          WHERE id = ANY($1::bigint[])`,
        [ids],
      );
      await q.query(
        `INSERT INTO metering_attempts (record_id, outcome, detail)
         SELECT r.id, 'sent', jsonb_build_object('productCode', r.product_code, 'customerAWSAccountId',
                r.customer_account_id, 'dimension', r.dimension, 'timestamp', r.usage_hour, 'quantity', r.quantity)
           FROM metering_records r WHERE r.id = ANY($1::bigint[])`,
        [ids],
      );
    });
    summary.sent += remaining.length;
    let answer: Awaited<ReturnType<MeteringApi['batchMeterUsage']>>;
    try {
      answer = await deps.metering.batchMeterUsage(product, remaining.map(inputOf));
    } catch (err) {
      const e = err instanceof MeteringError ? err : new MeteringError(String(err), 'Error', true);
      await deps.db.query(
        `INSERT INTO metering_attempts (record_id, outcome, detail)
         SELECT x, 'error', $2::jsonb FROM unnest($1::bigint[]) AS x`,
        [ids, JSON.stringify({ code: e.code, retriable: e.retriable, message: e.message })],
      );
      deps.logger.warn(
        { product, records: ids.length, code: e.code, retriable: e.retriable },
        'BatchMeterUsage failed',
      );
      if (e.retriable) continue;
      await deps.db.query(
        `UPDATE metering_records SET status = 'failed', last_error = $2, updated_at = now() WHERE id = ANY($1::bigint[])`,
        [ids, e.message],
      );
      summary.failed += ids.length;
      return;
    }
    await deps.afterSend?.(ids);
    const byKey = new Map(
      remaining.map((r) => [keyOf(r.customer_account_id, r.dimension, new Date(r.usage_hour).getTime()), r]),
    );
    const settled = new Set<number>();
    await deps.db.tx(async (q) => {
      for (const res of answer.results) {
        const r = byKey.get(keyOf(res.customerAccountId, res.dimension, res.hour));
        if (!r) continue;
        const status = STATUS[res.status] ?? 'failed';
        settled.add(Number(r.id));
        await q.query(
          `UPDATE metering_records SET status = $2, metering_record_id = $3, last_error = $4, updated_at = now()
            WHERE id = $1 AND status = 'pending'`,
          [r.id, status, res.meteringRecordId ?? null, status === 'accepted' ? null : res.status],
        );
        await q.query(`INSERT INTO metering_attempts (record_id, outcome, detail) VALUES ($1, $2, $3)`, [
          r.id,
          res.status,
          JSON.stringify({ meteringRecordId: res.meteringRecordId ?? null }),
        ]);
        if (status === 'accepted') summary.accepted++;
        else if (status === 'duplicate_record') summary.duplicateRecord++;
        else if (status === 'customer_not_subscribed') summary.customerNotSubscribed++;
        else summary.failed++;
        if (status !== 'accepted')
          deps.logger.error(
            {
              tenantId: r.tenant_id,
              recordId: Number(r.id),
              status: res.status,
              hour: new Date(r.usage_hour).toISOString(),
            },
            'AWS Marketplace did not honour a usage record',
          );
      }
      for (const u of answer.unprocessed) {
        const r = byKey.get(keyOf(u.customerAccountId, u.dimension, u.hour.getTime()));
        if (r)
          await q.query(`INSERT INTO metering_attempts (record_id, outcome) VALUES ($1, 'unprocessed')`, [
            r.id,
          ]);
      }
    });
    // Whatever AWS neither processed nor listed as unprocessed is retried too.
    remaining = remaining.filter((r) => !settled.has(Number(r.id)));
  }
  summary.stillPending += remaining.length;
}
