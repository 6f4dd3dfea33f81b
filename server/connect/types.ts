/** Normalised Amazon Connect shapes the domain works with (server/connect turns AWS shapes into these). */

export type ContactEventType =
  | 'INITIATED'
  | 'CONNECTED_TO_SYSTEM'
  | 'QUEUED'
  | 'CONNECTED_TO_AGENT'
  | 'CONTACT_DATA_UPDATED'
  | 'DISCONNECTED'
  | 'COMPLETED'
  | 'PAUSED'
  | 'RESUMED'
  | (string & {});

export type Channel = 'VOICE' | 'CHAT' | 'TASK' | 'EMAIL' | (string & {});

/** One "Amazon Connect Contact Event" from EventBridge, normalised (upper-case enums, camelCase keys). */
export interface ContactEvent {
  /** EventBridge envelope id: unique per event; the inbox key. */
  eventId: string;
  /** Envelope `time` (ISO). */
  time: string;
  eventType: ContactEventType;
  contactId: string;
  initialContactId: string;
  previousContactId?: string;
  instanceArn: string;
  channel: Channel;
  initiationMethod?: string;
  agentArn?: string;
  queueArn?: string;
  connectedToAgentTimestamp?: string;
  disconnectTimestamp?: string;
  initiationTimestamp?: string;
  /** e.g. CUSTOMER_DISCONNECT, AGENT_DISCONNECT (newer DISCONNECTED events carry it). */
  disconnectReason?: string;
}

/** What DescribeContact tells us, trimmed to what we use. */
export interface ContactDetails {
  contactId: string;
  initialContactId?: string;
  previousContactId?: string;
  channel: Channel;
  initiationMethod?: string;
  customerPhone?: string;
  systemPhone?: string;
  queueName?: string;
  queueId?: string;
  agentId?: string;
  initiationTimestamp?: string;
  connectedToAgentTimestamp?: string;
  disconnectTimestamp?: string;
  disconnectReason?: string;
  recordingUrl?: string;
  nextContactIds: string[];
  attributes: Record<string, string>;
}

export interface AgentDetails {
  userId: string;
  username: string;
  email?: string;
  firstName?: string;
  lastName?: string;
}

/** A contact as SearchContacts lists it. */
export interface ContactSummary {
  contactId: string;
  initialContactId?: string;
  channel: Channel;
  initiationTimestamp?: string;
  disconnectTimestamp?: string;
  agentConnected: boolean;
}

export interface ConnectApi {
  describeContact(instanceArn: string, contactId: string): Promise<ContactDetails>;
  /** Cached per instance and user id. */
  describeUser(instanceArn: string, userId: string): Promise<AgentDetails>;
  searchContacts(instanceArn: string, from: Date, to: Date): AsyncIterable<ContactSummary>;
}

/** Thrown when Connect says the contact or user does not exist (never retried). */
export class ConnectNotFoundError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectNotFoundError';
  }
}
