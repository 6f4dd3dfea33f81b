import type { Db } from '../store/db';
import { toEvent, type EventRow, type StoredEvent } from './inbox';

export type ContactState = 'initiated' | 'queued' | 'connected' | 'ended';
export type Outcome = 'answered' | 'abandoned' | 'self_service';

export interface ContactRecord {
  tenantId: string;
  initialContactId: string;
  channel: string;
  ticketId: number | null;
  requesterId: number | null;
  outcome: Outcome | null;
  state: ContactState;
  queueName: string | null;
  agentUsername: string | null;
  callerMasked: string | null;
  startedAt: string | null;
  connectedAt: string | null;
  endedAt: string | null;
  finalizedLegs: string[];
  createAttemptedAt: string | null;
  createAttemptLegs: string[];
  /** Legs whose final update may have reached Zendesk without being recorded (see 009_update_attempts). */
  updateAttemptLegs: string[];
}

interface Row {
  tenant_id: string;
  initial_contact_id: string;
  channel: string;
  ticket_id: string | number | null;
  requester_id: string | number | null;
  outcome: Outcome | null;
  state: ContactState;
  queue_name: string | null;
  agent_username: string | null;
  caller_masked: string | null;
  started_at: Date | string | null;
  connected_at: Date | string | null;
  ended_at: Date | string | null;
  finalized_legs: string[];
  create_attempted_at: Date | string | null;
  create_attempt_legs: string[];
  update_attempt_legs?: string[];
}

const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());
const num = (v: string | number | null) => (v === null ? null : Number(v));
const toRecord = (r: Row): ContactRecord => ({
  tenantId: r.tenant_id,
  initialContactId: r.initial_contact_id,
  channel: r.channel,
  ticketId: num(r.ticket_id),
  requesterId: num(r.requester_id),
  outcome: r.outcome,
  state: r.state,
  queueName: r.queue_name,
  agentUsername: r.agent_username,
  callerMasked: r.caller_masked,
  startedAt: iso(r.started_at),
  connectedAt: iso(r.connected_at),
  endedAt: iso(r.ended_at),
  finalizedLegs: r.finalized_legs ?? [],
  createAttemptedAt: iso(r.create_attempted_at),
  createAttemptLegs: r.create_attempt_legs ?? [],
  updateAttemptLegs: r.update_attempt_legs ?? [],
});

/** Thrown when another worker holds the conversation's lease: the job is retried shortly, not failed. */
export class LeaseBusyError extends Error {
  constructor(public readonly initialContactId: string) {
    super(`contact ${initialContactId} is being synced by another worker`);
    this.name = 'LeaseBusyError';
  }
}

export interface ContactPatch {
  channel?: string;
  ticketId?: number;
  requesterId?: number | null;
  outcome?: Outcome;
  state?: ContactState;
  queueName?: string | null;
  agentUsername?: string | null;
  callerMasked?: string | null;
  startedAt?: string | null;
  connectedAt?: string | null;
  endedAt?: string | null;
  addFinalizedLegs?: string[];
  addUpdateAttemptLegs?: string[];
  createAttemptedAt?: string;
  createAttemptLegs?: string[];
}

const COLUMNS: Record<Exclude<keyof ContactPatch, 'addFinalizedLegs' | 'addUpdateAttemptLegs'>, string> = {
  channel: 'channel',
  ticketId: 'ticket_id',
  requesterId: 'requester_id',
  outcome: 'outcome',
  state: 'state',
  queueName: 'queue_name',
  agentUsername: 'agent_username',
  callerMasked: 'caller_masked',
  startedAt: 'started_at',
  connectedAt: 'connected_at',
  endedAt: 'ended_at',
  createAttemptedAt: 'create_attempted_at',
  createAttemptLegs: 'create_attempt_legs',
};

/**
 * What a worker finds when it asks for a conversation: nothing pending (another job already did it), the
 * lease held by another worker (told to look again before it lets go), or the lease with every event.
 */
