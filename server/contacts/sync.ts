import type { Logger } from 'pino';
import type { ConnectApi, ContactDetails } from '../connect/types';
import { ConnectNotFoundError } from '../connect/types';
import type { Tenant } from '../tenants/repo';
import type { RequestPriority, TicketWrite, VoiceComment, ZendeskApi } from '../zendesk/types';
import { ZendeskError } from '../zendesk/types';
import type { UserDirectory } from './directory';
import { maskPhone } from './directory';
import type { Inbox, StoredEvent } from './inbox';
import {
  type ContactPatch,
  type ContactRecord,
  type ContactRepo,
  type ContactState,
  type Outcome,
} from './repo';

export interface SyncDeps {
  inbox: Inbox;
  contacts: ContactRepo;
  users: UserDirectory;
  connect: ConnectApi;
  tenant: (id: string) => Promise<Tenant | null>;
  zendesk: (tenant: Tenant) => Promise<ZendeskApi>;
  logger: Logger;
  /** Tells API processes the conversation changed (their open event streams re-read it). */
  notify?: (tenantId: string, initialContactId: string) => Promise<void>;
  /** Told the conversation's events before Zendesk is touched (live sentiment starts/stops polling). */
  onContactState?: (tenantId: string, initialContactId: string, events: StoredEvent[]) => Promise<void>;
  /** How long a worker may hold a conversation before another may take over (a crashed worker's lease expires). */
  leaseMs?: number;
}

export type SyncAction = 'none' | 'ticket_created_live' | 'ticket_created_final' | 'ticket_updated';

export interface SyncResult {
  actions: SyncAction[];
  ticketId: number | null;
  /** Set when another worker held the conversation and will pick this event up on release. */
  deferredTo?: string;
}

/** A failure that retrying will never fix (a 4xx from Zendesk, a contact Connect does not know). */
export class PermanentSyncError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentSyncError';
  }
}

const ENDED = new Set(['DISCONNECTED', 'COMPLETED']);

interface Leg {
  contactId: string;
  types: Set<string>;
  channel: string;
  initiationMethod?: string;
  firstSeen: string;
}

/** What the events of one conversation say, whatever order they came in. */
function legsOf(events: StoredEvent[]): Map<string, Leg> {
  const legs = new Map<string, Leg>();
  for (const e of events) {
    let leg = legs.get(e.contactId);
    if (!leg) {
      leg = { contactId: e.contactId, types: new Set(), channel: e.channel, firstSeen: e.eventTime ?? '' };
      legs.set(e.contactId, leg);
    }
    leg.types.add(e.eventType);
    if (e.detail.initiationMethod) leg.initiationMethod = e.detail.initiationMethod;
  }
  return legs;
}

function stateOf(legs: Leg[]): ContactState {
  const all = new Set(legs.flatMap((l) => [...l.types]));
  if (legs.length > 0 && legs.every((l) => [...l.types].some((t) => ENDED.has(t)))) return 'ended';
  if (all.has('CONNECTED_TO_AGENT')) return 'connected';
  if (all.has('QUEUED')) return 'queued';
  return 'initiated';
}

const seconds = (from?: string, to?: string) =>
  from && to ? Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000)) : 0;

/**
 * Brings one conversation's Zendesk ticket up to date with everything its events say. Idempotent and
 * order-independent: it reads the whole event history and the ticket state from Postgres each time,
 * so a duplicate, late or replayed event changes nothing that is already true.
 */
