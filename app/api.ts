/**
 * Calls from the app to the Concierge service. Contract (JSON, errors `{ error: { code, message } }`):
 *
 *   GET  /v1/app/contacts/by-ticket/:ticketId   → { contact: ContactView | null }
 *   GET  /v1/app/contacts/:contactId            → { contact: ContactView | null }
 *   POST /v1/app/stream-tokens  { contactId }   → { token, expiresAt }       (60 s, one contact)
 *   GET  /v1/app/contacts/:contactId/events?token=…   text/event-stream, event `state` (data: ContactView)
 *
 * The first three go through Zendesk's proxy (`secure: true`): it signs an HS256 JWT with the
 * installation's secure `shared_secret` and puts it in `Authorization: Bearer …`. `iss` is the account
 * origin (https://<subdomain>.zendesk.com) and `aud` the service URL; the service takes the tenant from
 * the verified token only (server/http/app-auth.ts). The proxy returns whole responses, so the event
 * stream goes straight from this iframe to the service (CORS) with the short-lived stream token.
 */
import { ZafRequestError, type ZafClient, type ZafRequestOptions } from './zaf/client';

export type ContactState = 'queued' | 'connected' | 'ended';

export interface ContactView {
  contactId: string;
  initialContactId: string;
  channel: string;
  state: ContactState;
  queue?: string;
  agentUsername?: string;
  callerMasked?: string;
  startedAt?: string;
  connectedAt?: string;
  endedAt?: string;
  ticketId?: number;
}

export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

const JWT_EXPIRY_SECONDS = 300;
const STATES: readonly ContactState[] = ['queued', 'connected', 'ended'];

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Checks a contact from the service; anything malformed is a protocol error, not a crash later. */
export function parseContact(value: unknown): ContactView | null {
  if (value === null || value === undefined) return null;
  const c = value as Record<string, unknown>;
  if (typeof c.contactId !== 'string' || !STATES.includes(c.state as ContactState)) {
    throw new ServiceError(0, 'bad_response', 'The service sent a contact in an unexpected format');
  }
  const out: ContactView = {
    contactId: c.contactId,
    initialContactId: optionalString(c.initialContactId) ?? c.contactId,
    channel: optionalString(c.channel) ?? 'VOICE',
    state: c.state as ContactState,
  };
  for (const key of [
    'queue',
    'agentUsername',
    'callerMasked',
    'startedAt',
    'connectedAt',
    'endedAt',
  ] as const) {
    const v = optionalString(c[key]);
    if (v) out[key] = v;
  }
  if (typeof c.ticketId === 'number' && Number.isSafeInteger(c.ticketId)) out.ticketId = c.ticketId;
  return out;
}

export interface ServiceApi {
  readonly serviceUrl: string;
  getContactByTicket(ticketId: number): Promise<ContactView | null>;
  getContact(contactId: string): Promise<ContactView | null>;
  mintStreamToken(contactId: string): Promise<{ token: string; expiresAt: string }>;
  eventsUrl(contactId: string, token: string): string;
  /** Any other signed JSON call (`/v1/app/...`), for views that keep their own typed wrappers. */
  call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T>;
  /** A signed GET whose answer is text (CSV downloads). */
  text(path: string): Promise<string>;
}

export interface ServiceApiOptions {
  client: ZafClient;
  serviceUrl: string;
  /** Zendesk subdomain from `client.context().account.subdomain`. */
  subdomain: string;
  /** Zendesk user id, sent as `sub` (informational: the proxy signs whatever the app asks). */
  userId?: string | number;
  /** `currentUser.role` (admin, agent, …), sent as `role`; the service checks it against Zendesk. */
  role?: string;
}

