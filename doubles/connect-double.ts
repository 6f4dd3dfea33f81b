/**
 * An in-process stand-in for the Amazon Connect REST API (restJson1), answering the three calls
 * server/connect makes, so the real SDK client (signing, retries, deserialisation) is exercised.
 * Point the SDK at it with AWS_ENDPOINT_URL_CONNECT=<url> or an explicit `endpoint`.
 *
 * Routes, as @aws-sdk/client-connect serialises them:
 *   GET  /contacts/{InstanceId}/{ContactId}  → { Contact }
 *   GET  /users/{InstanceId}/{UserId}         → { User }
 *   POST /search-contacts                     → { Contacts, NextToken?, TotalCount }
 * Timestamps travel as epoch seconds; errors carry `x-amzn-ErrorType` and `{ Message }`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Contact, ContactSearchSummary, User } from '@aws-sdk/client-connect';
import type { AgentDetails, ContactDetails } from '../server/connect/types';

export type ConnectOperation = 'DescribeContact' | 'DescribeUser' | 'SearchContacts' | 'Unknown';

export interface RecordedRequest {
  operation: ConnectOperation;
  method: string;
  path: string;
  instanceId?: string;
  /** Parsed JSON body (SearchContacts only). */
  body?: unknown;
  /** Whether the request carried a SigV4 Authorization header. */
  signed: boolean;
}

export interface ConnectDoubleOptions {
  /** Delay before every answer, in ms. */
  latencyMs?: number;
  /** Cap on SearchContacts page size (below the caller's MaxResults), to force paging in tests. */
  searchPageSize?: number;
  instanceId?: string;
  region?: string;
  accountId?: string;
}

export interface FailOptions {
  /** How many consecutive requests fail (default 1). */
  times?: number;
  /** Error code sent in x-amzn-ErrorType (default derived from the status). */
  errorType?: string;
  message?: string;
}

