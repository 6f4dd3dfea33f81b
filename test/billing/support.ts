import type { Harness } from '../helpers/harness';
import type { DoubleTicket, DoubleWebhook } from '../../doubles/zendesk-double';
import { setupWebhooks, type SetupResult } from '../../server/billing/setup';
import { signZendeskWebhook } from '../../server/billing/signature';
import { createLogger } from '../../server/logger';

/** What Zendesk holds after setup-webhooks: the webhook with its bearer token and signing secret. */
export interface ZendeskSide {
  setup: SetupResult;
  hook: DoubleWebhook;
  bearer: string;
  signingSecret: string;
}

export async function setUpWebhooks(h: Harness): Promise<ZendeskSide> {
  const ctx = h.running.ctx;
  const tenant = (await ctx.tenants.get(h.tenant.tenant))!;
  const setup = await setupWebhooks(
    {
      auth: ctx.billing.auth,
      settings: ctx.billing.settings,
      zendesk: await ctx.zendeskFor(tenant),
      publicUrl: ctx.config.publicUrl,
      logger: createLogger('silent'),
    },
    tenant.id,
  );
  const hook = h.zendesk.webhooks.get(setup.webhookId)!;
  const auth = hook.authentication as { data: { token: string } };
  return { setup, hook, bearer: auth.data.token, signingSecret: hook.signingSecret };
}

export interface Delivery {
  /** Overrides, to build bad deliveries. */
  body?: string;
  timestamp?: string;
  signature?: string;
  bearer?: string;
  tenant?: string;
}

/** Delivers a ticket event the way Zendesk's webhook does: bearer token, timestamp, base64 HMAC. */
export async function deliver(
  h: Harness,
  z: ZendeskSide,
  payload: unknown,
  d: Delivery = {},
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const body = d.body ?? JSON.stringify(payload);
  const timestamp = d.timestamp ?? new Date().toISOString();
  const signature = d.signature ?? signZendeskWebhook(z.signingSecret, timestamp, body);
  const res = await fetch(`${h.url}/v1/zendesk/webhooks/${d.tenant ?? h.tenant.tenant}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${d.bearer ?? z.bearer}`,
      'x-zendesk-webhook-signature': signature,
      'x-zendesk-webhook-signature-timestamp': timestamp,
      'x-zendesk-webhook-id': z.hook.id,
    },
    body,
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

export const event = (kind: 'solved' | 'reopened' | 'end_user_comment', ticketId: number, at: Date) => ({
  event: kind,
  ticket_id: String(ticketId),
  at: at.toISOString(),
  actor_id: '',
});

let nextTicket = 50_000;
/** A ticket in the double whose first public comment is the requester's question. */
export function newTicket(
  h: Harness,
  opts: { requesterId: number; at: Date; externalId?: string },
): DoubleTicket {
  const id = nextTicket++;
  const at = opts.at.toISOString();
  const ticket: DoubleTicket = {
    id,
    subject: 'Where is my order?',
    status: 'open',
    requester_id: opts.requesterId,
    tags: [],
    comments: [{ public: true, author_id: opts.requesterId, body: 'Where is my order?', created_at: at }],
    created_at: at,
    updated_at: at,
    ...(opts.externalId ? { external_id: opts.externalId } : {}),
  };
  h.zendesk.tickets.set(id, ticket);
  return ticket;
}

export interface LedgerLine {
  entry: string;
  kind: string;
  reason: string | null;
  occurredAt: string;
}

export async function ledgerOf(h: Harness, ticketId: number): Promise<LedgerLine[]> {
  const rows = await h.running.ctx.db.query<{
    entry: string;
    kind: string;
    reason: string | null;
    occurred_at: Date | string;
  }>(
    `SELECT entry, kind, reason, occurred_at FROM resolution_ledger WHERE tenant_id = $1 AND ticket_id = $2
      ORDER BY occurred_at, id`,
    [h.tenant.tenant, ticketId],
  );
  return rows.map((r) => ({
    entry: r.entry,
    kind: r.kind,
    reason: r.reason,
    occurredAt: new Date(r.occurred_at).toISOString(),
  }));
}

/** Waits until the worker has processed every event of the ticket. */
export async function settled(h: Harness, ticketId: number): Promise<void> {
  await h.until(async () => {
    const rows = await h.running.ctx.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ticket_events WHERE tenant_id = $1 AND ticket_id = $2 AND status = 'pending'`,
      [h.tenant.tenant, ticketId],
    );
    return rows[0]?.n === '0';
  }, 60_000);
}

export const HOUR = 3_600_000;
