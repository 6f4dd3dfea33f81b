import type { Db } from '../store/db';
import type { ContactEvent } from '../connect/types';

export interface StoredEvent {
  tenantId: string;
  eventId: string;
  contactId: string;
  initialContactId: string;
  eventType: string;
  channel: string;
  eventTime: string | null;
  detail: ContactEvent;
  status: 'pending' | 'done' | 'failed';
  attempts: number;
  lastError: string | null;
}

export interface EventRow {
  tenant_id: string;
  event_id: string;
  contact_id: string;
  initial_contact_id: string;
  event_type: string;
  channel: string;
  event_time: Date | string | null;
  detail: ContactEvent;
  status: StoredEvent['status'];
  attempts: number;
  last_error: string | null;
}

const toIso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());
/** A contact_events row (from a query, or from json_agg, where times are strings) as a StoredEvent. */
export const toEvent = (r: EventRow): StoredEvent => ({
  tenantId: r.tenant_id,
  eventId: r.event_id,
  contactId: r.contact_id,
  initialContactId: r.initial_contact_id,
  eventType: r.event_type,
  channel: r.channel,
  eventTime: toIso(r.event_time),
  detail: typeof r.detail === 'string' ? (JSON.parse(r.detail) as ContactEvent) : r.detail,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
});

/**
 * Event types that never ask anything of Zendesk by themselves (no ticket is created or updated until an
 * agent connects or the contact ends); see Inbox.storeAndTriage.
 */
export const QUIET_EVENT_TYPES = ['INITIATED', 'CONNECTED_TO_SYSTEM', 'QUEUED', 'CONTACT_DATA_UPDATED'];

/** The durable inbox of contact events: written before 202, drained by the contact-sync worker. */
export class Inbox {
  constructor(private readonly db: Db) {}

  /**
   * Stores events once per (tenant, event id), and maps each transfer leg's contact id to its
   * conversation, in one statement (atomic without a transaction, one round trip). Returns the events
   * that were new; quiet ones are stored as handled (see storeAndTriage).
   */
  async store(
    tenantId: string,
    events: ContactEvent[],
    source: 'eventbridge' | 'reconcile' = 'eventbridge',
  ): Promise<ContactEvent[]> {
    return (await this.storeAndTriage(tenantId, events, source)).fresh;
  }

