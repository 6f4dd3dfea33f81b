import type { Logger } from 'pino';
import type { Db } from '../store/db';
import type { Tenant } from '../tenants/repo';
import type { ZendeskApi } from '../zendesk/types';
import { classify, type CommentFact } from './classify';
import type { TicketInbox } from './inbox';
import { resolutionEntryKey, reversalEntryKey, type LedgerRepo } from './ledger';
import { planTicket, type PlanEvent } from './rules';
import type { BillingSettingsRepo, SuggestionUses } from './settings';
import type { Evidence, LedgerEntry, ResolutionKind } from './types';

export interface ProcessDeps {
  db: Db;
  inbox: TicketInbox;
  ledger: LedgerRepo;
  settings: BillingSettingsRepo;
  suggestions: SuggestionUses;
  /** The Connect conversation on a ticket, if any (outcome answered / abandoned / self_service). */
  contactOf: (
    tenantId: string,
    ticketId: number,
  ) => Promise<{ initialContactId: string; outcome: string | null } | null>;
  tenant: (id: string) => Promise<Tenant | null>;
  zendesk: (tenant: Tenant) => Promise<ZendeskApi>;
  logger: Logger;
}

/** The tenant no longer exists: nothing to retry. */
export class UnknownTenantError extends Error {
  override name = 'UnknownTenantError';
}

export interface ProcessResult {
  appended: number;
  events: number;
}

const HOUR_MS = 3_600_000;

/**
 * Brings one ticket's ledger up to date with its event history: classifies each new resolution (one
 * comments read from Zendesk), then appends resolutions and reversals under a per-ticket lock, taking
 * each reversal's kind from the stored resolution so two concurrent runs cannot disagree.
 */
export async function processTicket(
  deps: ProcessDeps,
  tenantId: string,
  ticketId: number,
): Promise<ProcessResult> {
  const events = await deps.inbox.forTicket(tenantId, ticketId);
  const pending = events.filter((e) => e.status === 'pending').map((e) => e.eventKey);
  if (pending.length === 0) return { appended: 0, events: 0 };
  const settings = await deps.settings.get(tenantId);
  const windowMs = settings.windowHours * HOUR_MS;
  const before = await deps.ledger.forTicket(tenantId, ticketId);
  const planEvents: PlanEvent[] = events.map((e) => ({
    eventKey: e.eventKey,
    kind: e.kind,
    occurredAt: Date.parse(e.occurredAt),
    deliveredAt: e.deliveredAt === null ? null : Date.parse(e.deliveredAt),
  }));
  const plans = planTicket(ticketId, planEvents, windowMs).map((p) => {
    // A resolution keeps the window it was recorded with, whatever the setting says today.
    const known = before.resolutions.get(p.resolutionKey);
    return known && known.windowEndsAt !== p.windowEndsAt
      ? planTicket(ticketId, planEvents, known.windowEndsAt - p.solvedAt).find(
          (q) => q.resolutionKey === p.resolutionKey,
        )!
      : p;
  });

  const fresh = plans.filter((p) => !before.resolutions.has(p.resolutionKey));
  const resolutions: LedgerEntry[] = [];
  if (fresh.length > 0) {
    const tenant = await deps.tenant(tenantId);
    if (!tenant) throw new UnknownTenantError(`tenant ${tenantId} no longer exists`);
    const zd = await deps.zendesk(tenant);
    const [comments, contact, uses] = await Promise.all([
      zd.listTicketComments(ticketId, { priority: 'deferrable' }),
      deps.contactOf(tenantId, ticketId),
      deps.suggestions.forTicket(tenantId, ticketId),
    ]);
    const facts: CommentFact[] = (comments ?? []).map((c) => ({
      authorId: c.authorId,
      public: c.public,
      createdAt: Date.parse(c.createdAt),
      authorRole: c.authorRole,
    }));
    const bots = new Set(settings.botUserIds);
    for (const p of fresh) {
      const { kind, evidence } = classify({
        solvedAt: p.solvedAt,
        comments: facts,
        botUserIds: bots,
        calls: contact ? [contact] : [],
        suggestions: uses,
        ticketUnavailable: comments === null,
      });
      resolutions.push(
        resolutionEntry(tenantId, ticketId, p.resolutionKey, p.solvedAt, p.windowEndsAt, kind, evidence),
      );
    }
  }

  const appended = await deps.db.tx(async (q) => {
    await q.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`billing:${tenantId}:${ticketId}`]);
    const added = await deps.ledger.append(resolutions, q);
    const kinds = new Map<string, ResolutionKind>();
    const rows = await q.query<{ resolution_key: string; kind: ResolutionKind; entry: string }>(
      `SELECT resolution_key, kind, entry FROM resolution_ledger WHERE tenant_id = $1 AND ticket_id = $2`,
      [tenantId, ticketId],
    );
    const reversed = new Set<string>();
    for (const r of rows) {
      if (r.entry === 'resolution') kinds.set(r.resolution_key, r.kind);
      else reversed.add(r.resolution_key);
    }
    const reversals: LedgerEntry[] = [];
    for (const p of plans) {
      const kind = kinds.get(p.resolutionKey);
      if (!p.reversal || !kind || reversed.has(p.resolutionKey)) continue;
      // After the window only a billed (automated) resolution needs undoing: that is a credit.
      if (!p.reversal.within && kind !== 'automated') continue;
      reversals.push({
        tenantId,
        entryKey: reversalEntryKey(p.resolutionKey),
        entry: p.reversal.within ? 'void' : 'credit',
        ticketId,
        resolutionKey: p.resolutionKey,
        kind,
        quantity: -1,
        occurredAt: new Date(p.reversal.at).toISOString(),
        solvedAt: new Date(p.solvedAt).toISOString(),
        windowEndsAt: new Date(p.windowEndsAt).toISOString(),
        reason: p.reversal.reason,
        evidence: { reason: p.reversal.reason, at: new Date(p.reversal.at).toISOString(), source: 'webhook' },
      });
    }
    const more = await deps.ledger.append(reversals, q);
    return added.length + more.length;
  });
  await deps.inbox.markDone(tenantId, pending);
  return { appended, events: pending.length };
}

export function resolutionEntry(
  tenantId: string,
  ticketId: number,
  resolutionKey: string,
  solvedAt: number,
  windowEndsAt: number,
  kind: ResolutionKind,
  evidence: Evidence,
): LedgerEntry {
  return {
    tenantId,
    entryKey: resolutionEntryKey(resolutionKey),
    entry: 'resolution',
    ticketId,
    resolutionKey,
    kind,
    quantity: 1,
    occurredAt: new Date(solvedAt).toISOString(),
    solvedAt: new Date(solvedAt).toISOString(),
    windowEndsAt: new Date(windowEndsAt).toISOString(),
    reason: null,
    evidence,
  };
}
