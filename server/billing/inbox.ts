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

  /**
   * Claims up to `maxEvents` of the tenant's pending events, oldest first, with every other pending event
   * of their tickets, until `leaseMs` from now; returns the tickets claimed. Rows another claim holds (or
   * is taking right now: SKIP LOCKED) are left alone, so concurrent workers get different tickets. A ticket
   * whose new event arrives while it is being processed can be claimed twice: processing is idempotent.
   */
  async claim(tenantId: string, maxEvents: number, leaseMs: number): Promise<number[]> {
    const rows = await this.db.query<{ ticket_id: string }>(
      `WITH first AS (
         SELECT ticket_id FROM ticket_events
          WHERE tenant_id = $1 AND status = 'pending' AND claimed_until <= now()
          ORDER BY received_at LIMIT $2
          FOR UPDATE SKIP LOCKED
       ), claimed AS (
         SELECT e.event_key FROM ticket_events e
          WHERE e.tenant_id = $1 AND e.status = 'pending' AND e.claimed_until <= now()
            AND e.ticket_id IN (SELECT ticket_id FROM first)
          FOR UPDATE SKIP LOCKED
       )
       UPDATE ticket_events e SET claimed_until = now() + $3 * interval '1 millisecond'
         FROM claimed c WHERE e.tenant_id = $1 AND e.event_key = c.event_key
       RETURNING e.ticket_id`,
      [tenantId, maxEvents, leaseMs],
    );
    return [...new Set(rows.map((r) => Number(r.ticket_id)))];
  }

  /** Gives claimed tickets back, to be taken again no sooner than `afterMs` from now (a rate limit). */
  async release(tenantId: string, ticketIds: number[], afterMs: number): Promise<void> {
    if (ticketIds.length === 0) return;
    await this.db.query(
      `UPDATE ticket_events SET claimed_until = now() + $3 * interval '1 millisecond'
        WHERE tenant_id = $1 AND ticket_id = ANY($2::bigint[]) AND status = 'pending'`,
      [tenantId, ticketIds, afterMs],
    );
  }

  /**
   * A failed attempt at a ticket: counted, with its error, and the ticket's events wait before anyone
   * takes them again (0.5 s, doubling per attempt, at most `maxBackoffMs`). Returns that wait.
   */
  async recordAttempt(
    tenantId: string,
    ticketId: number,
    error: string,
    maxBackoffMs = 300_000,
  ): Promise<number> {
    const rows = await this.db.query<{ wait_ms: number | string }>(
      `UPDATE ticket_events SET attempts = attempts + 1, last_attempt_at = now(), last_error = $3,
              claimed_until = now() + least($4::double precision, 500 * power(2, least(attempts, 30)))
                                      * interval '1 millisecond'
        WHERE tenant_id = $1 AND ticket_id = $2 AND status = 'pending'
       RETURNING least($4::double precision, 500 * power(2, least(attempts - 1, 30))) AS wait_ms`,
      [tenantId, ticketId, error.slice(0, 500), maxBackoffMs],
    );
    return rows.reduce((max, r) => Math.max(max, Number(r.wait_ms)), 0);
  }

  /** A failure retrying will not fix (Zendesk refused to show the ticket): kept with its reason, not retried. */
  async markFailed(tenantId: string, ticketId: number, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE ticket_events SET status = 'failed', processed_at = now(), last_error = $3
        WHERE tenant_id = $1 AND ticket_id = $2 AND status = 'pending'`,
      [tenantId, ticketId, reason.slice(0, 500)],
    );
  }

  /**
   * Tenants with pending events older than `olderThanMs` that nobody holds (the wake-up was lost with
   * Redis, a worker died, a backoff has passed): the sweep wakes their drain again.
   */
  async stale(olderThanMs: number): Promise<Array<{ tenantId: string; events: number }>> {
    const rows = await this.db.query<{ tenant_id: string; n: string }>(
      `SELECT tenant_id, count(*)::text AS n FROM ticket_events
        WHERE status = 'pending' AND claimed_until <= now()
          AND received_at < now() - ($1::int * interval '1 millisecond')
        GROUP BY tenant_id`,
      [olderThanMs],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, events: Number(r.n) }));
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ status: string; n: string }>(
      `SELECT status, count(*)::text AS n FROM ticket_events GROUP BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}