export function createServiceApi({
  client,
  serviceUrl,
  subdomain,
  userId,
  role,
}: ServiceApiOptions): ServiceApi {
  const base = serviceUrl.replace(/\/+$/, '');
  const claims: Record<string, string> = { iss: `https://${subdomain}.zendesk.com`, aud: base };
  if (userId !== undefined) claims.sub = String(userId);
  if (role) claims.role = role;

  async function call<T>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    dataType: 'json' | 'text' = 'json',
  ): Promise<T> {
    const options: ZafRequestOptions = {
      url: `${base}${path}`,
      type: method,
      secure: true,
      cors: false,
      dataType,
      contentType: 'application/json',
      headers: { Authorization: 'Bearer {{jwt.token}}' },
      jwt: {
        algorithm: 'HS256',
        secret_key: '{{setting.shared_secret}}',
        expiry: JWT_EXPIRY_SECONDS,
        claims,
      },
      ...(body === undefined ? {} : { data: JSON.stringify(body) }),
    };
    try {
      const result = await client.request<unknown>(options);
      if (dataType === 'text') return String(result) as T;
      return (typeof result === 'string' ? JSON.parse(result) : result) as T;
    } catch (err) {
      if (err instanceof ZafRequestError) {
        const e = (err.body as { error?: { code?: string; message?: string } } | undefined)?.error;
        throw new ServiceError(err.status, e?.code ?? 'request_failed', e?.message ?? err.message);
      }
      throw err;
    }
  }

  return {
    serviceUrl: base,
    async getContactByTicket(ticketId) {
      const res = await call<{ contact?: unknown }>(
        'GET',
        `/v1/app/contacts/by-ticket/${encodeURIComponent(ticketId)}`,
      );
      return parseContact(res.contact);
    },
    async getContact(contactId) {
      const res = await call<{ contact?: unknown }>(
        'GET',
        `/v1/app/contacts/${encodeURIComponent(contactId)}`,
      );
      return parseContact(res.contact);
    },
    async mintStreamToken(contactId) {
      const res = await call<{ token?: unknown; expiresAt?: unknown }>('POST', '/v1/app/stream-tokens', {
        contactId,
      });
      if (typeof res.token !== 'string')
        throw new ServiceError(0, 'bad_response', 'No stream token in the response');
      return { token: res.token, expiresAt: typeof res.expiresAt === 'string' ? res.expiresAt : '' };
    },
    eventsUrl(contactId, token) {
      return `${base}/v1/app/contacts/${encodeURIComponent(contactId)}/events?token=${encodeURIComponent(token)}`;
    },
    call: (method, path, body) => call(method, path, body),
    text: (path) => call<string>('GET', path, undefined, 'text'),
  };
}

export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
  onerror: ((event: Event) => void) | null;
}

export interface WatchContactOptions {
  api: ServiceApi;
  contactId: string;
  onState: (contact: ContactView) => void;
  /** `live` once the stream opened, `retrying` while reconnecting. */
  onStatus?: (status: 'connecting' | 'live' | 'retrying') => void;
  createEventSource?: (url: string) => EventSourceLike;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/**
 * Follows a contact over SSE until it ends or `stop()` is called. EventSource's own reconnect would
 * reuse an expired single-purpose token, so every reconnect mints a fresh one (backoff 1 s → 30 s).
 */
export function watchContact(opts: WatchContactOptions): () => void {
  const create =
    opts.createEventSource ?? ((url: string) => new EventSource(url) as unknown as EventSourceLike);
  const setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let stopped = false;
  let source: EventSourceLike | null = null;
  let timer: unknown = null;
  let attempt = 0;

  const retry = () => {
    if (stopped) return;
    opts.onStatus?.('retrying');
    const delay = Math.min(30_000, 1000 * 2 ** attempt);
    attempt += 1;
    timer = setTimer(() => void open(), delay);
  };

  async function open(): Promise<void> {
    if (stopped) return;
    opts.onStatus?.('connecting');
    let token: string;
    try {
      ({ token } = await opts.api.mintStreamToken(opts.contactId));
    } catch {
      retry();
      return;
    }
    if (stopped) return;
    const es = create(opts.api.eventsUrl(opts.contactId, token));
    source = es;
    es.addEventListener('open', () => {
      attempt = 0;
      opts.onStatus?.('live');
    });
    es.addEventListener('state', (event) => {
      let contact: ContactView | null;
      try {
        contact = parseContact(JSON.parse(String(event.data)));
      } catch {
        return; // a malformed event is skipped; the next one carries the whole state again
      }
      if (!contact) return;
      opts.onState(contact);
      if (contact.state === 'ended') stop();
    });
    es.onerror = () => {
      es.close();
      if (source === es) source = null;
      retry();
    };
  }

  function stop() {
    stopped = true;
    source?.close();
    source = null;
    if (timer !== null) clearTimer(timer);
  }

  void open();
  return stop;
}
