import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signZendeskWebhook } from '../server/billing/signature';
import type { ZendeskRequestKind } from '../server/zendesk/types';
import { validateZendeskRequest } from './zendesk-spec';
import { isWebhooksPath, validateWebhooksRequest } from './zendesk-webhooks-spec';

/**
 * A Zendesk account in-process, for tests, benchmarks and the demo: exactly the endpoints ZendeskApi uses,
 * state in memory, every request body checked against Zendesk's OpenAPI file, Idempotency-Key honoured the
 * way Zendesk does on creates, and faults (429 storms, 503s, dropped connections) on demand.
 */

export interface DoubleComment {
  body?: string;
  html_body?: string;
  public: boolean;
  voice_comment?: Record<string, unknown>;
  created_at: string;
  /** Comments added by tests as a person wrote them (plain text); html_body is derived. */
  /** Who wrote it; comments written through the API are the API user's (id 1). */
  author_id?: number;
}

/** A webhook created through the Webhooks API, with the signing secret the double made up for it. */
export interface DoubleWebhook {
  id: string;
  name: string;
  endpoint: string;
  status: string;
  subscriptions: string[];
  authentication: unknown;
  signingSecret: string;
}

export interface DoubleTrigger {
  id: number;
  title: string;
  active: boolean;
  conditions: unknown;
  actions: Array<{ field: string; value: unknown }>;
}

export interface DoubleTicket {
  id: number;
  subject?: string;
  status: string;
  requester_id: number;
  assignee_id?: number;
  external_id?: string;
  tags: string[];
  via_id?: number;
  comments: DoubleComment[];
  created_at: string;
  updated_at: string;
  /** For the incremental export's metric_sets sideload. */
  solved_at?: string;
  reopens?: number;
  via_channel?: string;
}

export interface DoubleUser {
  id: number;
  name: string;
  email?: string;
  phone?: string;
  role: 'end-user' | 'agent' | 'admin';
}

export type DoubleRequestKind = ZendeskRequestKind | 'unknown';

export interface RecordedRequest {
  method: string;
  /** Path without the query string (a user search's query holds a phone number or email). */
  path: string;
  kind: DoubleRequestKind;
  /** Date.now() when the request arrived. */
  at: number;
  status: number | 'network';
  idempotencyKey?: string;
}

export interface SpecViolation {
  method: string;
  path: string;
  errors: string[];
}

export interface ScreenPop {
  agentId: number;
  ticketId: number;
  at: number;
}

export interface FaultOptions {
  headers?: Record<string, string>;
  body?: unknown;
  /** Only requests of this kind fail (and use up the fault); others pass. */
  kind?: DoubleRequestKind;
  /** With status 'network': Zendesk does the work, then the connection drops before the answer. */
  afterApply?: boolean;
}

export interface DoubleOptions {
  /** Added before every answer; a function may vary it per request. */
  latencyMs?: number | ((kind: DoubleRequestKind) => number);
  /** When set, requests must carry exactly this Authorization header (else 401). */
  authorization?: string;
  /**
   * Fire the account's triggers the way Zendesk does: after each ticket update (through the API or
   * `updateTicket`), every active trigger whose conditions hold runs its `notification_webhook` action,
   * a signed POST to the webhook's endpoint. Off by default (tests deliver webhooks themselves).
   */
  fireTriggers?: boolean;
  /** Id of the first ticket created through the API (default 1); seeded history can sit below it. */
  firstTicketId?: number;
  /** Starts from an earlier `snapshot()` (the demo's --keep). */
  restore?: DoubleSnapshot;
}

/** The account's data, as JSON, to start another double from where this one was. */
export interface DoubleSnapshot {
  tickets: DoubleTicket[];
  users: DoubleUser[];
  articles: DoubleArticle[];
  webhooks: DoubleWebhook[];
  triggers: DoubleTrigger[];
  deleted: number[];
  next: { ticket: number; user: number; trigger: number };
}

/** A webhook call a trigger made: the endpoint's answer, or the network error. */
export interface WebhookDelivery {
  webhookId: string;
  triggerId: number;
  ticketId: number;
  body: string;
  status: number | 'network';
  at: number;
}

export interface ZendeskDouble {
  /** Pass as the client's baseUrl. */
  url: string;
  tickets: Map<number, DoubleTicket>;
  users: Map<number, DoubleUser>;
  screenPops: ScreenPop[];
  requests: RecordedRequest[];
  specViolations: SpecViolation[];
  /** The next n matching requests answer `status` (or drop the connection for 'network'). */
  failNext(n: number, status: number | 'network', options?: FaultOptions): void;
  setLatency(latency: DoubleOptions['latencyMs']): void;
  addUser(user: Omit<DoubleUser, 'id' | 'role'> & { role?: DoubleUser['role'] }): DoubleUser;
  /** Help Center articles by id (one locale each here); put/update/remove them between syncs. */
  articles: Map<number, DoubleArticle>;
  putArticle(a: Partial<DoubleArticle> & { id: number; title: string; body: string }): DoubleArticle;
  /** Webhooks and triggers created through the API (billing's setup-webhooks). */
  webhooks: Map<string, DoubleWebhook>;
  triggers: Map<number, DoubleTrigger>;
  /** Adds a comment as if `authorId` wrote it (an agent's reply, a bot's, the requester's). */
  addComment(
    ticketId: number,
    c: { authorId: number; public: boolean; body?: string; createdAt?: string },
  ): void;
  /** Help Center sections (GET /api/v2/help_center/sections). */
  sections: Map<number, { id: number; name: string; locale: string }>;
  /** Group ids per user (GET /api/v2/users/{id}/group_memberships). */
  groupMemberships: Map<number, number[]>;
  /** Tickets per page of the incremental ticket export (Zendesk: 1,000). */
  exportPageSize: number;
  /** Adds a solved (or other) ticket as the export will see it, with its conversation. */
  putExportTicket(t: {
    id?: number;
    subject: string;
    status?: string;
    requesterId: number;
    createdAt?: string;
    updatedAt?: string;
    solvedAt?: string;
    reopens?: number;
    via?: string;
    comments: Array<{
      authorId: number;
      body: string;
      public?: boolean;
      transcript?: string;
      callDuration?: number;
    }>;
  }): DoubleTicket;
  /**
   * Changes a ticket as a person in Zendesk's UI would (an agent's reply and solve, a requester's reply),
   * then fires the triggers like an API update does. `authorId` must be a known user.
   */
  updateTicket(
    ticketId: number,
    change: { authorId: number; status?: string; comment?: { body: string; public: boolean } },
  ): DoubleTicket;
  /** Webhook calls made by triggers (with `fireTriggers`), oldest first. */
  webhookDeliveries: WebhookDelivery[];
  /** Resolves once every trigger-fired webhook call so far has been answered. */
  settled(): Promise<void>;
  /** Tickets, users, articles, webhooks and triggers (not requests, faults or idempotency keys). */
  snapshot(): DoubleSnapshot;
  /** Deletes a ticket: it answers 404 from then on. */
  deleteTicket(ticketId: number): void;
  /** Merges source into target the way Zendesk does: source closed, tagged closed_by_merge. */
  mergeTicket(sourceId: number, targetId: number): void;
  /** Forgets tickets, users (except the API user), requests, violations, faults and idempotency keys. */
  reset(): void;
  close(): Promise<void>;
}