export type Acquired =
  { kind: 'idle' } | { kind: 'busy' } | { kind: 'leased'; record: ContactRecord; events: StoredEvent[] };

/** The lease is free for `EXCLUDED.lease_owner` (expired, never taken, or already its own). */
const FREE = 'c.lease_until IS NULL OR c.lease_until < now() OR c.lease_owner = EXCLUDED.lease_owner';

/** SET clauses for a patch; its values are appended to params. */
function setsOf(patch: ContactPatch, params: unknown[]): string[] {
  const sets: string[] = [];
  for (const [key, column] of Object.entries(COLUMNS) as [keyof typeof COLUMNS, string][]) {
    if (patch[key] === undefined) continue;
    params.push(patch[key]);
    sets.push(`${column} = $${params.length}`);
  }
  if (patch.addFinalizedLegs?.length) {
    params.push(patch.addFinalizedLegs);
    sets.push(
      `finalized_legs = (SELECT array_agg(DISTINCT x) FROM unnest(finalized_legs || $${params.length}::text[]) x)`,
    );
  }
  if (patch.addUpdateAttemptLegs?.length) {
    params.push(patch.addUpdateAttemptLegs);
    sets.push(
      `update_attempt_legs = (SELECT array_agg(DISTINCT x) FROM unnest(update_attempt_legs || $${params.length}::text[]) x)`,
    );
  }
  return sets;
}

/** Conversations (initial contact id) and their ticket; the mapping never comes from a Zendesk search. */
export class ContactRepo {
  constructor(private readonly db: Db) {}

  /**
   * One round trip for what starts a sync round: reads the conversation's events and, when any is pending,
   * creates the row if needed and takes the lease. When another worker holds the lease, marks the row so
   * the holder reads the inbox again before it releases (see finish): the caller may stop at once.
   * A conflicting writer is waited for (row lock) and the lease decided on its committed row.
   */
  async acquire(tenantId: string, initialContactId: string, owner: string, ms: number): Promise<Acquired> {
    const rows = await this.db.query<{ contact: Row | null; events: EventRow[] | null; pending: boolean }>(
      `WITH ev AS (
         SELECT * FROM contact_events WHERE tenant_id = $1 AND initial_contact_id = $2
       ), l AS (
         INSERT INTO contacts AS c (tenant_id, initial_contact_id, channel, lease_owner, lease_until, lease_rerun)
         SELECT $1, $2, COALESCE((SELECT channel FROM ev ORDER BY event_time, received_at LIMIT 1), 'VOICE'), $3,
                now() + ($4::int * interval '1 millisecond'), false
          WHERE EXISTS (SELECT 1 FROM ev WHERE status = 'pending')
         ON CONFLICT (tenant_id, initial_contact_id) DO UPDATE SET
           lease_owner = CASE WHEN ${FREE} THEN EXCLUDED.lease_owner ELSE c.lease_owner END,
           lease_until = CASE WHEN ${FREE} THEN EXCLUDED.lease_until ELSE c.lease_until END,
           lease_rerun = NOT (${FREE})
         RETURNING c.*
       )
       SELECT (SELECT row_to_json(l) FROM l WHERE l.lease_owner = $3) AS contact,
              (SELECT json_agg(ev ORDER BY ev.event_time, ev.received_at) FROM ev) AS events,
              EXISTS (SELECT 1 FROM ev WHERE status = 'pending') AS pending`,
      [tenantId, initialContactId, owner, ms],
      { prepared: true },
    );
    const row = rows[0]!;
    if (!row.pending) return { kind: 'idle' };
    if (!row.contact) return { kind: 'busy' };
    return { kind: 'leased', record: toRecord(row.contact), events: (row.events ?? []).map(toEvent) };
  }

