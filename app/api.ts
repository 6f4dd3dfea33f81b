/**
 * Calls from the app to the Concierge service. Contract (JSON, errors `{ error: { code, message } }`):
 *
 *   GET  /v1/app/contacts/by-ticket/:ticketId   → { contact: ContactView | null }
 *   GET  /v1/app/contacts/:contactId            → { contact: ContactView | null }
 *   POST /v1/app/stream-tokens  { contactId }   → { token, expiresAt }       (60 s, one contact)
 *   GET  /v1/app/contacts/:contactId/events?token=…   text/event-stream: `state` (data: ContactView),
 *        `sentiment` (SentimentView) and, after each sentiment change, `transcript` (TranscriptView)
 *   POST /v1/app/suggestions  { contactId?, text?, ticketId?, locale? }  → { suggestion: SuggestionView | null }
 *   POST /v1/app/suggestions/:id/actions  { action, ticketId?, articleId? }  → 201 { recorded: true }
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

export type SentimentLabel = 'POSITIVE' | 'NEUTRAL' | 'NEGATIVE';
const LABELS: readonly SentimentLabel[] = ['POSITIVE', 'NEUTRAL', 'NEGATIVE'];

/** The customer's sentiment in a conversation (server/sentiment/types.ts SentimentSummary, the parts shown). */
export interface SentimentView {
  contactId: string;
  /** Smoothed, now; null before the customer said anything scored. */
  label: SentimentLabel | null;
  score: number | null;
  /** Oldest first; t = conversation ms, scores −1 … +1. */
  trend: Array<{ t: number; score: number; smoothed: number }>;
  alert: { active: boolean; since: number | null; raised: number };
  customerUtterances: number;
  final: { label: SentimentLabel; overall: number } | null;
}

export interface TranscriptTurn {
  id: string;
  participant: string;
  text: string;
  sentiment: SentimentLabel | null;
  t: number;
  languageCode: string | null;
}

export interface SuggestionView {
  id: string;
  reply: string;
  articles: Array<{ id: number; title: string; url?: string; score: number }>;
  confidence: number;
  /** Which AI provider answered: 'local' or 'bedrock'. */
  provider: string;
}

export type SuggestionAction = 'inserted' | 'copied' | 'opened_article' | 'thumbs_up' | 'thumbs_down';

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const label = (v: unknown): SentimentLabel | null =>
  LABELS.includes(v as SentimentLabel) ? (v as SentimentLabel) : null;
const bad = (what: string) =>
  new ServiceError(0, 'bad_response', `The service sent ${what} in an unexpected format`);

export function parseSentiment(value: unknown): SentimentView {
  const v = (value ?? {}) as Record<string, unknown>;
  if (typeof v.contactId !== 'string' || !Array.isArray(v.trend)) throw bad('a sentiment');
  const alert = (v.alert ?? {}) as Record<string, unknown>;
  const final = v.final as Record<string, unknown> | null | undefined;
  return {
    contactId: v.contactId,
    label: label(v.label),
    score: isNum(v.score) ? v.score : null,
    trend: (v.trend as unknown[]).flatMap((p) => {
      const q = p as Record<string, unknown>;
      return isNum(q?.t) && isNum(q.score) && isNum(q.smoothed)
        ? [{ t: q.t, score: q.score, smoothed: q.smoothed }]
        : [];
    }),
    alert: {
      active: alert.active === true,
      since: isNum(alert.since) ? alert.since : null,
      raised: isNum(alert.raised) ? alert.raised : 0,
    },
    customerUtterances: isNum(v.customerUtterances) ? v.customerUtterances : 0,
    final:
      final && label(final.label) && isNum(final.overall)
        ? { label: label(final.label)!, overall: final.overall }
        : null,
  };
}

export function parseTranscript(value: unknown): { contactId: string; turns: TranscriptTurn[] } {
  const v = (value ?? {}) as Record<string, unknown>;
  if (typeof v.contactId !== 'string' || !Array.isArray(v.turns)) throw bad('a transcript');
  return {
    contactId: v.contactId,
    turns: (v.turns as unknown[]).flatMap((x) => {
      const q = x as Record<string, unknown>;
      if (typeof q?.id !== 'string' || typeof q.text !== 'string' || typeof q.participant !== 'string')
        return [];
      return [
        {
          id: q.id,
          participant: q.participant,
          text: q.text,
          sentiment: label(q.sentiment),
          t: isNum(q.t) ? q.t : 0,
          languageCode: typeof q.languageCode === 'string' ? q.languageCode : null,
        },
      ];
    }),
  };
}

export function parseSuggestion(value: unknown): SuggestionView | null {
  if (value === null || value === undefined) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || typeof v.reply !== 'string' || !Array.isArray(v.articles))
    throw bad('a suggestion');
  return {
    id: v.id,
    reply: v.reply,
    confidence: isNum(v.confidence) ? v.confidence : 0,
    provider: typeof v.provider === 'string' ? v.provider : 'local',
    articles: (v.articles as unknown[]).flatMap((x) => {
      const a = x as Record<string, unknown>;
      if (!isNum(a?.id) || typeof a.title !== 'string') return [];
      // Only web links are rendered as links (an article URL is data from the Help Center).
      const url = typeof a.url === 'string' && /^https?:\/\//i.test(a.url) ? a.url : undefined;
      return [{ id: a.id, title: a.title, score: isNum(a.score) ? a.score : 0, ...(url ? { url } : {}) }];
    }),
  };
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
  suggest(input: {
    contactId?: string;
    text?: string;
    ticketId?: number;
    locale?: string;
  }): Promise<SuggestionView | null>;
  recordSuggestionAction(
    suggestionId: string,
    input: { action: SuggestionAction; ticketId?: number; articleId?: number },
  ): Promise<void>;
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
    async suggest(input) {
      const res = await call<{ suggestion?: unknown }>('POST', '/v1/app/suggestions', input);
      return parseSuggestion(res.suggestion);
    },
    async recordSuggestionAction(suggestionId, input) {
      await call('POST', `/v1/app/suggestions/${encodeURIComponent(suggestionId)}/actions`, input);
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
  /** Live sentiment of the conversation (`event: sentiment`). */
  onSentiment?: (sentiment: SentimentView) => void;
  /** The conversation's last turns (`event: transcript`), after each sentiment change. */
  onTranscript?: (turns: TranscriptTurn[]) => void;
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
    es.addEventListener('sentiment', (event) => {
      try {
        opts.onSentiment?.(parseSentiment(JSON.parse(String(event.data))));
      } catch {
        // skipped: the next change sends the whole summary again
      }
    });
    es.addEventListener('transcript', (event) => {
      try {
        opts.onTranscript?.(parseTranscript(JSON.parse(String(event.data))).turns);
      } catch {
        // skipped: the next change sends the last turns again
      }
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