export async function syncContact(
  deps: SyncDeps,
  job: { tenantId: string; eventId: string; initialContactId: string },
  owner: string,
): Promise<SyncResult> {
  const { tenantId, initialContactId } = job;
  const log = deps.logger.child({ tenantId, initialContactId });
  const tenant = await deps.tenant(tenantId);
  if (!tenant) throw new PermanentSyncError(`tenant ${tenantId} no longer exists`);

  let result: SyncResult = { actions: ['none'], ticketId: null };
  // Several rounds: events that arrive while this worker holds the conversation are this worker's to do
  // (their own jobs found the lease taken, flagged the row and ended at once; finish reports the flag).
  for (let round = 0; round < 10; round++) {
    const got = await deps.contacts.acquire(tenantId, initialContactId, owner, deps.leaseMs ?? 30_000);
    if (got.kind === 'idle') return result; // nothing left, or a concurrent job already did it
    // The holder reads the inbox again before it releases; a crashed holder's lease expires and the
    // sweeper re-enqueues what it left. Waiting here would only add latency and queue churn.
    if (got.kind === 'busy') return { ...result, deferredTo: 'lease holder' };
    const { record, events } = got;
    const pending = events.filter((e) => e.status === 'pending');
    // Best effort and independent of Zendesk: live sentiment must not wait for (or fail with) the ticket,
    // nor the ticket for it. Told only when the pending events say something the others did not.
    const told = saysSomethingNew(events)
      ? deps
          .onContactState?.(tenantId, initialContactId, events)
          .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'contact state hook failed'))
      : undefined;
    let released = false;
    try {
      const done = await converge(deps, tenant, record, events, log);
      const { rerun } = await deps.contacts.finish(
        tenantId,
        initialContactId,
        owner,
        done.patch,
        pending.map((e) => e.eventId),
      );
      released = true;
      await deps.notify?.(tenantId, initialContactId).catch(() => undefined); // best effort: streams also poll on reconnect
      result = {
        actions: [...result.actions.filter((a) => a !== 'none'), ...done.actions],
        ticketId: done.ticketId,
      };
      if (result.actions.length === 0) result.actions = ['none'];
      if (!rerun) return result;
    } catch (err) {
      if (err instanceof ZendeskError && !err.retriable) {
        await deps.inbox.markFailed(tenantId, initialContactId, err.message);
        throw new PermanentSyncError(err.message, { cause: err });
      }
      if (err instanceof ConnectNotFoundError) {
        await deps.inbox.markFailed(tenantId, initialContactId, err.message);
        throw new PermanentSyncError(err.message, { cause: err });
      }
      throw err;
    } finally {
      await told;
      if (!released) await deps.contacts.release(tenantId, initialContactId, owner).catch(() => undefined);
    }
  }
  return result;
}

/**
 * Whether the pending events change what the conversation's events say about its legs (a new leg, a
 * leg connected or ended): only then is the contact state hook told again.
 */
function saysSomethingNew(events: StoredEvent[]): boolean {
  const said = (list: StoredEvent[]) => {
    const legs = new Map<string, { connected: boolean; ended: boolean }>();
    for (const e of list) {
      const leg = legs.get(e.contactId) ?? { connected: false, ended: false };
      if (e.eventType === 'CONNECTED_TO_AGENT') leg.connected = true;
      if (ENDED.has(e.eventType)) leg.ended = true;
      legs.set(e.contactId, leg);
    }
    return legs;
  };
  const before = said(events.filter((e) => e.status !== 'pending'));
  const now = said(events);
  return [...now].some(([id, leg]) => {
    const was = before.get(id);
    return !was || was.connected !== leg.connected || was.ended !== leg.ended;
  });
}

