import type { Db, Queryable } from '../store/db';
import { newSecret, sha256, type SecretBox } from '../store/crypto';
import type { ZendeskCredentials } from '../zendesk/types';
import { ConflictError } from '../errors';
import type { CreatedTenant } from './repo';

export type TenantStatus = 'not_connected' | 'active' | 'suspended';
export type SuspendReason = 'uninstalled' | 'token_revoked';

export interface TenantState {
  status: TenantStatus;
  reason?: SuspendReason;
  purgeAfter?: string;
  installedVia?: 'cli' | 'oauth';
}

const DAY_MS = 86_400_000;

/**
 * Install, suspend and purge: the parts of a tenant's life that `TenantRepo` (which only sees active
 * tenants) does not cover.
 */
export class TenantLifecycle {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    /** Days between suspension and the deletion of the tenant's data. */
    private readonly graceDays: number,
  ) {}

  async state(id: string): Promise<TenantState> {
    const rows = await this.db.query<{
      status: 'active' | 'suspended';
      suspended_reason: SuspendReason | null;
      purge_after: Date | string | null;
      installed_via: 'cli' | 'oauth';
    }>(`SELECT status, suspended_reason, purge_after, installed_via FROM tenants WHERE id = $1`, [id]);
    const r = rows[0];
    if (!r) return { status: 'not_connected' };
    return {
      status: r.status,
      installedVia: r.installed_via,
      ...(r.suspended_reason ? { reason: r.suspended_reason } : {}),
      ...(r.purge_after ? { purgeAfter: new Date(r.purge_after).toISOString() } : {}),
    };
  }

  /**
   * Brings a suspended tenant back with new Zendesk credentials and new secrets (the old app secret and
   * ingest key went with the uninstall). Refuses an active tenant: its secrets are in use.
   */
  async reconnect(id: string, credentials: ZendeskCredentials): Promise<CreatedTenant> {
    const ingestKey = newSecret('cik');
    const webhookSecret = newSecret('cwh');
    const appSecret = newSecret('cas');
    const rows = await this.db.query(
      `UPDATE tenants SET status = 'active', suspended_reason = NULL, suspended_at = NULL, purge_after = NULL,
              zendesk_credentials = $2, ingest_key_hash = $3, webhook_secret_hash = $4, app_secret = $5,
              webhook_secret = NULL, installed_via = 'oauth'
        WHERE id = $1 AND status = 'suspended' RETURNING id`,
      [
        id,
        this.box.encrypt(JSON.stringify(credentials), id),
        sha256(ingestKey),
        sha256(webhookSecret),
        this.box.encrypt(appSecret, id),
      ],
    );
    if (rows.length === 0)
      throw new ConflictError(`tenant ${id} is already connected`, 'tenant_already_connected');
    // setupWebhooks adopts the new webhookSecret and re-sends it to the existing webhook.
    return { tenant: id, ingestKey, webhookSecret, appSecret };
  }

  async markInstalledViaOauth(id: string): Promise<void> {
    await this.db.query(`UPDATE tenants SET installed_via = 'oauth' WHERE id = $1`, [id]);
  }

  /** Stops all work for the tenant now; its data goes after the grace period. False if it was not active. */
  async suspend(id: string, reason: SuspendReason, now = new Date()): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE tenants SET status = 'suspended', suspended_reason = $2, suspended_at = $3, purge_after = $4
        WHERE id = $1 AND status = 'active' RETURNING id`,
      [id, reason, now.toISOString(), new Date(now.getTime() + this.graceDays * DAY_MS).toISOString()],
    );
    return rows.length > 0;
  }

  /** Suspended tenants whose grace period is over. */
  async dueForPurge(now = new Date()): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM tenants WHERE status = 'suspended' AND purge_after <= $1 ORDER BY purge_after LIMIT 100`,
      [now.toISOString()],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Deletes every row of a suspended tenant, then the tenant. Tables are found in the catalog (every
   * table with a tenant_id column, and the tables that reference them without one), so capabilities
   * added later are purged too. Children go before their parents; one transaction, so a failure leaves
   * everything for the next run.
   */
  async purge(id: string): Promise<{ tenant: string; deleted: Record<string, number> }> {
    return this.db.tx(async (q) => {
      const locked = await q.query<{ id: string }>(
        `SELECT id FROM tenants WHERE id = $1 AND status = 'suspended' FOR UPDATE`,
        [id],
      );
      if (locked.length === 0)
        throw new ConflictError(`tenant ${id} is not suspended`, 'tenant_not_suspended');
      const plan = await purgePlan(q);
      const deleted: Record<string, number> = {};
      for (const step of plan) {
        const rows = await q.query<{ n: string | number }>(
          `WITH d AS (${step.sql} RETURNING 1) SELECT count(*) AS n FROM d`,
          [id],
        );
        deleted[step.table] = (deleted[step.table] ?? 0) + Number(rows[0]?.n ?? 0);
      }
      await q.query(`DELETE FROM install_attempts WHERE subdomain = $1`, [id]);
      await q.query(`DELETE FROM tenants WHERE id = $1`, [id]);
      return { tenant: id, deleted };
    });
  }
}

