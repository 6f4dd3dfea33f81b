import { randomUUID } from 'node:crypto';
import type { ContactDetails } from '../../server/connect/types';
import type { ConnectDouble } from '../../doubles/connect-double';

/** An EventBridge "Amazon Connect Contact Event" envelope, as an API destination posts it. */
export function envelope(
  instanceArn: string,
  detail: {
    contactId: string;
    eventType: string;
    initialContactId?: string;
    previousContactId?: string;
    channel?: string;
    initiationMethod?: string;
    agentArn?: string;
    queueArn?: string;
  },
  time = new Date(),
): Record<string, unknown> {
  const region = instanceArn.split(':')[3];
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Amazon Connect Contact Event',
    source: 'aws.connect',
    account: instanceArn.split(':')[4],
    time: time.toISOString(),
    region,
    resources: [instanceArn, `${instanceArn}/contact/${detail.contactId}`],
    detail: {
      contactId: detail.contactId,
      initialContactId: detail.initialContactId ?? detail.contactId,
      ...(detail.previousContactId ? { previousContactId: detail.previousContactId } : {}),
      channel: detail.channel ?? 'VOICE',
      instanceArn,
      initiationMethod: detail.initiationMethod ?? 'INBOUND',
      eventType: detail.eventType,
      ...(detail.agentArn ? { agentInfo: { agentArn: detail.agentArn } } : {}),
      ...(detail.queueArn ? { queueInfo: { queueArn: detail.queueArn, queueType: 'STANDARD' } } : {}),
    },
  };
}

export type CallKind = 'answered' | 'abandoned' | 'self_service' | 'transfer';

export interface CallScript {
  initialContactId: string;
  kind: CallKind;
  phone: string;
  /** Events in the order they happened. */
  events: Record<string, unknown>[];
  /** What the Connect double answers for each leg, as stored (change and put again to alter it). */
  contacts: ContactDetails[];
}

/**
 * Puts one call into the Connect double (what DescribeContact will answer) and returns the events
 * Connect would emit for it. Transfers have two legs sharing the initial contact id.
 */
export function scriptCall(
  connect: ConnectDouble,
  kind: CallKind,
  phone: string,
  agentUserId = 'agent-1',
): CallScript {
  const arn = connect.instanceArn;
  const contacts: ContactDetails[] = [];
  const put = (c: ContactDetails) => {
    contacts.push(c);
    connect.putContact(c);
  };
  const start = Date.now() - 120_000;
  const at = (s: number) => new Date(start + s * 1000).toISOString();
  const first = randomUUID();
  const base: ContactDetails = {
    contactId: first,
    initialContactId: first,
    channel: 'VOICE',
    initiationMethod: 'INBOUND',
    customerPhone: phone,
    systemPhone: '+18005550100',
    queueId: kind === 'self_service' ? undefined : 'queue-support',
    initiationTimestamp: at(0),
    nextContactIds: [],
    attributes: {},
  };
  const agentArn = `${arn}/agent/${agentUserId}`;
  const events: Record<string, unknown>[] = [];
  const ev = (contactId: string, eventType: string, s: number, extra: Record<string, string> = {}) =>
    envelope(arn, { contactId, initialContactId: first, eventType, ...extra }, new Date(start + s * 1000));

  events.push(ev(first, 'INITIATED', 0));
  if (kind === 'self_service') {
    put({ ...base, disconnectTimestamp: at(60), disconnectReason: 'CUSTOMER_DISCONNECT' });
    events.push(ev(first, 'DISCONNECTED', 60));
  } else if (kind === 'abandoned') {
    put({ ...base, disconnectTimestamp: at(90), disconnectReason: 'CUSTOMER_DISCONNECT' });
    events.push(ev(first, 'QUEUED', 5), ev(first, 'DISCONNECTED', 90));
  } else if (kind === 'answered') {
    put({
      ...base,
      agentId: agentUserId,
      connectedToAgentTimestamp: at(10),
      disconnectTimestamp: at(100),
      disconnectReason: 'AGENT_DISCONNECT',
      recordingUrl: `recordings/${first}.wav`,
    });
    events.push(
      ev(first, 'QUEUED', 5),
      ev(first, 'CONNECTED_TO_AGENT', 10, { agentArn }),
      ev(first, 'DISCONNECTED', 100),
    );
  } else {
    const second = randomUUID();
    put({
      ...base,
      agentId: agentUserId,
      connectedToAgentTimestamp: at(10),
      disconnectTimestamp: at(50),
      disconnectReason: 'TRANSFER',
      nextContactIds: [second],
    });
    put({
      ...base,
      contactId: second,
      previousContactId: first,
      initiationMethod: 'TRANSFER',
      agentId: 'agent-2',
      initiationTimestamp: at(50),
      connectedToAgentTimestamp: at(55),
      disconnectTimestamp: at(110),
      disconnectReason: 'AGENT_DISCONNECT',
    });
    events.push(
      ev(first, 'QUEUED', 5),
      ev(first, 'CONNECTED_TO_AGENT', 10, { agentArn }),
      ev(first, 'DISCONNECTED', 50),
      ev(second, 'INITIATED', 50, { previousContactId: first, initiationMethod: 'TRANSFER' }),
      ev(second, 'CONNECTED_TO_AGENT', 55, { agentArn: `${arn}/agent/agent-2` }),
      ev(second, 'DISCONNECTED', 110),
    );
  }
  return { initialContactId: first, kind, phone, events, contacts };
}
