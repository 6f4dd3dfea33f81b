import type { Db } from '../store/db';
import type { TicketEvent, TicketEventKind, WebhookPayload } from './types';

interface Row {
  tenant_id: string;
  event_key: string;
  ticket_id: string | number;
  kind: TicketEventKind;
  occurred_at: Date | string;
  delivered_at: Date | string | null;
  actor_id: string | number | null;
  status: TicketEvent['status'];
}

const iso = (v: Date | string) => new Date(v).toISOString();
const toEvent = (r: Row): TicketEvent => ({
  tenantId: r.tenant_id,
  eventKey: r.event_key,
  ticketId: Number(r.ticket_id),
  kind: r.kind,
  occurredAt: iso(r.occurred_at),
  deliveredAt: r.delivered_at === null ? null : iso(r.delivered_at),
  actorId: r.actor_id === null ? null : Number(r.actor_id),
  status: r.status,
});

/** kind:ticket:time. The same change delivered twice (retry, replay) has the same key. */
export const eventKeyFor = (p: Pick<WebhookPayload, 'event' | 'ticket_id' | 'at'>): string =>
  `${p.event}:${p.ticket_id}:${new Date(p.at).toISOString()}`;

interface Pending {
  tenantId: string;
  event: Omit<TicketEvent, 'tenantId' | 'status'>;
  resolve: (fresh: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * The durable inbox of Zendesk ticket events. Concurrent stores are written together in one statement
 * (group commit): each caller still gets its answer only after the row is committed, so the webhook is
 * never acknowledged before its event is durable, and a burst costs one round trip instead of hundreds.
 */
export class TicketInbox {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 500,
  ) {}

  /** True when the event is new, false for a duplicate. */
  store(tenantId: string, payload: WebhookPayload, deliveredAt: string | null): Promise<boolean> {
    const event = {
      eventKey: eventKeyFor(payload),
      ticketId: payload.ticket_id,
      kind: payload.event,
      occurredAt: new Date(payload.at).toISOString(),
      deliveredAt,
      actorId: payload.actor_id ?? null,
    };
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ tenantId, event, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const fresh = await this.insert(batch);
          // Two deliveries of one event in the same batch: only the first is fresh.
          const claimed = new Set<string>();
          for (const p of batch) {
            const id = `${p.tenantId}\u0000${p.event.eventKey}`;
            const isFresh = fresh.has(id) && !claimed.has(id);
            claimed.add(id);
            p.resolve(isFresh);
          }
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async insert(batch: Pending[]): Promise<Set<string>> {
    const rows = await this.db.query<{ tenant_id: string; event_key: string }>(
      `INSERT INTO ticket_events (tenant_id, event_key, ticket_id, kind, occurred_at, delivered_at, actor_id)
       SELECT e.tenant_id, e.event_key, e.ticket_id, e.kind, e.occurred_at, e.delivered_at, e.actor_id
         FROM jsonb_to_recordset($1::jsonb) AS e(tenant_id text, event_key text, ticket_id bigint, kind text,
                                               occurred_at timestamptz, delivered_at timestamptz, actor_id bigint)
       ON CONFLICT (tenant_id, event_key) DO NOTHING
       RETURNING tenant_id, event_key`,
      [
        JSON.stringify(
          batch.map((p) => ({
            tenant_id: p.tenantId,
            event_key: p.event.eventKey,
            ticket_id: p.event.ticketId,
            kind: p.event.kind,
            occurred_at: p.event.occurredAt,
            delivered_at: p.event.deliveredAt,
            actor_id: p.event.actorId,
          })),
        ),
      ],
    );
    return new Set(rows.map((r) => `${r.tenant_id}\u0000${r.event_key}`));
  }

  async forTicket(tenantId: string, ticketId: number): Promise<TicketEvent[]> {
    const rows = await this.db.query<Row>(
      `SELECT tenant_id, event_key, ticket_id, kind, occurred_at, delivered_at, actor_id, status
         FROM ticket_events WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY occurred_at, event_key`,
      [tenantId, ticketId],
    );
    return rows.map(toEvent);
  }

  async markDone(tenantId: string, eventKeys: string[]): Promise<void> {
    if (eventKeys.length === 0) return;
    await this.db.query(
      `UPDATE ticket_events SET status = 'done', processed_at = now(), last_error = NULL
        WHERE tenant_id = $1 AND event_key = ANY($2::text[]) AND status = 'pending'`,
      [tenantId, eventKeys],
    );
  }

  async recordAttempt(tenantId: string, ticketId: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE ticket_events SET attempts = attempts + 1, last_attempt_at = now(), last_error = $3
        WHERE tenant_id = $1 AND ticket_id = $2 AND status = 'pending'`,
      [tenantId, ticketId, error.slice(0, 500)],
    );
  }

  /** A failure retrying will not fix (Zendesk refused to show the ticket): kept with its reason, not retried. */
  async markFailed(tenantId: string, ticketId: number, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE ticket_events SET status = 'failed', processed_at = now(), last_error = $3
        WHERE tenant_id = $1 AND ticket_id = $2 AND status = 'pending'`,
      [tenantId, ticketId, reason.slice(0, 500)],
    );
  }

  /** Pending events nobody finished recently (Redis lost the job, retries ran out): re-enqueued by the sweep. */
  async stale(
    olderThanMs: number,
    limit = 500,
  ): Promise<Array<{ tenantId: string; ticketId: number; eventKey: string }>> {
    const rows = await this.db.query<{ tenant_id: string; ticket_id: string; event_key: string }>(
      `SELECT tenant_id, ticket_id, event_key FROM ticket_events
        WHERE status = 'pending'
          AND received_at < now() - ($1::int * interval '1 millisecond')
          AND (last_attempt_at IS NULL OR last_attempt_at < now() - ($1::int * interval '1 millisecond'))
        ORDER BY received_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, ticketId: Number(r.ticket_id), eventKey: r.event_key }));
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ status: string; n: string }>(
      `SELECT status, count(*)::text AS n FROM ticket_events GROUP BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}