interface ForeignKey {
  child: string;
  parent: string;
  child_col: string;
  parent_col: string;
  ncols: number;
}

const ident = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected table or column name ${name}`);
  return name;
};

/** The DELETE statements (parameter $1 = tenant id) that remove one tenant's rows, children first. */
export async function purgePlan(q: Queryable): Promise<Array<{ table: string; sql: string }>> {
  const tenantTables = new Set(
    (
      await q.query<{ table_name: string }>(
        `SELECT c.table_name FROM information_schema.columns c
           JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
          WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'`,
      )
    ).map((r) => r.table_name),
  );
  const fks = await q.query<ForeignKey>(
    `SELECT cl.relname AS child, pl.relname AS parent,
            (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = c.conkey[1]) AS child_col,
            (SELECT attname FROM pg_attribute WHERE attrelid = c.confrelid AND attnum = c.confkey[1]) AS parent_col,
            array_length(c.conkey, 1) AS ncols
       FROM pg_constraint c
       JOIN pg_class cl ON cl.oid = c.conrelid
       JOIN pg_namespace n ON n.oid = cl.relnamespace
       JOIN pg_class pl ON pl.oid = c.confrelid
      WHERE c.contype = 'f' AND n.nspname = current_schema()`,
  );
  const steps: Array<{ table: string; sql: string }> = [];
  // Tables without tenant_id hanging off a tenant table (e.g. metering_attempts → metering_records).
  for (const fk of fks) {
    if (tenantTables.has(fk.child) || fk.parent === 'tenants' || !tenantTables.has(fk.parent)) continue;
    if (Number(fk.ncols) !== 1) throw new Error(`cannot purge ${fk.child}: composite key without tenant_id`);
    steps.push({
      table: fk.child,
      sql: `DELETE FROM ${ident(fk.child)} WHERE ${ident(fk.child_col)} IN (SELECT ${ident(fk.parent_col)} FROM ${ident(fk.parent)} WHERE tenant_id = $1)`,
    });
  }
  // Tenant tables, children before parents.
  const pending = new Set(tenantTables);
  pending.delete('tenants');
  while (pending.size > 0) {
    const ready = [...pending]
      .filter((t) => !fks.some((fk) => fk.parent === t && fk.child !== t && pending.has(fk.child)))
      .sort();
    if (ready.length === 0) throw new Error(`cannot order the purge of ${[...pending].join(', ')}`);
    for (const t of ready) {
      steps.push({ table: t, sql: `DELETE FROM ${ident(t)} WHERE tenant_id = $1` });
      pending.delete(t);
    }
  }
  return steps;
}
