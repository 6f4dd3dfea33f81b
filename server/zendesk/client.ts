import { STATUS_CODES } from 'node:http';
import { createClient, type ZendeskClientOptions } from 'node-zendesk';
import type { Logger } from 'pino';
import type { ZendeskLimiter } from './rate-limit';
import { headerValue, ResponseTooLargeError, sendHttp, type RawResponse } from './transport';
import {
  RateLimitedError,
  ZendeskError,
  type CreatedTicket,
  type RequestOptions,
  type RequestPriority,
  type TicketWrite,
  type ZendeskApi,
  type ZendeskCredentials,
  type ZendeskRequestKind,
  type HcArticle,
  type TicketCommentRead,
  type ZendeskTrigger,
  type ZendeskWebhook,
  type ConversationComment,
} from './types';

export interface ZendeskClientOpts {
  tenantId: string;
  /** The account's origin, e.g. https://acme.zendesk.com (no /api/v2). */
  baseUrl: string;
  credentials: ZendeskCredentials;
  limiter?: ZendeskLimiter;
  /** The tenant's plan limit, passed to the limiter (which otherwise uses its own rpmFor). */
  rpm?: number;
  /** How long a request may wait for a token before RateLimitedError. Default live 5 s, deferrable 1 s. */
  maxWaitMs?: Partial<Record<RequestPriority, number>>;
  logger: Logger;
  /** Called once per HTTP exchange (not for requests the limiter refused), e.g. for metrics. */
  onRequest?: (e: { kind: ZendeskRequestKind; status: number | 'network_error'; ms: number }) => void;
  /** Per request, headers and body included. Default 10 s. */
  timeoutMs?: number;
}

/** What one HTTP exchange left behind; node-zendesk's own errors lose the headers and most statuses. */
interface Exchange {
  idempotencyKey?: string;
  sent?: boolean;
  status?: number;
  retryAfter?: string | null;
  body?: unknown;
}

/** transportFn ran without the exchange send() hands over (see handOff in createZendeskClient). */
class HandOffError extends Error {
  constructor() {
    super('internal: the request reached the transport without its exchange');
  }
}

/** The part of node-zendesk we call; its typings give `any` arguments and a `NodeModule` result. */
interface NzResource {
  get(resource: unknown): Promise<unknown>;
  post(resource: unknown, body: unknown): Promise<unknown>;
  put(resource: unknown, body: unknown): Promise<unknown>;
}

type Segment = string | number | Record<string, string>;

/** Zendesk counts its limit per minute; a 429 without Retry-After waits out a whole window. */
const DEFAULT_RETRY_AFTER_MS = 60_000;
const DEFAULT_MAX_WAIT_MS: Record<RequestPriority, number> = { live: 5_000, deferrable: 1_000 };
/** A limiter whose Redis hangs (a worker connection retries forever) must not hold a call longer than this. */
const LIMITER_GRACE_MS = 2_000;

