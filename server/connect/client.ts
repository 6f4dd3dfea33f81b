import {
  ConnectClient,
  DescribeContactCommand,
  DescribeUserCommand,
  SearchContactsCommand,
  type Contact,
  type ContactSearchSummary,
  type User,
} from '@aws-sdk/client-connect';
import type { Logger } from 'pino';
import { instanceIdFromArn, regionFromArn } from './events';
import {
  ConnectNotFoundError,
  type AgentDetails,
  type ConnectApi,
  type ContactDetails,
  type ContactSummary,
} from './types';

export interface ConnectClientOptions {
  logger?: Logger;
  /** Builds the SDK client for a region; the default uses the SDK's standard configuration. */
  clientFor?: (region: string) => ConnectClient;
  /** How long a DescribeUser answer is reused (default 10 minutes). */
  userCacheTtlMs?: number;
  /** Most users kept at once; the least recently used goes first (default 1,000). */
  userCacheMaxEntries?: number;
  /** Clock for the cache, injectable so tests need no timers. */
  now?: () => number;
}

export interface ConnectApiClient extends ConnectApi {
  /** Closes the SDK clients this module built (their keep-alive sockets); injected ones are left alone. */
  destroy(): void;
}

/** Connect's SearchContacts allows at most 100 per page. */
const SEARCH_PAGE_SIZE = 100;

/**
 * The calls we make to Amazon Connect. Region comes from the instance ARN; credentials from the
 * default chain; `AWS_ENDPOINT_URL_CONNECT` is honoured by the SDK itself (read once per client).
 * Throttling and 5xx errors are rethrown as the SDK raised them, after its own retries.
 */