async function converge(
  deps: SyncDeps,
  tenant: Tenant,
  record: ContactRecord,
  events: StoredEvent[],
  log: Logger,
): Promise<SyncResult & { patch: ContactPatch }> {
  const legs = [...legsOf(events).values()];
  const instanceArn = events[0]!.detail.instanceArn;
  const state = stateOf(legs);
  const endedLegs = legs.filter((l) => [...l.types].some((t) => ENDED.has(t)));
  const toFinalize = endedLegs.filter((l) => !record.finalizedLegs.includes(l.contactId));
  const anyConnected = legs.some((l) => l.types.has('CONNECTED_TO_AGENT'));
  const statePatch: ContactPatch = { state: maxState(record.state, state) };

  // Nothing for Zendesk yet (INITIATED / QUEUED / data updates of a live contact), or nothing new.
  if ((!anyConnected && toFinalize.length === 0) || (record.ticketId !== null && toFinalize.length === 0)) {
    return { actions: ['none'], ticketId: record.ticketId, patch: statePatch };
  }

  // This round may create the ticket: say so before the create is sent, so a crash between Zendesk's
  // answer and our write is detectable (see the adoption below). The legs the create covers are the legs
  // to finalize (each either ends the conversation or was handed on). Written while Connect is asked.
  const attempt =
    record.ticketId === null
      ? deps.contacts.patch(tenant.id, record.initialContactId, {
          createAttemptedAt: new Date().toISOString(),
          createAttemptLegs: toFinalize.map((l) => l.contactId),
        })
      : undefined;
  attempt?.catch(() => undefined); // awaited before any create; a failure is never left unhandled

  const describe = memo((contactId: string) => deps.connect.describeContact(instanceArn, contactId));
  // Every leg to finalize is needed below: ask Connect for them together.
  for (const leg of toFinalize) describe(leg.contactId).catch(() => undefined);
  const zd = await deps.zendesk(tenant);
  const initial = await describe(record.initialContactId).catch((err: unknown) => {
    // The initial leg may be unknown when only a transfer leg reached us; fall back to the legs we have.
    if (err instanceof ConnectNotFoundError && legs.some((l) => l.contactId !== record.initialContactId))
      return null;
    throw err;
  });

  // Legs whose end means "the conversation is over here": not handed on to a next contact.
  const finals: ContactDetails[] = [];
  const handedOn: string[] = [];
  for (const leg of toFinalize) {
    const d = await describe(leg.contactId);
    if (d.nextContactIds.length > 0) handedOn.push(leg.contactId);
    else finals.push(d);
  }
  const lastFinal = finals.at(-1);
  const anchor = initial ?? lastFinal ?? (await describe(legs[0]!.contactId));
  const answered =
    anyConnected || finals.some((d) => d.connectedToAgentTimestamp) || !!anchor.connectedToAgentTimestamp;
  const outcome: Outcome = answered
    ? 'answered'
    : anchor.queueId || events.some((e) => e.eventType === 'QUEUED')
      ? 'abandoned'
      : 'self_service';
  const voice = anchor.channel.toUpperCase() === 'VOICE';
  const outbound = (anchor.initiationMethod ?? '').toUpperCase() === 'OUTBOUND';
  const customerPhone = anchor.customerPhone ?? lastFinal?.customerPhone;
  const priority: RequestPriority = lastFinal || record.ticketId !== null ? 'deferrable' : 'live';

  const current = lastFinal ?? (await describeLatestConnected(legs, describe)) ?? anchor;
  const agent = current.agentId ? await deps.connect.describeUser(instanceArn, current.agentId) : undefined;
  const agentZendeskId = agent
    ? await deps.users.agent(
        zd,
        tenant.id,
        agent.userId,
        agent.email ?? (agent.username.includes('@') ? agent.username : undefined),
        priority,
      )
    : null;

  const patch: ContactPatch = {
    ...statePatch,
    outcome,
    queueName: current.queueName ?? anchor.queueName ?? null,
    agentUsername: agent?.username ?? record.agentUsername,
    callerMasked: customerPhone ? maskPhone(customerPhone) : null,
    startedAt: anchor.initiationTimestamp ?? null,
    connectedAt: anchor.connectedToAgentTimestamp ?? current.connectedToAgentTimestamp ?? null,
    endedAt: lastFinal?.disconnectTimestamp ?? null,
  };

  const voiceComment = (d: ContactDetails): VoiceComment | undefined =>
    voice && customerPhone
      ? {
          from: outbound ? (d.systemPhone ?? '') : customerPhone,
          to: outbound ? customerPhone : (d.systemPhone ?? ''),
          started_at: anchor.initiationTimestamp ?? d.initiationTimestamp ?? new Date().toISOString(),
          call_duration: seconds(
            anchor.connectedToAgentTimestamp ?? anchor.initiationTimestamp,
            d.disconnectTimestamp,
          ),
          ...(d.recordingUrl ? { recording_url: d.recordingUrl } : {}),
          ...(agentZendeskId ? { answered_by_id: agentZendeskId } : {}),
        }
      : undefined;

  const tags = ['concierge', `concierge_${anchor.channel.toLowerCase()}`, `concierge_${outcome}`];
  const actions: SyncAction[] = [];
  let ticketId = record.ticketId;

  if (ticketId === null && record.createAttemptedAt !== null) {
    // An earlier create may have reached Zendesk with its answer lost (crash, timeout): adopt that ticket.
    const found = await zd.findTicketByExternalId(record.initialContactId, { priority });
    if (found !== null) {
      ticketId = found;
      record.finalizedLegs.push(...record.createAttemptLegs);
      await deps.contacts.patch(tenant.id, record.initialContactId, {
        ticketId,
        addFinalizedLegs: record.createAttemptLegs,
      });
      log.warn({ ticketId }, 'adopted a ticket created by an interrupted attempt');
    }
  }

  await attempt;
  if (ticketId === null) {
    const requesterId =
      voice && customerPhone ? await deps.users.caller(zd, tenant.id, customerPhone, priority) : undefined;
    const ticket: TicketWrite = {
      subject: subjectFor(anchor, outcome, outbound, customerPhone),
      external_id: record.initialContactId,
      tags,
      comment: {
        body: noteFor(anchor, lastFinal, agent?.username, outcome, instanceArn, tenant.connectUrl),
        public: false,
      },
      ...(requesterId ? { requester_id: requesterId } : {}),
      ...(lastFinal && voice ? optional('voice_comment', voiceComment(lastFinal)) : {}),
    };
    const covered = lastFinal ? [...finals.map((f) => f.contactId), ...handedOn] : handedOn;
    // The Idempotency-Key makes a create retried after a crash return the ticket the first attempt made.
    const opts = { priority, idempotencyKey: `concierge-${tenant.id}-${record.initialContactId}` };
    const created = voice
      ? await zd.createVoiceTicket(
          { ...ticket, via_id: lastFinal && !answered && lastFinal.recordingUrl ? 44 : outbound ? 46 : 45 },
          !lastFinal && agentZendeskId ? agentZendeskId : undefined,
          opts,
        )
      : await zd.createTicket(ticket, opts);
    ticketId = created.ticketId;
    actions.push(lastFinal ? 'ticket_created_final' : 'ticket_created_live');
    log.info({ ticketId, outcome, action: actions[0] }, 'ticket created');
    return {
      actions,
      ticketId,
      // Written with the round's end (finish), in the same statement that marks the events done.
      patch: {
        ...patch,
        ticketId,
        requesterId: created.requesterId ?? requesterId ?? null,
        // The create already carried everything about the legs that ended.
        addFinalizedLegs: covered,
      },
    };
  }

  const toWrite = finals.filter((f) => !record.finalizedLegs.includes(f.contactId));
  const written: string[] = [];
  for (const [i, d] of toWrite.entries()) {
    const note = noteFor(anchor, d, agent?.username, outcome, instanceArn, tenant.connectUrl);
    // A round that died between Zendesk's answer and our record left the leg marked: look before resending.
    if (record.updateAttemptLegs.includes(d.contactId) && (await endAlreadyOnTicket(zd, ticketId, d))) {
      log.warn({ ticketId }, 'final update of an interrupted attempt is already on the ticket; not resent');
    } else {
      await deps.contacts.patch(tenant.id, record.initialContactId, { addUpdateAttemptLegs: [d.contactId] });
      await zd.updateTicket(
        ticketId,
        {
          comment: { body: note, public: false },
          additional_tags: tags,
          ...optional('voice_comment', voiceComment(d)),
        },
        { priority: 'deferrable' },
      );
      actions.push('ticket_updated');
    }
    written.push(d.contactId);
    // Recorded before the next update, so a crash between two never repeats the first; the last one is
    // recorded with the round's end (finish).
    if (i < toWrite.length - 1)
      await deps.contacts.patch(tenant.id, record.initialContactId, { addFinalizedLegs: [d.contactId] });
  }
  if (actions.length) log.info({ ticketId, outcome }, 'ticket updated after contact ended');
  return {
    actions: actions.length ? actions : ['none'],
    ticketId,
    patch: { ...patch, addFinalizedLegs: [...handedOn, ...written] },
  };
}