  /**
   * store(), also saying which new events need no job (`quiet`): an INITIATED, CONNECTED_TO_SYSTEM,
   * QUEUED or CONTACT_DATA_UPDATED event of a conversation none of whose stored events asks anything of
   * Zendesk yet. Such an event is stored as done at once: nothing is owed for it, and the conversation's
   * later events are read together with it (the sync reads every event of a conversation, whatever its
   * status), so the event that does ask something (CONNECTED_TO_AGENT, DISCONNECTED, …) brings it in.
   * Roughly half of a call's events are quiet: half the jobs, and nothing left for the sweeper.
   */
  async storeAndTriage(
    tenantId: string,
    events: ContactEvent[],
    source: 'eventbridge' | 'reconcile' = 'eventbridge',
  ): Promise<{ fresh: ContactEvent[]; quiet: Set<string> }> {
    if (events.length === 0) return { fresh: [], quiet: new Set() };
    // The sub-select sees the table as it was before this statement: an event that arrives in the same
    // request as its conversation's first loud one is quiet, and that loud one's job reads both.
    const inserted = await this.db.query<{ event_id: string; quiet: boolean }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($2::jsonb) AS e(event_id text, contact_id text, initial_contact_id text,
                                                          event_type text, channel text, event_time timestamptz,
                                                          detail jsonb)
       ), legs AS (
         INSERT INTO contact_legs (tenant_id, contact_id, initial_contact_id)
         SELECT DISTINCT $1, contact_id, initial_contact_id FROM input
         ON CONFLICT DO NOTHING
       ), triaged AS (
         -- A LATERAL probe with LIMIT 1, not NOT EXISTS: with a generic plan and a young table's statistics
         -- the planner turned NOT EXISTS into a hashed sub-plan reading every row of the tenant, per
         -- statement (intake slowed down as the inbox grew); this is one index probe per event whatever
         -- the statistics say.
         SELECT i.*, i.event_type = ANY ($4::text[]) AND loud.found IS NULL AS quiet
           FROM input i
           LEFT JOIN LATERAL (
             SELECT 1 AS found FROM contact_events o
              WHERE o.tenant_id = $1 AND o.initial_contact_id = i.initial_contact_id
                AND o.event_type <> ALL ($4::text[])
              LIMIT 1) loud ON true
       )
       INSERT INTO contact_events (tenant_id, event_id, contact_id, initial_contact_id, event_type, channel,
                                   event_time, detail, source, status, processed_at)
       SELECT $1, event_id, contact_id, initial_contact_id, event_type, channel, event_time, detail, $3,
              CASE WHEN quiet THEN 'done' ELSE 'pending' END, CASE WHEN quiet THEN now() END
         FROM triaged
       ON CONFLICT (tenant_id, event_id) DO NOTHING
       RETURNING event_id, status = 'done' AS quiet`,
      [
        tenantId,
        JSON.stringify(
          events.map((e) => ({
            event_id: e.eventId,
            contact_id: e.contactId,
            initial_contact_id: e.initialContactId,
            event_type: e.eventType,
            channel: e.channel,
            event_time: e.time,
            detail: e,
          })),
        ),
        source,
        QUIET_EVENT_TYPES,
      ],
      { prepared: true },
    );
    const fresh = new Set(inserted.map((r) => r.event_id));
    const quiet = new Set(inserted.filter((r) => r.quiet).map((r) => r.event_id));
    // The same event twice in one request counts once.
    const seen = new Set<string>();
    return {
      fresh: events.filter((e) => fresh.has(e.eventId) && !seen.has(e.eventId) && seen.add(e.eventId)),
      quiet,
    };
  }

  async forContact(tenantId: string, initialContactId: string): Promise<StoredEvent[]> {
    const rows = await this.db.query<EventRow>(
      `SELECT * FROM contact_events WHERE tenant_id = $1 AND initial_contact_id = $2 ORDER BY event_time, received_at`,
      [tenantId, initialContactId],
    );
    return rows.map(toEvent);
  }

  async get(tenantId: string, eventId: string): Promise<StoredEvent | null> {
    const rows = await this.db.query<EventRow>(
      `SELECT * FROM contact_events WHERE tenant_id = $1 AND event_id = $2`,
      [tenantId, eventId],
    );
    return rows[0] ? toEvent(rows[0]) : null;
  }

  async recordAttempt(tenantId: string, eventId: string, error: string | null): Promise<void> {
    await this.db.query(
      `UPDATE contact_events SET attempts = attempts + 1, last_attempt_at = now(), last_error = $3
        WHERE tenant_id = $1 AND event_id = $2`,
      [tenantId, eventId, error],
    );
  }

  /** A 4xx that will never succeed: recorded with its reason and never retried automatically. */
  async markFailed(tenantId: string, initialContactId: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE contact_events SET status = 'failed', processed_at = now(), last_error = $3
        WHERE tenant_id = $1 AND initial_contact_id = $2 AND status = 'pending'`,
      [tenantId, initialContactId, reason.slice(0, 500)],
    );
  }

  async failed(tenantId: string, limit = 100): Promise<StoredEvent[]> {
    const rows = await this.db.query<EventRow>(
      `SELECT * FROM contact_events WHERE tenant_id = $1 AND status = 'failed' ORDER BY processed_at DESC LIMIT $2`,
      [tenantId, limit],
    );
    return rows.map(toEvent);
  }

  /** Pending events nobody finished recently: the sweeper re-enqueues them (Redis may have lost the jobs). */
  async stale(olderThanMs: number, limit = 500): Promise<StoredEvent[]> {
    const rows = await this.db.query<EventRow>(
      `SELECT * FROM contact_events
        WHERE status = 'pending'
          AND received_at < now() - ($1::int * interval '1 millisecond')
          AND (last_attempt_at IS NULL OR last_attempt_at < now() - ($1::int * interval '1 millisecond'))
        ORDER BY received_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map(toEvent);
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ status: string; n: string }>(
      `SELECT status, count(*)::text AS n FROM contact_events GROUP BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Contact ids of this tenant for which an end (DISCONNECTED / COMPLETED) is in the inbox. */
  async endedContactIds(tenantId: string, contactIds: string[]): Promise<Set<string>> {
    if (contactIds.length === 0) return new Set();
    const rows = await this.db.query<{ contact_id: string }>(
      `SELECT DISTINCT contact_id FROM contact_events
        WHERE tenant_id = $1 AND contact_id = ANY($2::text[]) AND event_type IN ('DISCONNECTED', 'COMPLETED')`,
      [tenantId, contactIds],
    );
    return new Set(rows.map((r) => r.contact_id));
  }

  async knownContactIds(tenantId: string, contactIds: string[]): Promise<Set<string>> {
    if (contactIds.length === 0) return new Set();
    const rows = await this.db.query<{ contact_id: string }>(
      `SELECT contact_id FROM contact_legs WHERE tenant_id = $1 AND contact_id = ANY($2::text[])`,
      [tenantId, contactIds],
    );
    return new Set(rows.map((r) => r.contact_id));
  }
}