export function createZendeskClient(opts: ZendeskClientOpts): ZendeskApi {
  const log = opts.logger.child({ module: 'zendesk', tenantId: opts.tenantId });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxWait = { ...DEFAULT_MAX_WAIT_MS, ...opts.maxWaitMs };
  /**
   * The exchange of the request being started. node-zendesk calls transportFn synchronously from the
   * resource method (get/post/put → request → sendRequest → transportFn, no await in between), so send()
   * hands the exchange over in a variable set just around that call. Cheaper than AsyncLocalStorage,
   * which in Node 20 puts a hook on every promise of the process; a request that reaches transportFn
   * without its hand-off (a node-zendesk change that awaits first) fails loudly instead of going out
   * without its Idempotency-Key.
   */
  let handOff: Exchange | undefined;

  const auth: ZendeskClientOptions =
    opts.credentials.kind === 'oauth'
      ? { token: opts.credentials.token, useOAuth: true }
      : { username: opts.credentials.email, token: opts.credentials.token, useOAuth: false };
  const nz = createClient({
    ...auth,
    endpointUri: `${opts.baseUrl.replace(/\/+$/, '')}/api/v2`,
    // Without it node-zendesk turns failures into bare strings without a status.
    throwOriginalException: true,
    debug: false,
    transportConfig: {
      // Ours: node:http with keep-alive, a timeout, the per-request Idempotency-Key, and the status and
      // headers kept for errors.
      async transportFn(
        uri: string,
        init: { method: string; headers: Record<string, string>; body?: string },
      ): Promise<{ res: RawResponse; body: unknown }> {
        const exchange = handOff;
        handOff = undefined;
        if (!exchange) throw new HandOffError();
        const headers = { ...init.headers };
        if (exchange.idempotencyKey) headers['Idempotency-Key'] = exchange.idempotencyKey;
        exchange.sent = true;
        const res = await sendHttp(uri, { method: init.method, headers, body: init.body }, timeoutMs);
        exchange.status = res.status;
        exchange.retryAfter = headerValue(res.headers, 'retry-after');
        exchange.body = parseJson(res.text);
        return { res, body: exchange.body };
      },
      responseAdapter({ res, body }: { res: RawResponse; body: unknown }) {
        return {
          json: async () => body ?? {},
          status: res.status,
          statusText: STATUS_CODES[res.status] ?? '',
          headers: { get: (name: string) => headerValue(res.headers, name) },
        };
      },
    },
  });
  const tickets: NzResource = nz.tickets;
  const users: NzResource = nz.users;
  // The Webhooks API takes no ".json" suffix; node-zendesk's webhooks resource leaves it off.
  const webhooks: NzResource & { patch(resource: unknown, body: unknown): Promise<unknown> } = nz.webhooks;

  async function send(
    kind: ZendeskRequestKind,
    priority: RequestPriority,
    idempotencyKey: string | undefined,
    call: (exchange: Exchange) => Promise<unknown>,
  ): Promise<unknown> {
    if (opts.limiter) {
      try {
        await withDeadline(
          opts.limiter.acquire(opts.tenantId, priority, maxWait[priority], opts.rpm),
          maxWait[priority] + LIMITER_GRACE_MS,
        );
      } catch (err) {
        if (err instanceof RateLimitedError) throw err;
        // The budget is a courtesy to Zendesk, whose own 429 still protects it: a Redis outage must not stop calls.
        log.warn({ kind, err: errorName(err) }, 'Zendesk budget unavailable; sending without it');
      }
    }
    const exchange: Exchange = { idempotencyKey };
    const started = performance.now();
    let outcome: { result: unknown } | { error: unknown };
    try {
      let pending: Promise<unknown>;
      handOff = exchange;
      try {
        pending = call(exchange);
      } finally {
        handOff = undefined;
      }
      outcome = { result: await pending };
    } catch (error) {
      outcome = { error };
    }
    const ms = Math.round(performance.now() - started);
    const status = exchange.status;
    if (!exchange.sent) {
      const error = 'error' in outcome ? outcome.error : undefined;
      // Our own hand-off missing (see handOff): a bug here, not in the contact, so the work stays
      // pending (retriable) and shows up in the logs instead of failing the contact for good.
      if (error instanceof HandOffError) {
        log.error({ kind }, 'Zendesk request started without its exchange');
        throw new ZendeskError(`Zendesk ${kind} not sent: ${error.message}`, undefined, true, undefined, {
          cause: error,
        });
      }
      // node-zendesk refused to build the request (e.g. missing credentials): a configuration error.
      throw new ZendeskError(
        `Zendesk ${kind} could not be sent: ${errorName(error)}`,
        undefined,
        false,
        undefined,
        {
          cause: error,
        },
      );
    }
    opts.onRequest?.({ kind, status: status ?? 'network_error', ms });

    if (status === undefined) {
      const error = 'error' in outcome ? outcome.error : undefined;
      if (error instanceof ResponseTooLargeError)
        throw new ZendeskError(`Zendesk ${kind}: ${error.message}`, undefined, false, undefined, {
          cause: error,
        });
      const name = errorFields(error).name;
      const timedOut = name === 'TimeoutError';
      log.warn({ kind, ms, err: errorName(error) }, 'Zendesk request failed before an answer');
      throw new ZendeskError(
        timedOut
          ? `Zendesk ${kind} timed out after ${timeoutMs} ms`
          : `Zendesk ${kind} failed: ${networkReason(error)}`,
        undefined,
        true,
        undefined,
        { cause: error },
      );
    }
    if (status >= 200 && status < 300) {
      log.debug({ kind, status, ms }, 'Zendesk request done');
      if ('error' in outcome) {
        // A 2xx node-zendesk could not read: the write may have happened, so retrying is not safe without a key.
        throw new ZendeskError(`Zendesk ${kind} answered ${status} with an unreadable body`, status, false);
      }
      return unwrap(outcome.result);
    }

    const error = toZendeskError(kind, status, exchange);
    log.warn({ kind, status, ms, retriable: error.retriable }, 'Zendesk request refused');
    if (status === 429 && opts.limiter) {
      await opts.limiter
        .block(opts.tenantId, error.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS)
        .catch((err: unknown) =>
          log.warn({ err: errorName(err) }, 'could not record the Zendesk 429 in the budget'),
        );
    }
    throw error;
  }

  const createdTicket = (kind: ZendeskRequestKind, result: unknown): CreatedTicket => {
    const ticket = entity(result, 'ticket');
    const id = ticket?.id;
    if (typeof id !== 'number')
      throw new ZendeskError(`Zendesk ${kind} answered without a ticket id`, undefined, false);
    const requesterId = ticket?.requester_id;
    return typeof requesterId === 'number' ? { ticketId: id, requesterId } : { ticketId: id };
  };

  const findUser = async (query: string, opts: RequestOptions): Promise<number | null> => {
    // A single page through get(): users.search() would follow next_page through every match.
    const path: Segment[] = ['users', 'search', { query }];
    const found = list(await send('user_search', opts.priority, undefined, () => users.get(path)), 'users');
    const id = found[0]?.id;
    return typeof id === 'number' ? id : null;
  };

  /** A GET whose whole body we need (node-zendesk strips top-level keys and sideloads): read it from the exchange. */
  const getBody = async (
    kind: ZendeskRequestKind,
    priority: RequestPriority,
    resource: NzResource,
    path: Segment[],
  ): Promise<Obj> => {
    let raw: unknown;
    await send(kind, priority, undefined, async (exchange) => {
      const result = await resource.get(path);
      raw = exchange.body;
      return result;
    });
    return isObj(raw) ? raw : {};
  };

  /** null for a 404 (the ticket is gone); every other failure is thrown as usual. */
  const orNull = async <T>(p: Promise<T>): Promise<T | null> => {
    try {
      return await p;
    } catch (err) {
      if (err instanceof ZendeskError && err.status === 404) return null;
      throw err;
    }
  };

  return {
    async createVoiceTicket(ticket, displayToAgent, options) {
      const body = displayToAgent === undefined ? { ticket } : { display_to_agent: displayToAgent, ticket };
      // Talk Partner Edition has no node-zendesk method; its generic post() still builds, signs and parses.
      const result = await send('voice_ticket_create', options.priority, options.idempotencyKey, () =>
        tickets.post(['channels', 'voice', 'tickets'], body),
      );
      return createdTicket('voice_ticket_create', result);
    },

    async createTicket(ticket: TicketWrite, options) {
      const result = await send('ticket_create', options.priority, options.idempotencyKey, () =>
        tickets.post(['tickets'], { ticket }),
      );
      return createdTicket('ticket_create', result);
    },

    async updateTicket(ticketId, ticket, options) {
      // Zendesk honours Idempotency-Key on creates only.
      await send('ticket_update', options.priority, undefined, () =>
        tickets.put(['tickets', ticketId], { ticket }),
      );
    },

    findUserByPhone: (phoneE164, options) => findUser(`phone:${phoneE164}`, options),
    findUserByEmail: (email, options) => findUser(`email:${email}`, options),

    async listArticlesChangedSince(startTime, options) {
      const result = await send('hc_articles_incremental', options.priority, undefined, () =>
        tickets.get(['help_center', 'incremental', 'articles', { start_time: String(startTime) }]),
      );
      const body = isObj(result) ? result : {};
      const articles = list(result, 'articles').flatMap((a) => {
        const parsed = hcArticle(a);
        return parsed ? [parsed] : [];
      });
      const endTime = typeof body.end_time === 'number' ? body.end_time : startTime;
      // next_page carries the next start_time; a page that returns nothing new ends the export.
      const nextUrl = typeof body.next_page === 'string' ? body.next_page : null;
      const nextStart = nextUrl ? Number(new URL(nextUrl).searchParams.get('start_time')) : NaN;
      const next =
        Number.isFinite(nextStart) && nextStart > startTime && articles.length > 0 ? nextStart : null;
      return { articles, endTime, next };
    },

    async listArticleIds(cursor, options) {
      const query: Record<string, string> = { 'page[size]': '100' };
      if (cursor) query['page[after]'] = cursor;
      const result = await send('hc_articles_list', options.priority, undefined, () =>
        tickets.get(['help_center', 'articles', query]),
      );
      const body = isObj(result) ? result : {};
      const ids = list(result, 'articles').flatMap((a) =>
        typeof a.id === 'number' && typeof a.locale === 'string' ? [{ id: a.id, locale: a.locale }] : [],
      );
      const meta = isObj(body.meta) ? body.meta : {};
      const nextCursor =
        meta.has_more === true && typeof meta.after_cursor === 'string' ? meta.after_cursor : null;
      return { ids, nextCursor };
    },

    async findTicketByExternalId(externalId, options) {
      const result = await send('ticket_lookup', options.priority, undefined, () =>
        tickets.get(['tickets', { external_id: externalId }]),
      );
      const ids = list(result, 'tickets')
        .map((t) => t.id)
        .filter((id): id is number => typeof id === 'number');
      return ids.length ? Math.min(...ids) : null;
    },

    async createEndUser(user, options) {
      const result = await send('user_create', options.priority, options.idempotencyKey, () =>
        users.post(['users'], { user: { name: user.name, phone: user.phone, role: 'end-user' } }),
      );
      const id = entity(result, 'user')?.id;
      if (typeof id !== 'number')
        throw new ZendeskError('Zendesk user_create answered without a user id', undefined, false);
      return id;
    },

    async displayTicket(agentId, ticketId, options) {
      await send('screen_pop', options.priority, undefined, () =>
        tickets.post(['channels', 'voice', 'agents', agentId, 'tickets', ticketId, 'display'], undefined),
      );
    },

    async getCurrentUserId(options) {
      const id = entity(
        await send('user_me', options.priority, undefined, () => users.get(['users', 'me'])),
        'user',
      )?.id;
      if (typeof id !== 'number')
        throw new ZendeskError('Zendesk user_me answered without a user id', undefined, false);
      return id;
    },

    async getUserRole(userId, options) {
      const result = await orNull(
        send('user_show', options.priority, undefined, () => users.get(['users', userId])),
      );
      if (result === null) return null;
      const role = entity(result, 'user')?.role;
      return typeof role === 'string' ? role : null;
    },

    async getTicket(ticketId, options) {
      const result = await orNull(
        send('ticket_show', options.priority, undefined, () => tickets.get(['tickets', ticketId])),
      );
      if (result === null) return null;
      const t = entity(result, 'ticket');
      if (!t || typeof t.id !== 'number') return null;
      return {
        id: t.id,
        status: typeof t.status === 'string' ? t.status : 'unknown',
        tags: Array.isArray(t.tags) ? t.tags.filter((x): x is string => typeof x === 'string') : [],
      };
    },

    async listTicketComments(ticketId, options) {
      const out: TicketCommentRead[] = [];
      let after: string | null = null;
      for (let page = 0; page < 50; page++) {
        const query: Record<string, string> = { include: 'users', 'page[size]': '100' };
        if (after) query['page[after]'] = after;
        const body = await orNull(
          getBody('ticket_comments', options.priority, tickets, ['tickets', ticketId, 'comments', query]),
        );
        if (body === null) return page === 0 ? null : out;
        const roles = new Map<number, TicketCommentRead['authorRole']>();
        for (const u of items(body, 'users')) {
          if (typeof u.id !== 'number') continue;
          roles.set(u.id, u.role === 'end-user' || u.role === 'agent' || u.role === 'admin' ? u.role : null);
        }
        for (const c of items(body, 'comments')) {
          if (typeof c.id !== 'number' || typeof c.author_id !== 'number') continue;
          out.push({
            id: c.id,
            authorId: c.author_id,
            public: c.public === true,
            createdAt: typeof c.created_at === 'string' ? c.created_at : new Date(0).toISOString(),
            authorRole: roles.get(c.author_id) ?? null,
            ...(typeof c.plain_body === 'string'
              ? { body: c.plain_body }
              : typeof c.body === 'string'
                ? { body: c.body }
                : {}),
          });
        }
        const meta = isObj(body.meta) ? body.meta : {};
        after = meta.has_more === true && typeof meta.after_cursor === 'string' ? meta.after_cursor : null;
        if (!after) break;
      }
      return out;
    },

    async listWebhooks(nameContains, options) {
      const body = await getBody('webhook_list', options.priority, webhooks, [
        'webhooks',
        { 'filter[name_contains]': nameContains, 'page[size]': '100' },
      ]);
      return items(body, 'webhooks').flatMap((w) => {
        const hook = webhookOf(w);
        return hook ? [hook] : [];
      });
    },

    async createWebhook(webhook, options) {
      const result = await send('webhook_create', options.priority, undefined, () =>
        webhooks.post(['webhooks'], { webhook }),
      );
      const hook = webhookOf(isObj(result) && isObj(result.webhook) ? result.webhook : result);
      if (!hook)
        throw new ZendeskError('Zendesk webhook_create answered without a webhook id', undefined, false);
      return hook;
    },

    async updateWebhook(webhookId, patch, options) {
      await send('webhook_update', options.priority, undefined, () =>
        // node-zendesk's webhooks.patch(id, body) adds the "webhooks" segment itself.
        webhooks.patch(webhookId, { webhook: patch }),
      );
    },

    async getWebhookSigningSecret(webhookId, options) {
      const body = await getBody('webhook_signing_secret', options.priority, webhooks, [
        'webhooks',
        webhookId,
        'signing_secret',
      ]);
      const secret = isObj(body.signing_secret) ? body.signing_secret.secret : undefined;
      if (typeof secret !== 'string' || secret.length === 0)
        throw new ZendeskError('Zendesk webhook_signing_secret answered without a secret', undefined, false);
      return secret;
    },

    async searchTriggers(query, options) {
      const body = await getBody('trigger_search', options.priority, tickets, [
        'triggers',
        'search',
        { query },
      ]);
      return items(body, 'triggers').flatMap((t) => {
        const trigger = triggerOf(t);
        return trigger ? [trigger] : [];
      });
    },

    async createTrigger(trigger, options) {
      const result = await send('trigger_create', options.priority, undefined, () =>
        tickets.post(['triggers'], { trigger }),
      );
      const created = triggerOf(isObj(result) && isObj(result.trigger) ? result.trigger : result);
      if (!created)
        throw new ZendeskError('Zendesk trigger_create answered without a trigger id', undefined, false);
      return created;
    },

    async updateTrigger(triggerId, trigger, options) {
      await send('trigger_update', options.priority, undefined, () =>
        tickets.put(['triggers', triggerId], { trigger }),
      );
    },

    async exportTickets(from, options) {
      const query: Record<string, string> =
        'cursor' in from
          ? { cursor: from.cursor, include: 'metric_sets' }
          : { start_time: String(Math.floor(from.startTime)), include: 'metric_sets' };
      const body = await getBody('tickets_export', options.priority, tickets, [
        'incremental',
        'tickets',
        'cursor',
        query,
      ]);
      const metrics = new Map<number, Obj>();
      for (const m of items(body, 'metric_sets'))
        if (typeof m.ticket_id === 'number') metrics.set(m.ticket_id, m);
      return {
        tickets: items(body, 'tickets').map((t) => {
          const m = typeof t.id === 'number' ? metrics.get(t.id) : undefined;
          return m && !isObj(t.metric_set) ? { ...t, metric_set: m } : t;
        }),
        afterCursor: typeof body.after_cursor === 'string' && body.after_cursor ? body.after_cursor : null,
        endOfStream: body.end_of_stream !== false,
      };
    },

    async listTicketConversation(ticketId, options) {
      const out: ConversationComment[] = [];
      let after: string | null = null;
      for (let page = 0; page < 50; page++) {
        const query: Record<string, string> = { 'page[size]': '100' };
        if (after) query['page[after]'] = after;
        const body = await orNull(
          getBody('ticket_conversation', options.priority, tickets, ['tickets', ticketId, 'comments', query]),
        );
        if (body === null) return page === 0 ? null : out;
        for (const c of items(body, 'comments')) {
          if (typeof c.id !== 'number' || typeof c.author_id !== 'number') continue;
          const str = (v: unknown) => (typeof v === 'string' ? v : null);
          const data = isObj(c.data) ? c.data : null;
          out.push({
            id: c.id,
            type: str(c.type) ?? 'Comment',
            author_id: c.author_id,
            public: c.public === true,
            body: str(c.body),
            plain_body: str(c.plain_body),
            html_body: str(c.html_body),
            created_at: str(c.created_at) ?? new Date(0).toISOString(),
            ...(data
              ? {
                  data: {
                    transcription_text: str(data.transcription_text),
                    call_duration:
                      typeof data.call_duration === 'number' || typeof data.call_duration === 'string'
                        ? data.call_duration
                        : null,
                  },
                }
              : {}),
          });
        }
        const meta = isObj(body.meta) ? body.meta : {};
        after = meta.has_more === true && typeof meta.after_cursor === 'string' ? meta.after_cursor : null;
        if (!after) break;
      }
      return out;
    },

    async getUserAccess(userId, options) {
      const user = await orNull(getBody('user_show', options.priority, users, ['users', userId]));
      const u = user && isObj(user.user) ? user.user : null;
      if (!u || typeof u.role !== 'string') return null;
      const memberships = await getBody('user_group_memberships', options.priority, users, [
        'users',
        userId,
        'group_memberships',
        { 'page[size]': '100' },
      ]);
      const groupIds = items(memberships, 'group_memberships').flatMap((m) =>
        typeof m.group_id === 'number' ? [m.group_id] : [],
      );
      return { role: u.role, groupIds };
    },

    async listSections(options) {
      const out: Array<{ id: number; name: string; locale: string }> = [];
      let after: string | null = null;
      for (let page = 0; page < 20; page++) {
        const query: Record<string, string> = { 'page[size]': '100' };
        if (after) query['page[after]'] = after;
        const body = await getBody('hc_sections_list', options.priority, tickets, [
          'help_center',
          'sections',
          query,
        ]);
        for (const s of items(body, 'sections'))
          if (typeof s.id === 'number' && typeof s.name === 'string')
            out.push({ id: s.id, name: s.name, locale: typeof s.locale === 'string' ? s.locale : 'en-us' });
        const meta = isObj(body.meta) ? body.meta : {};
        after = meta.has_more === true && typeof meta.after_cursor === 'string' ? meta.after_cursor : null;
        if (!after) break;
      }
      return out;
    },

    async listSectionArticles(sectionId, options) {
      const out: HcArticle[] = [];
      let after: string | null = null;
      for (let page = 0; page < 50; page++) {
        const query: Record<string, string> = { 'page[size]': '100' };
        if (after) query['page[after]'] = after;
        const body = await getBody('hc_section_articles', options.priority, tickets, [
          'help_center',
          'sections',
          sectionId,
          'articles',
          query,
        ]);
        for (const a of items(body, 'articles')) {
          const parsed = hcArticle(a);
          if (parsed) out.push(parsed);
        }
        const meta = isObj(body.meta) ? body.meta : {};
        after = meta.has_more === true && typeof meta.after_cursor === 'string' ? meta.after_cursor : null;
        if (!after) break;
      }
      return out;
    },

    async firstPermissionGroupId(options) {
      const body = await getBody('hc_permission_groups', options.priority, tickets, [
        'guide',
        'permission_groups',
      ]);
      const id = items(body, 'permission_groups')[0]?.id;
      return typeof id === 'number' ? id : null;
    },

    async createArticle(sectionId, article, options) {
      let raw: unknown;
      await send('hc_article_create', options.priority, options.idempotencyKey, async (exchange) => {
        const r = await tickets.post(['help_center', 'sections', sectionId, 'articles'], {
          article,
          notify_subscribers: false,
        });
        raw = exchange.body;
        return r;
      });
      const created = isObj(raw) && isObj(raw.article) ? hcArticle(raw.article) : null;
      if (!created)
        throw new ZendeskError('Zendesk hc_article_create answered without an article', undefined, false);
      return created;
    },

    async updateArticleTranslation(articleId, locale, translation, options) {
      await send('hc_translation_update', options.priority, undefined, () =>
        tickets.put(['help_center', 'articles', articleId, 'translations', locale], { translation }),
      );
    },

    async updateArticleLabels(articleId, labels, options) {
      let raw: unknown;
      await send('hc_article_update', options.priority, undefined, async (exchange) => {
        const r = await tickets.put(['help_center', 'articles', articleId], {
          article: { label_names: labels },
        });
        raw = exchange.body;
        return r;
      });
      return isObj(raw) && isObj(raw.article) ? hcArticle(raw.article) : null;
    },
  };
}