/**
 * Whether the ticket already holds this leg's end: an internal note that names the leg's contact id and
 * its end. Not the exact text: what Connect answers can fill in between two attempts (queue, disconnect
 * reason), so a note written by an interrupted attempt may differ from the one this attempt would write.
 */
async function endAlreadyOnTicket(zd: ZendeskApi, ticketId: number, leg: ContactDetails): Promise<boolean> {
  const comments = await zd.listTicketComments(ticketId, { priority: 'deferrable' });
  return (comments ?? []).some(
    (c) => !c.public && c.body !== undefined && c.body.includes(leg.contactId) && /^Ended: /m.test(c.body),
  );
}

const ORDER: ContactState[] = ['initiated', 'queued', 'connected', 'ended'];
const maxState = (a: ContactState, b: ContactState): ContactState =>
  ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function memo<T>(fn: (k: string) => Promise<T>): (k: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (k) => {
    let p = cache.get(k);
    if (!p) {
      p = fn(k);
      cache.set(k, p);
    }
    return p;
  };
}

async function describeLatestConnected(
  legs: Leg[],
  describe: (id: string) => Promise<ContactDetails>,
): Promise<ContactDetails | undefined> {
  const connected = legs
    .filter((l) => l.types.has('CONNECTED_TO_AGENT'))
    .sort((a, b) => a.firstSeen.localeCompare(b.firstSeen));
  const last = connected.at(-1);
  return last ? describe(last.contactId) : undefined;
}

