import { randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ConnectDouble } from '../../doubles/connect-double';
import type { ContactLensDouble } from '../../doubles/contact-lens-double';
import type { DoubleUser, ZendeskDouble } from '../../doubles/zendesk-double';
import type { ContactDetails } from '../connect/types';
import type { ContactRepo } from '../contacts/repo';
import { AGENT } from './seed';
import { RECORDINGS, type Recording, type Turn } from './recordings';

/** What the simulated softphone in the top bar is told (the host page relays it over SSE). */
export type SoftphoneEvent =
  | { type: 'ring'; contactId: string; phone: string; queue: string }
  | { type: 'connected'; contactId: string }
  | { type: 'ended'; contactId: string };

/** The call the demo agent is on, for the host page to open its ticket. */
export interface AgentCall {
  contactId: string;
  name: string;
  phase: 'ringing' | 'connected' | 'wrap_up' | 'solved';
  ticketId?: number;
}

export interface ReplayDeps {
  serviceUrl: string;
  ingestKey: string;
  tenantId: string;
  connect: ConnectDouble;
  lens: ContactLensDouble;
  zendesk: ZendeskDouble;
  contacts: ContactRepo;
  agent: DoubleUser;
  bot: DoubleUser;
  logger: Logger;
  /** 1 = real time; 2 = twice as fast. */
  speed: number;
  onSoftphone(event: SoftphoneEvent): void;
  onAgentCall(call: AgentCall): void;
  /** True while the person at the demo page writes a reply on that ticket: the replay leaves it alone. */
  agentIsWriting(ticketId: number): boolean;
  signal: AbortSignal;
}

const SYSTEM_PHONE = '+18005550100';
const BOT_ANSWER =
  'Answered by the voice bot: your order has shipped and should arrive within 3 business days. ' +
  'The tracking link is in your confirmation email.';

/**
 * Replays the recorded calls against the running service, forever (until the signal aborts), the way
 * Amazon Connect would deliver them: contact events to /v1/connect/events and Contact Lens segments to
 * /v1/connect/contact-lens, both with the tenant's ingest key, while the Connect and Contact Lens
 * doubles answer what the service asks about those contacts. Two lanes: the demo agent's calls one after
 * the other, and other callers (a bot that solves the question, someone who hangs up in the queue).
 */
export class Replay {
  private readonly arn: string;
  calls = 0;

  constructor(private readonly deps: ReplayDeps) {
    this.arn = deps.connect.instanceArn;
  }

  /** Runs both lanes until aborted; resolves (never rejects) once they stopped. */
  async run(): Promise<void> {
    const agentCalls = RECORDINGS.filter((r) => r.kind === 'answered');
    const others = RECORDINGS.filter((r) => r.kind !== 'answered');
    await Promise.all([
      this.lane(agentCalls, 0, (r) => this.answered(r)),
      this.lane(others, 8, (r) => (r.kind === 'self_service' ? this.selfService(r) : this.abandoned(r))),
    ]);
  }

  private async lane(list: Recording[], delaySeconds: number, play: (r: Recording) => Promise<void>) {
    try {
      await this.sleep(delaySeconds);
      for (let i = 0; !this.deps.signal.aborted; i = (i + 1) % list.length) {
        try {
          await play(list[i]!);
        } catch (err) {
          if (this.deps.signal.aborted) return;
          this.deps.logger.warn({ err: (err as Error).message }, 'demo call replay failed; next call');
        }
        await this.sleep(list[i]!.kind === 'answered' ? 4 : 12);
      }
    } catch {
      // aborted while sleeping
    }
  }

  private sleep(seconds: number): Promise<void> {
    return sleepFor((seconds * 1000) / this.deps.speed, undefined, { signal: this.deps.signal });
  }

  private details(rec: Recording, contactId: string, startedAt: number): ContactDetails {
    return {
      contactId,
      initialContactId: contactId,
      channel: 'VOICE',
      initiationMethod: 'INBOUND',
      customerPhone: rec.phone,
      systemPhone: SYSTEM_PHONE,
      ...(rec.kind === 'self_service' ? {} : { queueId: rec.queue }),
      initiationTimestamp: new Date(startedAt).toISOString(),
      nextContactIds: [],
      attributes: { demo: 'true' },
    };
  }