export function createConnectClient(opts: ConnectClientOptions = {}): ConnectApiClient {
  const log = opts.logger?.child({ module: 'connect' });
  const now = opts.now ?? Date.now;
  const ttlMs = opts.userCacheTtlMs ?? 10 * 60_000;
  const maxEntries = Math.max(1, opts.userCacheMaxEntries ?? 1000);

  const clients = new Map<string, ConnectClient>();
  const clientFor = (region: string): ConnectClient => {
    let client = clients.get(region);
    if (!client) {
      client = opts.clientFor ? opts.clientFor(region) : new ConnectClient({ region });
      clients.set(region, client);
    }
    return client;
  };

  // Promises are cached so concurrent look-ups of one agent share a single request.
  const users = new Map<string, { expiresAt: number; value: Promise<AgentDetails> }>();

  async function call<T>(op: string, ids: Record<string, string>, run: () => Promise<T>): Promise<T> {
    const started = now();
    try {
      const out = await run();
      log?.debug({ op, ...ids, ms: now() - started }, 'connect call');
      return out;
    } catch (err) {
      if (isNamed(err, 'ResourceNotFoundException')) {
        log?.info({ op, ...ids }, 'connect resource not found');
        throw new ConnectNotFoundError(`${op}: not found (${describeIds(ids)})`, { cause: err });
      }
      // Ids, error name and HTTP status only: the SDK's message can echo request data.
      log?.warn({ op, ...ids, err: errorSummary(err), ms: now() - started }, 'connect call failed');
      throw err;
    }
  }

  return {
    async describeContact(instanceArn, contactId) {
      const instanceId = instanceIdFromArn(instanceArn);
      const out = await call('DescribeContact', { instanceId, contactId }, () =>
        clientFor(regionFromArn(instanceArn)).send(
          new DescribeContactCommand({ InstanceId: instanceId, ContactId: contactId }),
        ),
      );
      if (!out.Contact)
        throw new ConnectNotFoundError(`DescribeContact: no contact in the answer (${contactId})`);
      return toContactDetails(out.Contact, contactId);
    },

    async describeUser(instanceArn, userId) {
      const instanceId = instanceIdFromArn(instanceArn);
      const key = `${instanceId}/${userId}`;
      const hit = users.get(key);
      if (hit && hit.expiresAt > now()) {
        users.delete(key); // re-insert: Map order doubles as least-recently-used order
        users.set(key, hit);
        return hit.value;
      }
      const value = call('DescribeUser', { instanceId, userId }, () =>
        clientFor(regionFromArn(instanceArn)).send(
          new DescribeUserCommand({ InstanceId: instanceId, UserId: userId }),
        ),
      ).then((out) => {
        if (!out.User) throw new ConnectNotFoundError(`DescribeUser: no user in the answer (${userId})`);
        return toAgentDetails(out.User, userId);
      });
      users.delete(key);
      users.set(key, { expiresAt: now() + ttlMs, value });
      while (users.size > maxEntries) {
        const oldest = users.keys().next().value;
        if (oldest === undefined) break;
        users.delete(oldest);
      }
      // Failures are not cached: the next call asks again.
      value.catch(() => {
        if (users.get(key)?.value === value) users.delete(key);
      });
      return value;
    },

    async *searchContacts(instanceArn, from, to) {
      const instanceId = instanceIdFromArn(instanceArn);
      const client = clientFor(regionFromArn(instanceArn));
      let nextToken: string | undefined;
      let page = 0;
      do {
        page += 1;
        const out = await call('SearchContacts', { instanceId, page: String(page) }, () =>
          client.send(
            new SearchContactsCommand({
              InstanceId: instanceId,
              TimeRange: { Type: 'INITIATION_TIMESTAMP', StartTime: from, EndTime: to },
              MaxResults: SEARCH_PAGE_SIZE,
              NextToken: nextToken,
            }),
          ),
        );
        for (const c of out.Contacts ?? []) {
          const summary = toContactSummary(c);
          if (summary) yield summary;
        }
        // A token that does not move would loop forever; treat it as the end and say so.
        if (out.NextToken !== undefined && out.NextToken === nextToken) {
          log?.warn({ op: 'SearchContacts', instanceId, page }, 'repeated NextToken; stopping');
          break;
        }
        nextToken = out.NextToken || undefined;
      } while (nextToken);
    },

    destroy() {
      if (!opts.clientFor) for (const c of clients.values()) c.destroy();
      clients.clear();
      users.clear();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// AWS shapes → ours

const iso = (d: Date | undefined): string | undefined => (d ? d.toISOString() : undefined);

/** Endpoint address as a phone number, only when it is one (chat/email endpoints are not). */
function phoneOf(endpoint: Contact['CustomerEndpoint']): string | undefined {
  if (!endpoint?.Address) return undefined;
  return endpoint.Type === undefined || endpoint.Type === 'TELEPHONE_NUMBER' ? endpoint.Address : undefined;
}

export function toContactDetails(c: Contact, requestedId: string): ContactDetails {
  const recording = (c.Recordings ?? []).find((r) => r.Location && r.Status !== 'DELETED');
  const nextContactIds = (c.NextContacts ?? [])
    .map((n) => n.NextContactMetadata?.QuickConnectContactData?.ContactId)
    .filter((id): id is string => typeof id === 'string' && id.length > 0);
  return withoutUndefined({
    contactId: c.Id ?? requestedId,
    initialContactId: c.InitialContactId,
    previousContactId: c.PreviousContactId,
    channel: c.Channel ?? 'UNKNOWN',
    initiationMethod: c.InitiationMethod,
    customerPhone: phoneOf(c.CustomerEndpoint),
    systemPhone: phoneOf(c.SystemEndpoint),
    queueId: c.QueueInfo?.Id,
    agentId: c.AgentInfo?.Id,
    initiationTimestamp: iso(c.InitiationTimestamp),
    connectedToAgentTimestamp: iso(c.AgentInfo?.ConnectedToAgentTimestamp),
    disconnectTimestamp: iso(c.DisconnectTimestamp),
    disconnectReason: c.DisconnectReason,
    recordingUrl: recording?.Location,
    nextContactIds,
    attributes: { ...(c.Attributes ?? {}) },
  });
}

export function toAgentDetails(u: User, requestedId: string): AgentDetails {
  return withoutUndefined({
    userId: u.Id ?? requestedId,
    username: u.Username ?? '',
    email: u.IdentityInfo?.Email || undefined,
    firstName: u.IdentityInfo?.FirstName || undefined,
    lastName: u.IdentityInfo?.LastName || undefined,
  });
}

export function toContactSummary(c: ContactSearchSummary): ContactSummary | undefined {
  if (!c.Id) return undefined;
  return withoutUndefined({
    contactId: c.Id,
    initialContactId: c.InitialContactId,
    channel: c.Channel ?? 'UNKNOWN',
    initiationTimestamp: iso(c.InitiationTimestamp),
    disconnectTimestamp: iso(c.DisconnectTimestamp),
    agentConnected: c.AgentInfo?.ConnectedToAgentTimestamp !== undefined,
  });
}

/** Drops undefined values so results compare and serialise cleanly; required keys are never undefined. */
function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function isNamed(err: unknown, name: string): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === name;
}

function errorSummary(err: unknown): Record<string, unknown> {
  if (typeof err !== 'object' || err === null) return { type: typeof err };
  const e = err as {
    name?: unknown;
    $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
  };
  return {
    name: e.name,
    status: e.$metadata?.httpStatusCode,
    requestId: e.$metadata?.requestId,
    attempts: e.$metadata?.attempts,
  };
}

function describeIds(ids: Record<string, string>): string {
  return Object.entries(ids)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}