function subjectFor(d: ContactDetails, outcome: Outcome, outbound: boolean, phone?: string): string {
  const who = phone ? maskPhone(phone) : 'customer';
  const channel = d.channel.toUpperCase();
  if (channel !== 'VOICE') return `${channel.charAt(0)}${channel.slice(1).toLowerCase()} with ${who}`;
  if (outcome === 'abandoned') return `Abandoned call from ${who}`;
  if (outcome === 'self_service') return `Call from ${who} handled by self-service`;
  return outbound ? `Outbound call to ${who}` : `Call from ${who}`;
}

/** The internal note: what an agent or supervisor needs to find the contact again; no transcript here. */
function noteFor(
  anchor: ContactDetails,
  ended: ContactDetails | undefined,
  agentName: string | undefined,
  outcome: Outcome,
  instanceArn: string,
  connectUrl: string | null,
): string {
  const d = ended ?? anchor;
  const lines = [
    `Amazon Connect ${anchor.channel.toLowerCase()} contact (${outcome.replace('_', '-')}).`,
    d.queueName || anchor.queueName ? `Queue: ${d.queueName ?? anchor.queueName}` : undefined,
    agentName ? `Agent: ${agentName}` : undefined,
    anchor.initiationTimestamp ? `Started: ${anchor.initiationTimestamp}` : undefined,
    ended?.disconnectTimestamp ? `Ended: ${ended.disconnectTimestamp}` : 'In progress',
    ended?.disconnectReason ? `Disconnect reason: ${ended.disconnectReason}` : undefined,
    connectUrl
      ? `Contact: ${connectUrl}/contact-trace-records/details/${d.contactId}`
      : `Contact ID: ${d.contactId} (instance ${instanceArn.split('/').pop() ?? ''})`,
  ];
  return lines.filter(Boolean).join('\n');
}