/** The array under `key` of a whole response body. */
function items(body: Obj, key: string): Obj[] {
  const v = body[key];
  return Array.isArray(v) ? (v as unknown[]).filter(isObj) : [];
}

function webhookOf(w: unknown): ZendeskWebhook | null {
  if (!isObj(w) || typeof w.id !== 'string' || typeof w.endpoint !== 'string') return null;
  return {
    id: w.id,
    name: typeof w.name === 'string' ? w.name : '',
    endpoint: w.endpoint,
    ...(typeof w.status === 'string' ? { status: w.status } : {}),
    ...(Array.isArray(w.subscriptions)
      ? { subscriptions: w.subscriptions.filter((x): x is string => typeof x === 'string') }
      : {}),
  };
}

function triggerOf(t: unknown): ZendeskTrigger | null {
  if (!isObj(t) || typeof t.id !== 'number' || typeof t.title !== 'string') return null;
  return {
    id: t.id,
    title: t.title,
    active: t.active !== false,
    actions: Array.isArray(t.actions)
      ? t.actions.filter(isObj).map((a) => ({ field: String(a.field ?? ''), value: a.value }))
      : [],
  };
}

class DeadlineError extends Error {
  override name = 'DeadlineError';
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * node-zendesk answers `{ response, result }` where result is the body with its top-level key stripped
 * (`{ ticket }` → ticket, `{ users }` → a bare array), the raw body, or an Error value for 204s.
 */
function unwrap(answer: unknown): unknown {
  const result = answer && typeof answer === 'object' && 'result' in answer ? answer.result : answer;
  return result instanceof Error ? undefined : result;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

function entity(result: unknown, key: 'ticket' | 'user'): Obj | undefined {
  if (!isObj(result)) return undefined;
  return isObj(result[key]) ? (result[key] as Obj) : result;
}

/** The article fields we keep; anything without an id, locale and title is not an article we can use. */
function hcArticle(a: Obj): HcArticle | null {
  if (typeof a.id !== 'number' || typeof a.locale !== 'string' || typeof a.title !== 'string') return null;
  return {
    id: a.id,
    locale: a.locale,
    title: a.title,
    body: typeof a.body === 'string' ? a.body : null,
    ...(typeof a.html_url === 'string' ? { html_url: a.html_url } : {}),
    ...(typeof a.section_id === 'number' ? { section_id: a.section_id } : {}),
    ...(Array.isArray(a.label_names)
      ? { label_names: a.label_names.filter((l): l is string => typeof l === 'string') }
      : {}),
    draft: a.draft === true,
    updated_at: typeof a.updated_at === 'string' ? a.updated_at : new Date(0).toISOString(),
  };
}

function list(result: unknown, key: 'users' | 'tickets' | 'articles'): Obj[] {
  const items = Array.isArray(result)
    ? result
    : isObj(result) && Array.isArray(result[key])
      ? result[key]
      : [];
  return (items as unknown[]).filter(isObj);
}

/** Retry-After is seconds, or an HTTP date. */
function retryAfterMs(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Zendesk's error body names the problem as `{ error, description }` or `{ error: { title, message } }`. */
function describe(body: unknown): string {
  if (!isObj(body)) return '';
  const { error, description } = body;
  const parts = isObj(error)
    ? [error.title, error.message]
    : [typeof error === 'string' ? error : undefined, description];
  return parts
    .filter((p): p is string => typeof p === 'string' && p.length > 0)
    .join(': ')
    .slice(0, 200);
}

function toZendeskError(kind: ZendeskRequestKind, status: number, exchange: Exchange): ZendeskError {
  const detail = describe(exchange.body);
  const message = `Zendesk ${kind} answered ${status}${detail ? ` (${detail})` : ''}`;
  if (status === 429) {
    const wait = retryAfterMs(exchange.retryAfter) ?? DEFAULT_RETRY_AFTER_MS;
    return new ZendeskError(`${message}; retry in ${wait} ms`, status, true, wait);
  }
  // 408 and 409 (a concurrent update of the same ticket) succeed when tried again; other 4xx never will.
  const retriable = status >= 500 || status === 408 || status === 409;
  return new ZendeskError(
    message,
    status,
    retriable,
    retriable ? retryAfterMs(exchange.retryAfter) : undefined,
  );
}

/** Duck-typed: errors may come from another realm than `Error` under Jest. */
function errorFields(err: unknown): { name?: string; message?: string; code?: string } {
  if (!err || typeof err !== 'object') return {};
  const { name, message, code } = err as Record<string, unknown>;
  return {
    ...(typeof name === 'string' ? { name } : {}),
    ...(typeof message === 'string' ? { message } : {}),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

function errorName(err: unknown): string {
  const { name, message } = errorFields(err);
  return name || message ? `${name ?? 'Error'}: ${message ?? ''}` : String(err);
}

/** The system error code (ECONNREFUSED, …), on the error or its cause, says what happened. */
function networkReason(err: unknown): string {
  const code = errorFields(err).code ?? errorFields((err as { cause?: unknown } | undefined)?.cause).code;
  return code ? `network error ${code}` : `network error (${errorName(err)})`;
}