  private async post(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${this.deps.serviceUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.deps.ingestKey}` },
      body: JSON.stringify(body),
      signal: this.deps.signal,
    });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`POST ${path} answered ${res.status}`);
  }

  private event(contactId: string, eventType: string, agent = false): Promise<void> {
    const [, , , region, account] = this.arn.split(':');
    return this.post('/v1/connect/events', {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Amazon Connect Contact Event',
      source: 'aws.connect',
      account,
      time: new Date().toISOString(),
      region,
      resources: [this.arn, `${this.arn}/contact/${contactId}`],
      detail: {
        contactId,
        initialContactId: contactId,
        channel: 'VOICE',
        instanceArn: this.arn,
        initiationMethod: 'INBOUND',
        eventType,
        ...(agent ? { agentInfo: { agentArn: `${this.arn}/agent/${AGENT.connectUserId}` } } : {}),
      },
    });
  }

  /** One Kinesis record of the real-time segment stream (already decoded, as EventBridge Pipes passes it). */
  private segments(contactId: string, eventType: string, segments: unknown[] = []): Promise<void> {
    return this.post('/v1/connect/contact-lens', {
      Version: '1.0.0',
      Channel: 'VOICE',
      AccountId: this.arn.split(':')[4],
      InstanceId: this.deps.connect.instanceId,
      ContactId: contactId,
      LanguageCode: 'en-US',
      EventType: eventType,
      ...(segments.length ? { Segments: segments } : {}),
    });
  }

  private async ticketOf(contactId: string, until: (state: string) => boolean): Promise<number> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const c = await this.deps.contacts.byContactId(this.deps.tenantId, contactId);
      if (c?.ticketId && until(c.state)) return c.ticketId;
      if (Date.now() > deadline) throw new Error(`no ticket for contact ${contactId} within 60 s`);
      await sleepFor(250, undefined, { signal: this.deps.signal });
    }
  }

  private async answered(rec: Recording): Promise<void> {
    const { connect, lens, zendesk } = this.deps;
    const contactId = randomUUID();
    const startedAt = Date.now();
    const base = this.details(rec, contactId, startedAt);
    connect.putContact(base);
    this.calls++;
    await this.event(contactId, 'INITIATED');
    await this.event(contactId, 'QUEUED');
    this.deps.onSoftphone({ type: 'ring', contactId, phone: rec.phone, queue: rec.queue });
    this.deps.onAgentCall({ contactId, name: rec.name, phase: 'ringing' });
    await this.sleep(rec.waitSeconds);

    const connectedAt = Date.now();
    connect.putContact({
      ...base,
      agentId: AGENT.connectUserId,
      connectedToAgentTimestamp: new Date(connectedAt).toISOString(),
    });
    await this.event(contactId, 'CONNECTED_TO_AGENT', true);
    this.deps.onSoftphone({ type: 'connected', contactId });
    const ticketId = await this.ticketOf(contactId, () => true);
    this.deps.onAgentCall({ contactId, name: rec.name, phase: 'connected', ticketId });
    await this.segments(contactId, 'STARTED');

    let clock = 0;
    for (const turn of rec.turns) {
      await this.sleep(turn.at - clock);
      clock = turn.at;
      const segment = transcript(turn, contactId);
      lens.release(contactId, [segment]);
      await this.segments(contactId, 'SEGMENTS', [segment]);
    }
    await this.sleep(3);
    lens.end(contactId);
    await this.segments(contactId, 'COMPLETED');
    connect.putContact({
      ...base,
      agentId: AGENT.connectUserId,
      connectedToAgentTimestamp: new Date(connectedAt).toISOString(),
      disconnectTimestamp: new Date().toISOString(),
      disconnectReason: 'CUSTOMER_DISCONNECT',
      recordingUrl: `s3://demo-recordings/connect/${contactId}.wav`,
    });
    await this.event(contactId, 'DISCONNECTED', true);
    this.deps.onSoftphone({ type: 'ended', contactId });
    await this.ticketOf(contactId, (s) => s === 'ended');
    this.deps.onAgentCall({ contactId, name: rec.name, phase: 'wrap_up', ticketId });

    // After-call work: the agent writes the outcome and solves the ticket (unless they did in the page).
    await this.sleep(10);
    const ticket = zendesk.tickets.get(ticketId);
    const open = ticket && ticket.status !== 'solved' && ticket.status !== 'closed';
    if (open && rec.wrapUp && !this.deps.agentIsWriting(ticketId)) {
      zendesk.updateTicket(ticketId, {
        authorId: this.deps.agent.id,
        status: 'solved',
        comment: { body: rec.wrapUp, public: true },
      });
    }
    this.deps.onAgentCall({ contactId, name: rec.name, phase: 'solved', ticketId });
  }

  private async selfService(rec: Recording): Promise<void> {
    const contactId = randomUUID();
    const base = this.details(rec, contactId, Date.now());
    this.deps.connect.putContact(base);
    this.calls++;
    await this.event(contactId, 'INITIATED');
    await this.sleep(rec.waitSeconds);
    this.deps.connect.putContact({
      ...base,
      disconnectTimestamp: new Date().toISOString(),
      disconnectReason: 'CUSTOMER_DISCONNECT',
    });
    await this.event(contactId, 'DISCONNECTED');
    const ticketId = await this.ticketOf(contactId, (s) => s === 'ended');
    // The bot's answer is on the ticket, which an automation then solves.
    const ticket = this.deps.zendesk.tickets.get(ticketId);
    if (ticket && ticket.status !== 'solved' && ticket.status !== 'closed')
      this.deps.zendesk.updateTicket(ticketId, {
        authorId: this.deps.bot.id,
        status: 'solved',
        comment: { body: BOT_ANSWER, public: true },
      });
  }

  private async abandoned(rec: Recording): Promise<void> {
    const contactId = randomUUID();
    const base = this.details(rec, contactId, Date.now());
    this.deps.connect.putContact(base);
    this.calls++;
    await this.event(contactId, 'INITIATED');
    await this.event(contactId, 'QUEUED');
    await this.sleep(rec.waitSeconds);
    this.deps.connect.putContact({
      ...base,
      disconnectTimestamp: new Date().toISOString(),
      disconnectReason: 'CUSTOMER_DISCONNECT',
    });
    await this.event(contactId, 'DISCONNECTED');
  }
}

/** A finished turn as Contact Lens reports it (Transcript segment, offsets from the call's start). */
function transcript(turn: Turn, contactId: string): Record<string, unknown> {
  const begin = turn.at * 1000;
  const words = turn.text.split(/\s+/).length;
  return {
    Transcript: {
      Id: `${contactId.slice(0, 8)}-${turn.at}-${turn.who.toLowerCase()}`,
      ParticipantId: turn.who,
      ParticipantRole: turn.who,
      Content: turn.text,
      BeginOffsetMillis: begin,
      EndOffsetMillis: begin + Math.max(1200, words * 380),
      Sentiment: turn.sentiment,
    },
  };
}