/** The account's own API user, id 1, requester of tickets created without one. */
const API_USER: DoubleUser = { id: 1, name: 'Concierge API', email: 'api@concierge.invalid', role: 'admin' };

const ROUTES: Array<{ method: string; pattern: RegExp; kind: ZendeskRequestKind }> = [
  { method: 'POST', pattern: /^\/api\/v2\/channels\/voice\/tickets$/, kind: 'voice_ticket_create' },
  {
    method: 'POST',
    pattern: /^\/api\/v2\/channels\/voice\/agents\/(\d+)\/tickets\/(\d+)\/display$/,
    kind: 'screen_pop',
  },
  { method: 'POST', pattern: /^\/api\/v2\/tickets$/, kind: 'ticket_create' },
  { method: 'PUT', pattern: /^\/api\/v2\/tickets\/(\d+)$/, kind: 'ticket_update' },
  { method: 'GET', pattern: /^\/api\/v2\/tickets$/, kind: 'ticket_lookup' },
  { method: 'GET', pattern: /^\/api\/v2\/users\/search$/, kind: 'user_search' },
  { method: 'POST', pattern: /^\/api\/v2\/users$/, kind: 'user_create' },
  {
    method: 'GET',
    pattern: /^\/api\/v2\/help_center\/incremental\/articles$/,
    kind: 'hc_articles_incremental',
  },
  { method: 'GET', pattern: /^\/api\/v2\/help_center\/articles$/, kind: 'hc_articles_list' },
  { method: 'GET', pattern: /^\/api\/v2\/users\/me$/, kind: 'user_me' },
  { method: 'GET', pattern: /^\/api\/v2\/users\/(\d+)$/, kind: 'user_show' },
  { method: 'GET', pattern: /^\/api\/v2\/tickets\/(\d+)$/, kind: 'ticket_show' },
  { method: 'GET', pattern: /^\/api\/v2\/tickets\/(\d+)\/comments$/, kind: 'ticket_comments' },
  { method: 'GET', pattern: /^\/api\/v2\/webhooks$/, kind: 'webhook_list' },
  { method: 'POST', pattern: /^\/api\/v2\/webhooks$/, kind: 'webhook_create' },
  { method: 'PATCH', pattern: /^\/api\/v2\/webhooks\/([\w-]+)$/, kind: 'webhook_update' },
  {
    method: 'GET',
    pattern: /^\/api\/v2\/webhooks\/([\w-]+)\/signing_secret$/,
    kind: 'webhook_signing_secret',
  },
  { method: 'GET', pattern: /^\/api\/v2\/triggers\/search$/, kind: 'trigger_search' },
  { method: 'POST', pattern: /^\/api\/v2\/triggers$/, kind: 'trigger_create' },
  { method: 'PUT', pattern: /^\/api\/v2\/triggers\/(\d+)$/, kind: 'trigger_update' },
  { method: 'GET', pattern: /^\/api\/v2\/incremental\/tickets\/cursor$/, kind: 'tickets_export' },
  { method: 'GET', pattern: /^\/api\/v2\/users\/(\d+)\/group_memberships$/, kind: 'user_group_memberships' },
  { method: 'GET', pattern: /^\/api\/v2\/help_center\/sections$/, kind: 'hc_sections_list' },
  {
    method: 'GET',
    pattern: /^\/api\/v2\/help_center\/sections\/(\d+)\/articles$/,
    kind: 'hc_section_articles',
  },
  {
    method: 'POST',
    pattern: /^\/api\/v2\/help_center\/sections\/(\d+)\/articles$/,
    kind: 'hc_article_create',
  },
  {
    method: 'PUT',
    pattern: /^\/api\/v2\/help_center\/articles\/(\d+)\/translations\/([\w-]+)$/,
    kind: 'hc_translation_update',
  },
  { method: 'PUT', pattern: /^\/api\/v2\/help_center\/articles\/(\d+)$/, kind: 'hc_article_update' },
  { method: 'GET', pattern: /^\/api\/v2\/guide\/permission_groups$/, kind: 'hc_permission_groups' },
];

/** Help Center endpoints are not in the Support API spec: the double checks their query by hand. */
const HELP_CENTER = /^\/api\/v2\/(help_center|guide)\//;
/**
 * The spec copy folds GET /api/v2/users/{user_id}/group_memberships into /api/v2/group_memberships (with a
 * user_id *path* parameter), so it cannot be matched; the double checks nothing more for it.
 */
