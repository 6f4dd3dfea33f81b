import type { Logger } from 'pino';
import type { Db } from '../store/db';
import type { Tenant } from '../tenants/repo';
import type { ZendeskApi } from '../zendesk/types';
import { reversalEntryKey, type LedgerRepo } from './ledger';

export interface FinalizeDeps {
  db: Db;
  ledger: LedgerRepo;
  tenant: (id: string) => Promise<Tenant | null>;
  zendesk: (tenant: Tenant) => Promise<ZendeskApi>;
  logger: Logger;
}

/**
 * A check normally happens minutes after the window ends; one still impossible after this long (Zendesk
 * unreachable for days) is left alone and never billed, which keeps each run's scan short.
 */
export const CHECK_LOOKBACK_MS = 3 * 24 * 3_600_000;

interface DueRow {
  tenant_id: string;
  ticket_id: string | number;
  resolution_key: string;
  kind: 'automated';
  solved_at: Date | string;
  window_ends_at: Date | string;
}

/**
 * Once an automated resolution's window has passed without a reversal, looks at the ticket once more
 * before it can be billed: no trigger fires when a ticket is deleted or merged away, so this is where
 * those are caught. Deleted (404) or merged (closed with the closed_by_merge tag) → void; otherwise the
 * resolution is recorded as standing and becomes meterable.
 */
export async function checkDueResolutions(
  deps: FinalizeDeps,
  tenantId: string,
  now: Date,
  opts: { limit?: number } = {},
): Promise<{ checked: number; voided: number }> {
  const rows = await deps.db.query<DueRow>(
    `SELECT l.tenant_id, l.ticket_id, l.resolution_key, l.kind, l.solved_at, l.window_ends_at
       FROM resolution_ledger l
      WHERE l.entry = 'resolution' AND l.kind = 'automated'
        AND l.window_ends_at <= $1 AND l.window_ends_at > $2
        AND l.tenant_id = $3
        AND NOT EXISTS (SELECT 1 FROM resolution_ledger r
                         WHERE r.tenant_id = l.tenant_id AND r.entry_key = 'reversal:' || l.resolution_key)
        AND NOT EXISTS (SELECT 1 FROM resolution_checks c
                         WHERE c.tenant_id = l.tenant_id AND c.resolution_key = l.resolution_key)
      ORDER BY l.window_ends_at LIMIT $4`,
    [
      now.toISOString(),
      new Date(now.getTime() - CHECK_LOOKBACK_MS).toISOString(),
      tenantId,
      opts.limit ?? 500,
    ],
  );
  let checked = 0;
  let voided = 0;
  const snapshots = new Map<string, Awaited<ReturnType<ZendeskApi['getTicket']>>>();
  for (const r of rows) {
    const ticketId = Number(r.ticket_id);
    const tenant = await deps.tenant(r.tenant_id);
    if (!tenant) continue;
    const cacheKey = `${r.tenant_id}:${ticketId}`;
    if (!snapshots.has(cacheKey)) {
      try {
        const zd = await deps.zendesk(tenant);
        snapshots.set(cacheKey, await zd.getTicket(ticketId, { priority: 'deferrable' }));
      } catch (err) {
        // Zendesk unavailable or out of budget: the next run checks it; it is not billed meanwhile.
        deps.logger.warn(
          { tenantId: r.tenant_id, ticketId, err: (err as Error).message },
          'resolution check deferred',
        );
        continue;
      }
    }
    const ticket = snapshots.get(cacheKey) ?? null;
    const outcome =
      ticket === null ? 'deleted' : ticket.tags.includes('closed_by_merge') ? 'merged' : 'standing';
    const detail = ticket === null ? { found: false } : { status: ticket.status };
    await deps.db.tx(async (q) => {
      await q.query(
        `INSERT INTO resolution_checks (tenant_id, resolution_key, outcome, detail, checked_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
        [r.tenant_id, r.resolution_key, outcome, JSON.stringify(detail), now.toISOString()],
      );
      if (outcome === 'standing') return;
      const added = await deps.ledger.append(
        [
          {
            tenantId: r.tenant_id,
            entryKey: reversalEntryKey(r.resolution_key),
            entry: 'void',
            ticketId,
            resolutionKey: r.resolution_key,
            kind: r.kind,
            quantity: -1,
            occurredAt: now.toISOString(),
            solvedAt: new Date(r.solved_at).toISOString(),
            windowEndsAt: new Date(r.window_ends_at).toISOString(),
            reason: outcome,
            evidence: { reason: outcome, source: 'check', ...detail },
          },
        ],
        q,
      );
      voided += added.length;
    });
    checked++;
  }
  return { checked, voided };
}
