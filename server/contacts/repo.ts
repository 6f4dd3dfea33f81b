import type { Db } from '../store/db';

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
  createAttemptedAt?: string;
  createAttemptLegs?: string[];
}

const COLUMNS: Record<Exclude<keyof ContactPatch, 'addFinalizedLegs'>, string> = {
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

/** Conversations (initial contact id) and their ticket; the mapping never comes from a Zendesk search. */
export class ContactRepo {
  constructor(private readonly db: Db) {}

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
    );
  }

  async patch(tenantId: string, initialContactId: string, patch: ContactPatch): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [tenantId, initialContactId];
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
    if (sets.length === 0) return;
    await this.db.query(
      `UPDATE contacts SET ${sets.join(', ')}, updated_at = now() WHERE tenant_id = $1 AND initial_contact_id = $2`,
      params,
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