const NOT_IN_SPEC = /^\/api\/v2\/users\/\d+\/group_memberships$/;

export interface DoubleArticle {
  id: number;
  locale: string;
  title: string;
  body: string;
  html_url: string;
  section_id: number;
  label_names: string[];
  draft: boolean;
  updated_at: string;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const digits = (phone: string) => phone.replace(/[^\d]/g, '');

export async function startZendeskDouble(options: DoubleOptions = {}): Promise<ZendeskDouble> {
  const tickets = new Map<number, DoubleTicket>();
  const users = new Map<number, DoubleUser>([[API_USER.id, { ...API_USER }]]);
  const screenPops: ScreenPop[] = [];
  const requests: RecordedRequest[] = [];
  const specViolations: SpecViolation[] = [];
  const faults: Array<{ status: number | 'network' } & FaultOptions> = [];
  // Zendesk keeps a key's answer for a while; a reuse with another body is an error, not a replay.
  const idempotent = new Map<string, { bodyHash: string; reply: Reply }>();
  let latency = options.latencyMs;
  let nextTicketId = options.firstTicketId ?? 1;
  let nextUserId = 100;

  const now = () => new Date().toISOString();

  let selfUrl = 'http://127.0.0.1';
  const baseUrl = () => selfUrl;
  const articles = new Map<number, DoubleArticle>();
  const putArticle: ZendeskDouble['putArticle'] = (a) => {
    const article: DoubleArticle = {
      locale: 'en-us',
      html_url: `https://help.example.com/hc/en-us/articles/${a.id}`,
      section_id: 1,
      label_names: [],
      draft: false,
      ...a,
      updated_at: a.updated_at ?? new Date().toISOString(),
    };
    articles.set(article.id, article);
    return article;
  };
  const helpCenterErrors = (kind: DoubleRequestKind, q: URLSearchParams, body: unknown): string[] => {
    if (kind === 'hc_articles_incremental' && !/^\d+$/.test(q.get('start_time') ?? ''))
      return ['start_time must be epoch seconds'];
    if (kind === 'hc_article_create') {
      const a = isObj(body) && isObj(body.article) ? body.article : undefined;
      const errs: string[] = [];
      if (!a) return ['article is required'];
      if (typeof a.title !== 'string' || !a.title) errs.push('article.title is required');
      if (typeof a.locale !== 'string') errs.push('article.locale is required');
      if (typeof a.permission_group_id !== 'number') errs.push('article.permission_group_id is required');
      if (!('user_segment_id' in a) || (a.user_segment_id !== null && typeof a.user_segment_id !== 'number'))
        errs.push('article.user_segment_id is required (null for everyone)');
      return errs;
    }
    if (kind === 'hc_translation_update') {
      const t = isObj(body) && isObj(body.translation) ? body.translation : undefined;
      if (!t || (t.title === undefined && t.body === undefined))
        return ['translation.title or translation.body is required'];
    }
    return [];
  };

  const sections = new Map<number, { id: number; name: string; locale: string }>([
    [1, { id: 1, name: 'General', locale: 'en-us' }],
  ]);
  const groupMemberships = new Map<number, number[]>();
  const exportSettings = { pageSize: 1000 };
  let nextArticleId = 50_000;
  /** Opaque like Zendesk's: base64 of "<updated_at seconds>|<ticket id>" of the last ticket returned. */
  const exportCursor = (sec: number, id: number) => Buffer.from(`${sec}|${id}`).toString('base64url');
  const readCursor = (c: string): [number, number] | null => {
    const m = /^(\d+)\|(\d+)$/.exec(Buffer.from(c, 'base64url').toString('utf8'));
    return m ? [Number(m[1]), Number(m[2])] : null;
  };
  const articleJson = (a: DoubleArticle) => ({
    ...a,
    url: `${baseUrl()}/api/v2/help_center/articles/${a.id}.json`,
  });
  const webhooks = new Map<string, DoubleWebhook>();
  const triggers = new Map<number, DoubleTrigger>();
  const deleted = new Set<number>();
  let nextTriggerId = 9000;
  const webhookJson = (w: DoubleWebhook) => ({
    id: w.id,
    name: w.name,
    endpoint: w.endpoint,
    http_method: 'POST',
    request_format: 'json',
    status: w.status,
    subscriptions: w.subscriptions,
    created_at: now(),
  });
  const triggerJson = (t: DoubleTrigger) => ({
    id: t.id,
    title: t.title,
    raw_title: t.title,
    active: t.active,
    conditions: t.conditions,
    actions: t.actions,
  });
  const liveTicket = (id: number) => (deleted.has(id) ? undefined : tickets.get(id));
  if (options.restore) {
    const r = structuredClone(options.restore);
    for (const t of r.tickets) tickets.set(t.id, t);
    for (const u of r.users) users.set(u.id, u);
    for (const a of r.articles) articles.set(a.id, a);
    for (const w of r.webhooks) webhooks.set(w.id, w);
    for (const t of r.triggers) triggers.set(t.id, t);
    for (const id of r.deleted) deleted.add(id);
    nextTicketId = r.next.ticket;
    nextUserId = r.next.user;
    nextTriggerId = r.next.trigger;
  }

  // --- triggers ------------------------------------------------------------------------------
  const webhookDeliveries: WebhookDelivery[] = [];
  const inFlight = new Set<Promise<void>>();
  const STATUS_RANK = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
  interface Update {
    ticket: DoubleTicket;
    previousStatus: string;
    publicComment: boolean;
    actor: DoubleUser | undefined;
    created?: boolean;
  }
  const holds = (c: unknown, u: Update): boolean => {
    if (!isObj(c)) return false;
    const value = String(c.value);
    const status = u.ticket.status;
    switch (`${String(c.field)} ${String(c.operator)}`) {
      case 'status value':
        return status === value && u.previousStatus !== value;
      case 'status value_previous':
        return u.previousStatus === value && status !== value;
      case 'status is':
        return status === value;
      case 'status is_not':
        return status !== value;
      case 'status less_than':
        return STATUS_RANK.indexOf(status) < STATUS_RANK.indexOf(value);
      case 'update_type is':
        return value === (u.created ? 'Create' : 'Change');
      case 'comment_is_public is':
        return u.publicComment === (value === 'true');
      case 'role is':
        return (u.actor?.role === 'end-user' ? 'end_user' : u.actor?.role) === value;
      default:
        return false; // a condition the double does not know never fires
    }
  };
  const conditionsHold = (conditions: unknown, u: Update): boolean => {
    const all = isObj(conditions) && Array.isArray(conditions.all) ? conditions.all : [];
    const any = isObj(conditions) && Array.isArray(conditions.any) ? conditions.any : [];
    return all.every((c) => holds(c, u)) && (any.length === 0 || any.some((c) => holds(c, u)));
  };
  const deliver = async (hook: DoubleWebhook, trigger: DoubleTrigger, ticketId: number, body: string) => {
    const timestamp = new Date().toISOString();
    const auth =
      isObj(hook.authentication) && isObj(hook.authentication.data) ? hook.authentication.data : {};
    const record: WebhookDelivery = {
      webhookId: hook.id,
      triggerId: trigger.id,
      ticketId,
      body,
      status: 'network',
      at: Date.now(),
    };
    webhookDeliveries.push(record);
    try {
      const res = await fetch(hook.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(typeof auth.token === 'string' ? { authorization: `Bearer ${auth.token}` } : {}),
          'x-zendesk-webhook-id': hook.id,
          'x-zendesk-webhook-signature-timestamp': timestamp,
          'x-zendesk-webhook-signature': signZendeskWebhook(hook.signingSecret, timestamp, body),
        },
        body,
      });
      await res.arrayBuffer();
      record.status = res.status;
    } catch {
      record.status = 'network';
    }
  };
  const fireTriggers = (u: Update) => {
    if (!options.fireTriggers) return;
    const at = `${u.ticket.updated_at.slice(0, 19)}Z`;
    for (const trigger of [...triggers.values()].sort((a, b) => a.id - b.id)) {
      if (!trigger.active || !conditionsHold(trigger.conditions, u)) continue;
      for (const action of trigger.actions) {
        if (action.field !== 'notification_webhook' || !Array.isArray(action.value)) continue;
        const [hookId, template] = action.value as unknown[];
        const hook = webhooks.get(String(hookId));
        if (!hook || hook.status !== 'active' || typeof template !== 'string') continue;
        const body = template
          .replace(/\{\{ticket\.id\}\}/g, String(u.ticket.id))
          .replace(/\{\{ticket\.updated_at_with_timestamp\}\}/g, at)
          .replace(/\{\{current_user\.id\}\}/g, String(u.actor?.id ?? ''));
        const p = deliver(hook, trigger, u.ticket.id, body).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    }
  };

  const addUser: ZendeskDouble['addUser'] = (u) => {
    const user: DoubleUser = { ...u, id: nextUserId++, role: u.role ?? 'end-user' };
    users.set(user.id, user);
    return user;
  };

  const ticketJson = (t: DoubleTicket) => ({
    id: t.id,
    url: `/api/v2/tickets/${t.id}.json`,
    subject: t.subject ?? null,
    status: t.status,
    requester_id: t.requester_id,
    submitter_id: API_USER.id,
    assignee_id: t.assignee_id ?? null,
    external_id: t.external_id ?? null,
    tags: t.tags,
    description: t.comments[0]?.body ?? '',
    via: {
      channel: t.via_channel ?? (t.via_id === undefined ? 'api' : 'voice'),
      source: { rel: t.via_id === 44 ? 'voicemail' : null },
    },
    created_at: t.created_at,
    updated_at: t.updated_at,
  });

  const userJson = (u: DoubleUser) => ({
    id: u.id,
    name: u.name,
    email: u.email ?? null,
    phone: u.phone ?? null,
    role: u.role,
  });

  const comment = (input: Obj): DoubleComment | undefined => {
    const c = input.comment;
    const voice = input.voice_comment;
    if (!isObj(c) && !isObj(voice)) return undefined;
    const base = isObj(c) ? c : {};
    return {
      ...(typeof base.body === 'string' ? { body: base.body } : {}),
      ...(typeof base.html_body === 'string' ? { html_body: base.html_body } : {}),
      // Voice comments are private notes in Zendesk.
      public: isObj(c) ? base.public !== false : false,
      ...(isObj(voice) ? { voice_comment: voice } : {}),
      created_at: now(),
    };
  };

  const createTicket = (input: Obj): DoubleTicket => {
    const at = now();
    const first = comment(input);
    const ticket: DoubleTicket = {
      id: nextTicketId++,
      status: typeof input.status === 'string' ? input.status : 'new',
      requester_id: typeof input.requester_id === 'number' ? input.requester_id : API_USER.id,
      tags: [
        ...new Set(
          [
            ...(Array.isArray(input.tags) ? input.tags : []),
            ...(Array.isArray(input.additional_tags) ? input.additional_tags : []),
          ].map(String),
        ),
      ],
      comments: first ? [first] : [],
      created_at: at,
      updated_at: at,
      ...(typeof input.subject === 'string' ? { subject: input.subject } : {}),
      ...(typeof input.assignee_id === 'number' ? { assignee_id: input.assignee_id } : {}),
      ...(typeof input.external_id === 'string' ? { external_id: input.external_id } : {}),
      ...(typeof input.via_id === 'number' ? { via_id: input.via_id } : {}),
    };
    tickets.set(ticket.id, ticket);
    fireTriggers({
      ticket,
      previousStatus: '',
      publicComment: first?.public === true,
      actor: users.get(API_USER.id),
      created: true,
    });
    return ticket;
  };

  const created = (ticket: DoubleTicket): Reply => ({
    status: 201,
    body: { ticket: ticketJson(ticket) },
    headers: { location: `/api/v2/tickets/${ticket.id}.json` },
  });

  const notFound: Reply = { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } };

  function handle(kind: ZendeskRequestKind, params: string[], query: URLSearchParams, body: Obj): Reply {
    switch (kind) {
      case 'voice_ticket_create': {
        const ticket = createTicket(isObj(body.ticket) ? body.ticket : {});
        if (typeof body.display_to_agent === 'number') {
          screenPops.push({ agentId: body.display_to_agent, ticketId: ticket.id, at: Date.now() });
        }
        return created(ticket);
      }
      case 'ticket_create':
        return created(createTicket(isObj(body.ticket) ? body.ticket : {}));
      case 'ticket_update': {
        const ticket = tickets.get(Number(params[0]));
        if (!ticket) return notFound;
        const input = isObj(body.ticket) ? body.ticket : {};
        const previousStatus = ticket.status;
        const added = comment(input);
        if (added) ticket.comments.push(added);
        if (Array.isArray(input.tags)) ticket.tags = [...new Set(input.tags.map(String))];
        if (Array.isArray(input.additional_tags))
          ticket.tags = [...new Set([...ticket.tags, ...input.additional_tags.map(String)])];
        if (typeof input.status === 'string') ticket.status = input.status;
        if (typeof input.subject === 'string') ticket.subject = input.subject;
        if (typeof input.requester_id === 'number') ticket.requester_id = input.requester_id;
        if (typeof input.assignee_id === 'number') ticket.assignee_id = input.assignee_id;
        if (typeof input.external_id === 'string') ticket.external_id = input.external_id;
        ticket.updated_at = now();
        fireTriggers({
          ticket,
          previousStatus,
          publicComment: added?.public === true,
          actor: users.get(API_USER.id),
        });
        return {
          status: 200,
          body: { ticket: ticketJson(ticket), audit: { ticket_id: ticket.id, events: [] } },
        };
      }
      case 'hc_articles_incremental': {
        // Like Zendesk: articles changed at or after start_time, oldest first, 1,000 a page.
        const start = Number(query.get('start_time'));
        const changed = [...articles.values()]
          .filter((a) => Math.floor(Date.parse(a.updated_at) / 1000) >= start)
          .sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at));
        const page = changed.slice(0, 1000);
        const last = page.at(-1);
        const endTime = last ? Math.floor(Date.parse(last.updated_at) / 1000) : start;
        const more = changed.length > page.length;
        return {
          status: 200,
          body: {
            articles: page,
            count: page.length,
            end_time: endTime,
            next_page: more
              ? `${baseUrl()}/api/v2/help_center/incremental/articles.json?start_time=${endTime + 1}`
              : null,
          },
        };
      }
      case 'hc_articles_list': {
        const size = Number(query.get('page[size]') ?? 30);
        const after = Number(query.get('page[after]') ?? 0);
        const all = [...articles.values()].filter((a) => !a.draft).sort((a, b) => a.id - b.id);
        const page = all.filter((a) => a.id > after).slice(0, size);
        const hasMore = all.some((a) => a.id > (page.at(-1)?.id ?? Infinity));
        return {
          status: 200,
          body: {
            articles: page,
            meta: { has_more: hasMore, after_cursor: page.at(-1) ? String(page.at(-1)!.id) : null },
          },
        };
      }
      case 'ticket_lookup': {
        const externalId = query.get('external_id');
        const found = [...tickets.values()].filter(
          (t) => externalId !== null && t.external_id === externalId,
        );
        return {
          status: 200,
          body: { tickets: found.map(ticketJson), count: found.length, next_page: null, previous_page: null },
        };
      }
      case 'user_search': {
        const q = (query.get('query') ?? '').trim();
        const m = /^(phone|email):"?([^"]*)"?$/.exec(q);
        const found = [...users.values()].filter((u) => {
          if (m?.[1] === 'phone') return !!u.phone && digits(u.phone) === digits(m[2] ?? '');
          if (m?.[1] === 'email') return !!u.email && u.email.toLowerCase() === (m[2] ?? '').toLowerCase();
          return (
            q !== '' && [u.name, u.email, u.phone].some((v) => v?.toLowerCase().includes(q.toLowerCase()))
          );
        });
        return {
          status: 200,
          body: { users: found.map(userJson), count: found.length, next_page: null, previous_page: null },
        };
      }
      case 'user_create': {
        const input = isObj(body.user) ? body.user : {};
        const email = typeof input.email === 'string' ? input.email : undefined;
        if (email && [...users.values()].some((u) => u.email?.toLowerCase() === email.toLowerCase())) {
          return {
            status: 422,
            body: {
              error: 'RecordInvalid',
              description: 'Record validation errors',
              details: {
                email: [
                  { error: 'DuplicateValue', description: 'Email is already being used by another user' },
                ],
              },
            },
          };
        }
        const role = input.role === 'agent' || input.role === 'admin' ? input.role : 'end-user';
        const user = addUser({
          name: typeof input.name === 'string' ? input.name : 'Caller',
          role,
          ...(email ? { email } : {}),
          ...(typeof input.phone === 'string' ? { phone: input.phone } : {}),
        });
        return { status: 201, body: { user: userJson(user) } };
      }
      case 'screen_pop': {
        const ticketId = Number(params[1]);
        if (!tickets.has(ticketId)) return notFound;
        screenPops.push({ agentId: Number(params[0]), ticketId, at: Date.now() });
        return { status: 200 };
      }
      case 'user_me':
        return { status: 200, body: { user: userJson(users.get(API_USER.id) ?? API_USER) } };
      case 'user_show': {
        const user = users.get(Number(params[0]));
        return user ? { status: 200, body: { user: userJson(user) } } : notFound;
      }
      case 'ticket_show': {
        const ticket = liveTicket(Number(params[0]));
        return ticket ? { status: 200, body: { ticket: ticketJson(ticket) } } : notFound;
      }
      case 'ticket_conversation':
      case 'ticket_comments': {
        const ticket = liveTicket(Number(params[0]));
        if (!ticket) return notFound;
        const size = Math.min(Number(query.get('page[size]') ?? 100), 100);
        const after = Number(query.get('page[after]') ?? 0);
        const all = ticket.comments.map((c, i) => ({
          id: ticket.id * 1000 + i + 1,
          type: c.voice_comment ? 'VoiceComment' : 'Comment',
          author_id: c.author_id ?? API_USER.id,
          body: c.body ?? '',
          html_body:
            c.html_body ?? `<div class="zd-comment"><p>${(c.body ?? '').replace(/</g, '&lt;')}</p></div>`,
          plain_body: c.body ?? '',
          public: c.public,
          created_at: c.created_at,
          // Voice comments carry the call in `data` (transcription_text when the call was transcribed).
          ...(c.voice_comment
            ? {
                data: {
                  transcription_text: c.voice_comment.transcription_text ?? null,
                  call_duration: c.voice_comment.call_duration ?? null,
                  from: c.voice_comment.from ?? null,
                  to: c.voice_comment.to ?? null,
                },
              }
            : {}),
        }));
        const page = all.filter((c) => c.id > after).slice(0, size);
        const last = page.at(-1);
        const authors = [...new Set(page.map((c) => c.author_id))].flatMap((id) => {
          const u = users.get(id);
          return u ? [userJson(u)] : [];
        });
        return {
          status: 200,
          body: {
            comments: page,
            ...(query.get('include') === 'users' ? { users: authors } : {}),
            meta: {
              has_more: !!last && all.some((c) => c.id > last.id),
              after_cursor: last ? String(last.id) : null,
            },
          },
        };
      }
      case 'tickets_export': {
        // Like Zendesk: tickets whose updated_at is at or after start_time (or after the cursor), oldest first.
        const sec = (t: DoubleTicket) => Math.floor(Date.parse(t.updated_at) / 1000);
        const cursor = query.get('cursor');
        const from = cursor ? readCursor(cursor) : [Number(query.get('start_time')), -1];
        if (!from || !Number.isFinite(from[0]))
          return { status: 400, body: { error: 'InvalidPaginationParameter', description: 'bad cursor' } };
        const [fromSec, fromId] = from as [number, number];
        const all = [...tickets.values()]
          .filter((t) => !deleted.has(t.id))
          .filter((t) => sec(t) > fromSec || (sec(t) === fromSec && t.id > fromId))
          .sort((a, b) => sec(a) - sec(b) || a.id - b.id);
        const page = all.slice(0, exportSettings.pageSize);
        const last = page.at(-1);
        const after = last ? exportCursor(sec(last), last.id) : (cursor ?? exportCursor(fromSec, fromId));
        return {
          status: 200,
          body: {
            tickets: page.map(ticketJson),
            ...(query.get('include')?.includes('metric_sets')
              ? {
                  metric_sets: page.map((t) => ({
                    ticket_id: t.id,
                    solved_at:
                      t.solved_at ?? (t.status === 'solved' || t.status === 'closed' ? t.updated_at : null),
                    reopens: t.reopens ?? 0,
                    replies: t.comments.filter((c) => c.public && c.author_id !== t.requester_id).length,
                  })),
                }
              : {}),
            after_cursor: after,
            after_url: `${baseUrl()}/api/v2/incremental/tickets/cursor.json?cursor=${after}`,
            before_cursor: null,
            before_url: null,
            end_of_stream: all.length <= page.length,
          },
        };
      }
      case 'user_group_memberships': {
        const userId = Number(params[0]);
        if (!users.has(userId)) return notFound;
        const groups = groupMemberships.get(userId) ?? [];
        return {
          status: 200,
          body: {
            group_memberships: groups.map((g, i) => ({
              id: userId * 100 + i,
              user_id: userId,
              group_id: g,
              default: i === 0,
            })),
            meta: { has_more: false, after_cursor: null },
          },
        };
      }
      case 'hc_sections_list':
        return {
          status: 200,
          body: { sections: [...sections.values()], meta: { has_more: false, after_cursor: null } },
        };
      case 'hc_section_articles': {
        const sectionId = Number(params[0]);
        if (!sections.has(sectionId)) return notFound;
        const list = [...articles.values()]
          .filter((a) => a.section_id === sectionId)
          .sort((a, b) => a.id - b.id);
        return {
          status: 200,
          body: { articles: list.map(articleJson), meta: { has_more: false, after_cursor: null } },
        };
      }
      case 'hc_permission_groups':
        return {
          status: 200,
          body: { permission_groups: [{ id: 77, name: 'Agents and managers', built_in: true }] },
        };
      case 'hc_article_create': {
        const sectionId = Number(params[0]);
        if (!sections.has(sectionId)) return notFound;
        const input = isObj(body.article) ? body.article : {};
        const a = putArticle({
          id: nextArticleId++,
          title: String(input.title),
          body: typeof input.body === 'string' ? input.body : '',
          locale: String(input.locale),
          section_id: sectionId,
          label_names: Array.isArray(input.label_names) ? input.label_names.map(String) : [],
          draft: input.draft === true,
          html_url: `https://help.example.com/hc/${String(input.locale)}/articles/${nextArticleId - 1}`,
        });
        return { status: 201, body: { article: articleJson(a) } };
      }
      case 'hc_translation_update': {
        const a = articles.get(Number(params[0]));
        if (!a || a.locale !== params[1]) return notFound;
        const t = isObj(body.translation) ? body.translation : {};
        if (typeof t.title === 'string') a.title = t.title;
        if (typeof t.body === 'string') a.body = t.body;
        a.updated_at = now();
        return {
          status: 200,
          body: {
            translation: {
              id: a.id * 10,
              source_id: a.id,
              locale: a.locale,
              title: a.title,
              body: a.body,
              draft: a.draft,
            },
          },
        };
      }
      case 'hc_article_update': {
        const a = articles.get(Number(params[0]));
        if (!a) return notFound;
        const input = isObj(body.article) ? body.article : {};
        if (Array.isArray(input.label_names)) a.label_names = input.label_names.map(String);
        a.updated_at = now();
        return { status: 200, body: { article: articleJson(a) } };
      }
      case 'webhook_list': {
        const name = (query.get('filter[name_contains]') ?? '').toLowerCase();
        const found = [...webhooks.values()].filter((w) => w.name.toLowerCase().includes(name));
        return { status: 200, body: { webhooks: found.map(webhookJson), meta: { has_more: false } } };
      }
      case 'webhook_create': {
        const input = isObj(body.webhook) ? body.webhook : {};
        const hook: DoubleWebhook = {
          id: `01${crypto.randomBytes(12).toString('hex').toUpperCase()}`,
          name: String(input.name ?? ''),
          endpoint: String(input.endpoint ?? ''),
          status: String(input.status ?? 'active'),
          subscriptions: Array.isArray(input.subscriptions) ? input.subscriptions.map(String) : [],
          authentication: input.authentication,
          signingSecret: crypto.randomBytes(24).toString('base64url'),
        };
        webhooks.set(hook.id, hook);
        return { status: 201, body: { webhook: webhookJson(hook) } };
      }
      case 'webhook_update': {
        const hook = webhooks.get(params[0] ?? '');
        if (!hook) return notFound;
        const input = isObj(body.webhook) ? body.webhook : {};
        if (typeof input.endpoint === 'string') hook.endpoint = input.endpoint;
        if (input.authentication !== undefined) hook.authentication = input.authentication;
        return { status: 204 };
      }
      case 'webhook_signing_secret': {
        const hook = webhooks.get(params[0] ?? '');
        if (!hook) return notFound;
        return { status: 200, body: { signing_secret: { algorithm: 'SHA256', secret: hook.signingSecret } } };
      }
      case 'trigger_search': {
        const q = (query.get('query') ?? '').toLowerCase();
        const found = [...triggers.values()].filter((t) => t.title.toLowerCase().includes(q));
        return {
          status: 200,
          body: { triggers: found.map(triggerJson), count: found.length, next_page: null },
        };
      }
      case 'trigger_create': {
        const input = isObj(body.trigger) ? body.trigger : {};
        const trigger: DoubleTrigger = {
          id: nextTriggerId++,
          title: String(input.title ?? ''),
          active: input.active !== false,
          conditions: input.conditions,
          actions: Array.isArray(input.actions)
            ? input.actions.filter(isObj).map((a) => ({ field: String(a.field), value: a.value }))
            : [],
        };
        triggers.set(trigger.id, trigger);
        return { status: 201, body: { trigger: triggerJson(trigger) } };
      }
      case 'trigger_update': {
        const trigger = triggers.get(Number(params[0]));
        if (!trigger) return notFound;
        const input = isObj(body.trigger) ? body.trigger : {};
        if (typeof input.title === 'string') trigger.title = input.title;
        if (typeof input.active === 'boolean') trigger.active = input.active;
        if (input.conditions !== undefined) trigger.conditions = input.conditions;
        if (Array.isArray(input.actions))
          trigger.actions = input.actions
            .filter(isObj)
            .map((a) => ({ field: String(a.field), value: a.value }));
        return { status: 200, body: { trigger: triggerJson(trigger) } };
      }
    }
  }

  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const send = (res: http.ServerResponse, reply: Reply) => {
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      ...reply.headers,
    });
    res.end(payload);
  };

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/\.json$/, '');
    const route = ROUTES.map((r) => ({ r, m: r.method === method ? r.pattern.exec(path) : null })).find(
      (x) => x.m,
    );
    const kind: DoubleRequestKind = route?.r.kind ?? 'unknown';
    const keyHeader = req.headers['idempotency-key'];
    const idempotencyKey = typeof keyHeader === 'string' ? keyHeader : undefined;
    const record: RecordedRequest = {
      method,
      path,
      kind,
      at: Date.now(),
      status: 0,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
    requests.push(record);
    const raw = await readBody(req);

    const delay = typeof latency === 'function' ? latency(kind) : (latency ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));

    let dropAnswer = false;
    const reply = (r: Reply) => {
      if (dropAnswer) {
        record.status = 'network';
        req.socket.destroy();
        return;
      }
      record.status = r.status;
      send(res, r);
    };

    const parsedBody = (() => {
      try {
        return raw.trim() ? (JSON.parse(raw) as unknown) : undefined;
      } catch {
        return undefined;
      }
    })();
    const errors = HELP_CENTER.test(path)
      ? helpCenterErrors(kind, url.searchParams, parsedBody)
      : NOT_IN_SPEC.test(path)
        ? []
        : isWebhooksPath(path)
          ? validateWebhooksRequest(method, path, raw)
          : validateZendeskRequest(method, `${url.pathname}${url.search}`, raw).filter(
              // The spec marks start_time required on the cursor export, but pages after the first send
              // only `cursor` (Zendesk's "Using the Incremental Exports API").
              (e) =>
                !(kind === 'tickets_export' && url.searchParams.has('cursor') && e.includes('start_time')),
            );
    if (errors.length > 0) specViolations.push({ method, path, errors });

    const faultIndex = faults.findIndex((f) => f.kind === undefined || f.kind === kind);
    if (faultIndex >= 0) {
      const [fault] = faults.splice(faultIndex, 1);
      if (fault!.status === 'network' && fault!.afterApply) dropAnswer = true;
      else if (fault!.status === 'network') {
        record.status = 'network';
        req.socket.destroy();
        return;
      } else
        return reply({
          status: fault!.status,
          body: fault!.body ?? {
            error: `Injected${fault!.status}`,
            description: 'Fault injected by the Zendesk double',
          },
          ...(fault!.headers ? { headers: fault!.headers } : {}),
        });
    }

    const auth = req.headers.authorization;
    if (!auth || (options.authorization !== undefined && auth !== options.authorization)) {
      return reply({ status: 401, body: { error: "Couldn't authenticate you" } });
    }
    if (errors.length > 0) {
      return reply({
        status: 400,
        body: {
          error: 'InvalidRequest',
          description: 'Request does not match the Zendesk API spec',
          details: errors,
        },
      });
    }
    if (!route?.m)
      return reply({ status: 404, body: { error: 'InvalidEndpoint', description: 'Not found' } });

    const body = raw.trim() === '' ? {} : (JSON.parse(raw) as Obj);
    const isCreate = kind === 'voice_ticket_create' || kind === 'ticket_create';
    if (isCreate && idempotencyKey) {
      const bodyHash = crypto.createHash('sha256').update(`${path}\n${raw}`).digest('hex');
      const seen = idempotent.get(idempotencyKey);
      if (seen && seen.bodyHash !== bodyHash) {
        return reply({
          status: 400,
          body: {
            error: 'IdempotentRequestError',
            description: 'Idempotency key reused with a different request',
          },
        });
      }
      if (seen)
        return reply({ ...seen.reply, headers: { ...seen.reply.headers, 'x-idempotency-lookup': 'hit' } });
      const first = handle(route.r.kind, route.m.slice(1), url.searchParams, body);
      if (first.status < 300) idempotent.set(idempotencyKey, { bodyHash, reply: first });
      return reply({ ...first, headers: { ...first.headers, 'x-idempotency-lookup': 'miss' } });
    }
    return reply(handle(route.r.kind, route.m.slice(1), url.searchParams, body));
  }

  const server = http.createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        send(res, { status: 500, body: { error: 'DoubleFailure', description: String(err) } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  selfUrl = `http://127.0.0.1:${port}`;

  return {
    url: `http://127.0.0.1:${port}`,
    tickets,
    users,
    screenPops,
    requests,
    specViolations,
    failNext(n, status, faultOptions = {}) {
      for (let i = 0; i < n; i++) faults.push({ status, ...faultOptions });
    },
    setLatency(value) {
      latency = value;
    },
    addUser,
    articles,
    putArticle,
    sections,
    groupMemberships,
    get exportPageSize() {
      return exportSettings.pageSize;
    },
    set exportPageSize(n: number) {
      exportSettings.pageSize = n;
    },
    putExportTicket(t) {
      const at = t.updatedAt ?? new Date(Date.now() - 3600_000).toISOString();
      const id = t.id ?? nextTicketId++;
      if (id >= nextTicketId) nextTicketId = id + 1;
      const ticket: DoubleTicket = {
        id,
        subject: t.subject,
        status: t.status ?? 'solved',
        requester_id: t.requesterId,
        tags: [],
        comments: t.comments.map((c) => ({
          public: c.public ?? true,
          author_id: c.authorId,
          body: c.body,
          created_at: t.createdAt ?? at,
          ...(c.transcript !== undefined
            ? { voice_comment: { transcription_text: c.transcript, call_duration: c.callDuration ?? 60 } }
            : {}),
        })),
        created_at: t.createdAt ?? at,
        updated_at: at,
        ...(t.solvedAt ? { solved_at: t.solvedAt } : {}),
        ...(t.reopens !== undefined ? { reopens: t.reopens } : {}),
        ...(t.via ? { via_channel: t.via } : {}),
      };
      tickets.set(id, ticket);
      return ticket;
    },
    webhooks,
    triggers,
    addComment(ticketId, c) {
      const ticket = tickets.get(ticketId);
      if (!ticket) throw new Error(`no ticket ${ticketId}`);
      ticket.comments.push({
        public: c.public,
        author_id: c.authorId,
        created_at: c.createdAt ?? now(),
        ...(c.body !== undefined ? { body: c.body } : {}),
      });
    },
    updateTicket(ticketId, change) {
      const ticket = liveTicket(ticketId);
      if (!ticket) throw new Error(`no ticket ${ticketId}`);
      const actor = users.get(change.authorId);
      if (!actor) throw new Error(`no user ${change.authorId}`);
      const previousStatus = ticket.status;
      const at = now();
      if (change.comment)
        ticket.comments.push({
          body: change.comment.body,
          public: change.comment.public,
          author_id: actor.id,
          created_at: at,
        });
      if (change.status) ticket.status = change.status;
      ticket.updated_at = at;
      fireTriggers({ ticket, previousStatus, publicComment: change.comment?.public === true, actor });
      return ticket;
    },
    webhookDeliveries,
    snapshot: () =>
      structuredClone({
        tickets: [...tickets.values()],
        users: [...users.values()],
        articles: [...articles.values()],
        webhooks: [...webhooks.values()],
        triggers: [...triggers.values()],
        deleted: [...deleted],
        next: { ticket: nextTicketId, user: nextUserId, trigger: nextTriggerId },
      }),
    async settled() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    deleteTicket(ticketId) {
      deleted.add(ticketId);
    },
    mergeTicket(sourceId, targetId) {
      const source = tickets.get(sourceId);
      if (!source || !tickets.has(targetId)) throw new Error('merge of unknown tickets');
      source.status = 'closed';
      source.tags = [...new Set([...source.tags, 'closed_by_merge'])];
      source.comments.push({
        public: false,
        author_id: API_USER.id,
        body: `This request was closed and merged into request #${targetId}.`,
        created_at: now(),
      });
    },
    reset() {
      webhooks.clear();
      triggers.clear();
      deleted.clear();
      tickets.clear();
      users.clear();
      users.set(API_USER.id, { ...API_USER });
      screenPops.length = 0;
      requests.length = 0;
      specViolations.length = 0;
      faults.length = 0;
      idempotent.clear();
      webhookDeliveries.length = 0;
      nextTicketId = options.firstTicketId ?? 1;
      nextUserId = 100;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