  /**
   * Ends a sync round in one statement: the events it handled are done, the patch is written and the
   * lease released together. True when a job found the lease taken meanwhile (read the inbox again).
   */
  async finish(
    tenantId: string,
    initialContactId: string,
    owner: string,
    patch: ContactPatch,
    doneEventIds: string[],
  ): Promise<{ rerun: boolean }> {
    const params: unknown[] = [tenantId, initialContactId, owner, doneEventIds];
    const sets = setsOf(patch, params);
    const rows = await this.db.query<{ lease_rerun: boolean }>(
      `WITH done AS (
         UPDATE contact_events SET status = 'done', processed_at = now(), last_error = NULL
          WHERE tenant_id = $1 AND initial_contact_id = $2 AND event_id = ANY($4::text[]) AND status = 'pending'
       )
       UPDATE contacts SET ${[...sets, 'updated_at = now()'].join(', ')},
              lease_owner = CASE WHEN lease_owner = $3 THEN NULL ELSE lease_owner END,
              lease_until = CASE WHEN lease_owner = $3 THEN NULL ELSE lease_until END
        WHERE tenant_id = $1 AND initial_contact_id = $2
        RETURNING lease_rerun`,
      params,
      { prepared: true },
    );
    return { rerun: rows[0]?.lease_rerun ?? false };
  }

  /**
   * Creates the row if needed and takes a lease on it. Leases (not long transactions) serialise
   * workers on one conversation, so no database connection is held while Zendesk answers.
   */
  async lease(
    tenantId: string,
    initialContactId: string,
    channel: string,
    owner: string,
    ms: number,
  ): Promise<ContactRecord> {
    await this.db.query(
      `INSERT INTO contacts (tenant_id, initial_contact_id, channel) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [tenantId, initialContactId, channel],
    );
    const rows = await this.db.query<Row>(
      `UPDATE contacts SET lease_owner = $3, lease_until = now() + ($4::int * interval '1 millisecond')
        WHERE tenant_id = $1 AND initial_contact_id = $2
          AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $3)
        RETURNING *`,
      [tenantId, initialContactId, owner, ms],
    );
    if (!rows[0]) throw new LeaseBusyError(initialContactId);
    return toRecord(rows[0]);
  }

  async release(tenantId: string, initialContactId: string, owner: string): Promise<void> {
    await this.db.query(
      `UPDATE contacts SET lease_owner = NULL, lease_until = NULL
        WHERE tenant_id = $1 AND initial_contact_id = $2 AND lease_owner = $3`,
      [tenantId, initialContactId, owner],
      { prepared: true },
    );
  }

  async patch(tenantId: string, initialContactId: string, patch: ContactPatch): Promise<void> {
    const params: unknown[] = [tenantId, initialContactId];
    const sets = setsOf(patch, params);
    if (sets.length === 0) return;
    await this.db.query(
      `UPDATE contacts SET ${sets.join(', ')}, updated_at = now() WHERE tenant_id = $1 AND initial_contact_id = $2`,
      params,
      { prepared: true },
    );
  }

  async get(tenantId: string, initialContactId: string): Promise<ContactRecord | null> {
    const rows = await this.db.query<Row>(
      `SELECT * FROM contacts WHERE tenant_id = $1 AND initial_contact_id = $2`,
      [tenantId, initialContactId],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Finds the conversation of any leg (transfer, callback) of it. */
  async byContactId(tenantId: string, contactId: string): Promise<ContactRecord | null> {
    const rows = await this.db.query<Row>(
      `SELECT c.* FROM contact_legs l JOIN contacts c
          ON c.tenant_id = l.tenant_id AND c.initial_contact_id = l.initial_contact_id
        WHERE l.tenant_id = $1 AND l.contact_id = $2`,
      [tenantId, contactId],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async byTicket(tenantId: string, ticketId: number): Promise<ContactRecord | null> {
    const rows = await this.db.query<Row>(
      `SELECT * FROM contacts WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY created_at DESC LIMIT 1`,
      [tenantId, ticketId],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }
}