export interface ConnectDouble {
  url: string;
  /** The instance answered by default (others exist once something is put into them). */
  instanceId: string;
  instanceArn: string;
  region: string;
  /** Stores a contact: the SDK's `Contact` shape (Dates for timestamps) or our `ContactDetails`. */
  putContact(contact: Contact | ContactDetails, opts?: { instanceId?: string }): void;
  /** Stores a user: the SDK's `User` shape or our `AgentDetails`. */
  putUser(user: User | AgentDetails, opts?: { instanceId?: string }): void;
  /** Every request received, oldest first (failed ones included). */
  requests: RecordedRequest[];
  count(operation?: ConnectOperation): number;
  /** The next request(s) answer with this HTTP status and an AWS-style error. */
  failNext(status: number, opts?: FailOptions): void;
  setLatency(ms: number): void;
  /** Forgets contacts, users, requests and pending failures. */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_INSTANCE_ID = '00000000-0000-4000-8000-000000000001';

const ERROR_TYPES: Record<number, string> = {
  400: 'InvalidParameterException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  429: 'ThrottlingException',
  500: 'InternalServiceException',
  503: 'ServiceUnavailableException',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startConnectDouble(options: ConnectDoubleOptions = {}): Promise<ConnectDouble> {
  const instanceId = options.instanceId ?? DEFAULT_INSTANCE_ID;
  const region = options.region ?? 'us-west-2';
  const accountId = options.accountId ?? '123456789012';
  let latencyMs = options.latencyMs ?? 0;

  // Stored in wire form (epoch seconds), keyed by instance then id.
  const contacts = new Map<string, Map<string, Record<string, unknown>>>();
  const users = new Map<string, Map<string, Record<string, unknown>>>();
  const requests: RecordedRequest[] = [];
  let failures: { status: number; errorType: string; message: string; left: number } | undefined;

  const bucket = (store: typeof contacts, id: string) => {
    let b = store.get(id);
    if (!b) store.set(id, (b = new Map()));
    return b;
  };
  const knownInstance = (id: string) => id === instanceId || contacts.has(id) || users.has(id);
  const arnOf = (inst: string) => `arn:aws:connect:${region}:${accountId}:instance/${inst}`;

  function route(method: string, path: string): { operation: ConnectOperation; params: string[] } {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (method === 'GET' && parts.length === 3 && parts[0] === 'contacts')
      return { operation: 'DescribeContact', params: parts.slice(1) };
    if (method === 'GET' && parts.length === 3 && parts[0] === 'users')
      return { operation: 'DescribeUser', params: parts.slice(1) };
    if (method === 'POST' && parts.length === 1 && parts[0] === 'search-contacts')
      return { operation: 'SearchContacts', params: [] };
    return { operation: 'Unknown', params: [] };
  }

  function handle(operation: ConnectOperation, params: string[], body: unknown): unknown {
    switch (operation) {
      case 'DescribeContact': {
        const [inst = '', id = ''] = params;
        const c = contacts.get(inst)?.get(id);
        if (!knownInstance(inst) || !c) throw notFound(`Contact not found: ${id}`);
        return { Contact: c };
      }
      case 'DescribeUser': {
        const [inst = '', id = ''] = params;
        const u = users.get(inst)?.get(id);
        if (!knownInstance(inst) || !u) throw notFound(`User not found: ${id}`);
        return { User: u };
      }
      case 'SearchContacts':
        return searchContacts(body);
      default:
        throw new HttpError(
          404,
          'UnknownOperationException',
          'The Connect double does not implement this call',
        );
    }
  }

  function searchContacts(body: unknown): unknown {
    const req = (body ?? {}) as {
      InstanceId?: string;
      TimeRange?: { Type?: string; StartTime?: number; EndTime?: number };
      MaxResults?: number;
      NextToken?: string;
    };
    const { InstanceId, TimeRange, MaxResults = 100, NextToken } = req;
    if (
      !InstanceId ||
      !TimeRange?.Type ||
      TimeRange.StartTime === undefined ||
      TimeRange.EndTime === undefined
    )
      throw new HttpError(400, 'InvalidParameterException', 'InstanceId and TimeRange are required');
    if (!Number.isInteger(MaxResults) || MaxResults < 1 || MaxResults > 100)
      throw new HttpError(400, 'InvalidParameterException', 'MaxResults must be 1..100');
    if (!knownInstance(InstanceId)) throw notFound(`Instance not found: ${InstanceId}`);

    const field = TIME_FIELDS[TimeRange.Type];
    if (!field)
      throw new HttpError(400, 'InvalidParameterException', `Unsupported TimeRange.Type ${TimeRange.Type}`);
    const { StartTime: start, EndTime: end } = TimeRange;
    const matches = [...(contacts.get(InstanceId)?.values() ?? [])]
      .map((c) => ({ c, t: timeOf(c, field) }))
      .filter(
        (x): x is { c: Record<string, unknown>; t: number } =>
          x.t !== undefined && x.t >= start && x.t <= end,
      )
      .sort((a, b) => a.t - b.t)
      .map((x) => x.c);

    let offset = 0;
    if (NextToken !== undefined) {
      offset = Number(Buffer.from(NextToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(offset) || offset < 0)
        throw new HttpError(400, 'InvalidParameterException', 'NextToken is invalid');
    }
    const size = Math.min(MaxResults, options.searchPageSize ?? MaxResults);
    const page = matches.slice(offset, offset + size);
    const next =
      offset + size < matches.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined;
    return {
      Contacts: page.map(toSearchSummary),
      ...(next ? { NextToken: next } : {}),
      TotalCount: matches.length,
    };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://double').pathname;
      const method = req.method ?? 'GET';
      const { operation, params } = route(method, path);
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      let parseFailed = false;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          parseFailed = true;
        }
      }
      const bodyInstance = (body as { InstanceId?: unknown } | undefined)?.InstanceId;
      requests.push({
        operation,
        method,
        path,
        instanceId: params[0] ?? (typeof bodyInstance === 'string' ? bodyInstance : undefined),
        ...(body === undefined ? {} : { body }),
        signed: /^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? ''),
      });

      let status = 200;
      let payload: unknown;
      let errorType: string | undefined;
      try {
        if (failures && failures.left > 0) {
          const f = failures;
          f.left -= 1;
          if (f.left === 0) failures = undefined;
          throw new HttpError(f.status, f.errorType, f.message);
        }
        if (parseFailed) throw new HttpError(400, 'SerializationException', 'Body is not JSON');
        payload = handle(operation, params, body);
      } catch (err) {
        const e =
          err instanceof HttpError ? err : new HttpError(500, 'InternalServiceException', String(err));
        status = e.status;
        errorType = e.errorType;
        payload = { Message: e.message };
      }
      const send = () => {
        res.writeHead(status, {
          'content-type': 'application/json',
          'x-amzn-requestid': `double-${requests.length}`,
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        res.end(JSON.stringify(payload));
      };
      if (latencyMs > 0) setTimeout(send, latencyMs);
      else send();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    instanceId,
    instanceArn: arnOf(instanceId),
    region,
    putContact(contact, opts = {}) {
      const inst = opts.instanceId ?? instanceId;
      const aws = 'contactId' in contact ? contactFromDetails(contact) : contact;
      if (!aws.Id) throw new Error('putContact: the contact needs an Id');
      bucket(contacts, inst).set(aws.Id, toWire({ Arn: `${arnOf(inst)}/contact/${aws.Id}`, ...aws }));
    },
    putUser(user, opts = {}) {
      const inst = opts.instanceId ?? instanceId;
      const aws = 'userId' in user ? userFromDetails(user) : user;
      if (!aws.Id) throw new Error('putUser: the user needs an Id');
      bucket(users, inst).set(aws.Id, toWire({ Arn: `${arnOf(inst)}/agent/${aws.Id}`, ...aws }));
    },
    requests,
    count: (operation) =>
      operation ? requests.filter((r) => r.operation === operation).length : requests.length,
    failNext(status, opts = {}) {
      failures = {
        status,
        errorType: opts.errorType ?? ERROR_TYPES[status] ?? 'InternalServiceException',
        message: opts.message ?? `Injected failure (${status})`,
        left: opts.times ?? 1,
      };
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    reset() {
      contacts.clear();
      users.clear();
      requests.length = 0;
      failures = undefined;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // The SDK keeps sockets alive; without this close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

function notFound(message: string): HttpError {
  return new HttpError(404, 'ResourceNotFoundException', message);
}

type TimePath = [string] | [string, string];
const TIME_FIELDS: Record<string, TimePath> = {
  INITIATION_TIMESTAMP: ['InitiationTimestamp'],
  DISCONNECT_TIMESTAMP: ['DisconnectTimestamp'],
  SCHEDULED_TIMESTAMP: ['ScheduledTimestamp'],
  CONNECTED_TO_AGENT_TIMESTAMP: ['AgentInfo', 'ConnectedToAgentTimestamp'],
  ENQUEUE_TIMESTAMP: ['QueueInfo', 'EnqueueTimestamp'],
};

function timeOf(c: Record<string, unknown>, [a, b]: TimePath): number | undefined {
  const v = b === undefined ? c[a] : (c[a] as Record<string, unknown> | undefined)?.[b];
  return typeof v === 'number' ? v : undefined;
}

/** The subset of a contact that SearchContacts returns (ContactSearchSummary). */
function toSearchSummary(c: Record<string, unknown>): Record<string, unknown> {
  const keys: (keyof ContactSearchSummary)[] = [
    'Arn',
    'Id',
    'InitialContactId',
    'PreviousContactId',
    'InitiationMethod',
    'Channel',
    'InitiationTimestamp',
    'DisconnectTimestamp',
    'ScheduledTimestamp',
    'Name',
    'Tags',
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (c[k] !== undefined) out[k] = c[k];
  const agent = c.AgentInfo as Record<string, unknown> | undefined;
  if (agent) out.AgentInfo = pick(agent, ['Id', 'ConnectedToAgentTimestamp']);
  const queue = c.QueueInfo as Record<string, unknown> | undefined;
  if (queue) out.QueueInfo = pick(queue, ['Id', 'EnqueueTimestamp']);
  return out;
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** Dates become epoch seconds (restJson1's default timestamp format); undefined values vanish. */
function toWire(value: unknown): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
      const original = this[key]; // v is already Date#toJSON's string; the holder still has the Date
      return original instanceof Date ? original.getTime() / 1000 : v;
    }),
  ) as Record<string, unknown>;
}

const date = (iso: string | undefined): Date | undefined => (iso ? new Date(iso) : undefined);

/** Our normalised shape → what DescribeContact would have answered, for convenience in tests and the demo. */
export function contactFromDetails(d: ContactDetails): Contact {
  const phone = (address: string | undefined) =>
    address ? { Type: 'TELEPHONE_NUMBER' as const, Address: address } : undefined;
  return {
    Id: d.contactId,
    InitialContactId: d.initialContactId,
    PreviousContactId: d.previousContactId,
    Channel: d.channel as Contact['Channel'],
    InitiationMethod: d.initiationMethod as Contact['InitiationMethod'],
    CustomerEndpoint: phone(d.customerPhone),
    SystemEndpoint: phone(d.systemPhone),
    QueueInfo: d.queueId ? { Id: d.queueId } : undefined,
    AgentInfo: d.agentId
      ? { Id: d.agentId, ConnectedToAgentTimestamp: date(d.connectedToAgentTimestamp) }
      : undefined,
    InitiationTimestamp: date(d.initiationTimestamp),
    DisconnectTimestamp: date(d.disconnectTimestamp),
    DisconnectReason: d.disconnectReason,
    Recordings: d.recordingUrl
      ? [{ StorageType: 'S3', Location: d.recordingUrl, MediaStreamType: 'AUDIO', Status: 'AVAILABLE' }]
      : undefined,
    NextContacts: d.nextContactIds.map((id) => ({
      Type: 'QUICK_CONNECT',
      NextContactMetadata: { QuickConnectContactData: { ContactId: id } },
    })),
    Attributes: d.attributes,
  };
}

export function userFromDetails(a: AgentDetails): User {
  return {
    Id: a.userId,
    Username: a.username,
    IdentityInfo: { FirstName: a.firstName, LastName: a.lastName, Email: a.email },
  };
}
