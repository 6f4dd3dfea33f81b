/**
 * The Zendesk calls the service makes, as one interface. `server/zendesk/client.ts` implements it on
 * node-zendesk; domain code depends only on this file.
 */

/** live: requests for a call in progress (create + screen pop); deferrable: post-call updates, lookups. */
export type RequestPriority = 'live' | 'deferrable';

export interface RequestOptions {
  priority: RequestPriority;
  /** Sent as Zendesk's `Idempotency-Key` header on creates, so a retried create returns the first ticket. */
  idempotencyKey?: string;
}

export interface VoiceComment {
  from: string;
  to: string;
  recording_url?: string;
  started_at: string;
  call_duration: number;
  answered_by_id?: number;
  transcription_text?: string;
  location?: string;
}

export interface TicketComment {
  body?: string;
  html_body?: string;
  public: boolean;
}

/** The subset of the Tickets API ticket object we write. */
export interface TicketWrite {
  subject?: string;
  comment?: TicketComment;
  voice_comment?: VoiceComment;
  requester_id?: number;
  assignee_id?: number;
  external_id?: string;
  tags?: string[];
  additional_tags?: string[];
  status?: 'new' | 'open' | 'pending' | 'hold' | 'solved';
  via_id?: 44 | 45 | 46;
}

export interface CreatedTicket {
  ticketId: number;
  requesterId?: number;
}

export type ZendeskRequestKind =
  | 'voice_ticket_create'
  | 'ticket_create'
  | 'ticket_update'
  | 'ticket_lookup'
  | 'hc_articles_incremental'
  | 'hc_articles_list'
  | 'screen_pop'
  | 'user_search'
  | 'user_create'
  | 'user_me'
  | 'user_show'
  | 'ticket_show'
  | 'ticket_comments'
  | 'webhook_list'
  | 'webhook_create'
  | 'webhook_update'
  | 'webhook_signing_secret'
  | 'trigger_search'
  | 'trigger_create'
  | 'trigger_update'
  | 'tickets_export'
  | 'ticket_conversation'
  | 'user_group_memberships'
  | 'hc_sections_list'
  | 'hc_section_articles'
  | 'hc_permission_groups'
  | 'hc_article_create'
  | 'hc_article_update'
  | 'hc_translation_update';

/** A webhook as the Webhooks API returns it (the fields we use). */
export interface ZendeskWebhook {
  id: string;
  name: string;
  endpoint: string;
  status?: string;
  subscriptions?: string[];
}

export interface BearerTokenAuthentication {
  type: 'bearer_token';
  data: { token: string };
  add_position: 'header';
}

/** POST /api/v2/webhooks body (Webhooks API spec, `Webhook`). */
export interface WebhookWrite {
  name: string;
  description?: string;
  endpoint: string;
  http_method: 'POST';
  request_format: 'json';
  status: 'active' | 'inactive';
  /** ["conditional_ticket_events"] for a webhook that triggers call. */
  subscriptions: string[];
  authentication: BearerTokenAuthentication;
}

export interface TriggerCondition {
  field: string;
  operator: string;
  value: string | number;
}

/** POST/PUT /api/v2/triggers body (`TriggerObject`); a webhook call is a `notification_webhook` action. */
export interface TriggerWrite {
  title: string;
  description?: string;
  active: boolean;
  conditions: { all: TriggerCondition[]; any: TriggerCondition[] };
  actions: Array<{ field: string; value: string | number | Array<string | number> }>;
}

export interface ZendeskTrigger {
  id: number;
  title: string;
  active: boolean;
  actions: Array<{ field: string; value: unknown }>;
}

/** One ticket comment (the fields billing reads) and its author's role from the users sideload. */
export interface TicketCommentRead {
  id: number;
  authorId: number;
  public: boolean;
  createdAt: string;
  authorRole: 'end-user' | 'agent' | 'admin' | null;
  /** Plain text of the comment, when Zendesk sent it. */
  body?: string;
}

export interface TicketSnapshot {
  id: number;
  status: string;
  tags: string[];
}

/** A Help Center article as the Help Center API returns it (the fields we use). */
export interface HcArticle {
  id: number;
  locale: string;
  title: string;
  body: string | null;
  html_url?: string;
  section_id?: number;
  label_names?: string[];
  draft?: boolean;
  updated_at: string;
}

/** One page of the cursor-based incremental ticket export (tickets as Zendesk sends them, metric_set attached). */
export interface TicketExportPage {
  tickets: Array<Record<string, unknown>>;
  afterCursor: string | null;
  endOfStream: boolean;
}

/** A ticket comment with its text, as the Ticket Comments API returns it (voice comments carry `data`). */
export interface ConversationComment {
  id: number;
  type: string;
  author_id: number;
  public: boolean;
  body: string | null;
  plain_body: string | null;
  html_body: string | null;
  created_at: string;
  data?: { transcription_text?: string | null; call_duration?: number | string | null } | null;
}

/** POST /api/v2/help_center/sections/{id}/articles body's `article`. */
export interface ArticleWrite {
  title: string;
  body: string;
  locale: string;
  permission_group_id: number;
  /** null: visible to everyone. */
  user_segment_id: number | null;
  label_names?: string[];
  draft?: boolean;
}

export interface ZendeskApi {
  /**
   * One page of GET /api/v2/help_center/incremental/articles?start_time=… (up to 1,000 articles whose
   * metadata changed since then). `next` is the start_time of the following page, null at the end.
   */
  listArticlesChangedSince(
    startTime: number,
    opts: RequestOptions,
  ): Promise<{ articles: HcArticle[]; endTime: number; next: number | null }>;
  /** One page (cursor pagination) of GET /api/v2/help_center/articles: which articles exist now. */
  listArticleIds(
    cursor: string | null,
    opts: RequestOptions,
  ): Promise<{ ids: Array<{ id: number; locale: string }>; nextCursor: string | null }>;
  /** POST /api/v2/channels/voice/tickets (Talk Partner Edition), with optional display_to_agent. */
  createVoiceTicket(
    ticket: TicketWrite & { via_id: 44 | 45 | 46 },
    displayToAgent: number | undefined,
    opts: RequestOptions,
  ): Promise<CreatedTicket>;
  /** POST /api/v2/tickets */
  createTicket(ticket: TicketWrite, opts: RequestOptions): Promise<CreatedTicket>;
  /** PUT /api/v2/tickets/{id} */
  updateTicket(ticketId: number, ticket: TicketWrite, opts: RequestOptions): Promise<void>;
  /**
   * GET /api/v2/tickets?external_id=… — only to recover after a create whose answer was lost (crash,
   * timeout); the contact↔ticket mapping otherwise lives in Postgres.
   */
  findTicketByExternalId(externalId: string, opts: RequestOptions): Promise<number | null>;
  /** GET /api/v2/users/search?query=phone:… — first matching user id, or null. */
  findUserByPhone(phoneE164: string, opts: RequestOptions): Promise<number | null>;
  /** GET /api/v2/users/search?query=email:… — first matching user id, or null. */
  findUserByEmail(email: string, opts: RequestOptions): Promise<number | null>;
  /** POST /api/v2/users — an end user with this phone number. */
  createEndUser(user: { name: string; phone: string }, opts: RequestOptions): Promise<number>;
  /** POST /api/v2/channels/voice/agents/{agent}/tickets/{ticket}/display */
  displayTicket(agentId: number, ticketId: number, opts: RequestOptions): Promise<void>;
  /** GET /api/v2/users/me — the user the credentials act as (Concierge's API user). */
  getCurrentUserId(opts: RequestOptions): Promise<number>;
  /** GET /api/v2/users/{id}: the user's role (end-user, agent, admin); null when there is no such user. */
  getUserRole(userId: number, opts: RequestOptions): Promise<string | null>;
  /** GET /api/v2/tickets/{id}; null when the ticket does not exist (deleted). */
  getTicket(ticketId: number, opts: RequestOptions): Promise<TicketSnapshot | null>;
  /** GET /api/v2/tickets/{id}/comments?include=users, every page; null when the ticket does not exist. */
  listTicketComments(ticketId: number, opts: RequestOptions): Promise<TicketCommentRead[] | null>;
  /** GET /api/v2/webhooks?filter[name_contains]=… (first 100). */
  listWebhooks(nameContains: string, opts: RequestOptions): Promise<ZendeskWebhook[]>;
  /** POST /api/v2/webhooks */
  createWebhook(webhook: WebhookWrite, opts: RequestOptions): Promise<ZendeskWebhook>;
  /** PATCH /api/v2/webhooks/{id} — new bearer token (and endpoint). */
  updateWebhook(
    webhookId: string,
    patch: Pick<WebhookWrite, 'endpoint' | 'authentication'>,
    opts: RequestOptions,
  ): Promise<void>;
  /** GET /api/v2/webhooks/{id}/signing_secret */
  getWebhookSigningSecret(webhookId: string, opts: RequestOptions): Promise<string>;
  /** GET /api/v2/triggers/search?query=… (first 100). */
  searchTriggers(query: string, opts: RequestOptions): Promise<ZendeskTrigger[]>;
  /** POST /api/v2/triggers */
  createTrigger(trigger: TriggerWrite, opts: RequestOptions): Promise<ZendeskTrigger>;
  /** PUT /api/v2/triggers/{id} */
  updateTrigger(triggerId: number, trigger: TriggerWrite, opts: RequestOptions): Promise<void>;
  /** GET /api/v2/incremental/tickets/cursor?start_time=… (first page) or ?cursor=… (the rest), metric_sets sideloaded. */
  exportTickets(
    from: { cursor: string } | { startTime: number },
    opts: RequestOptions,
  ): Promise<TicketExportPage>;
  /** GET /api/v2/tickets/{id}/comments, every page, with text; null when the ticket does not exist. */
  listTicketConversation(ticketId: number, opts: RequestOptions): Promise<ConversationComment[] | null>;
  /** GET /api/v2/users/{id} and /api/v2/users/{id}/group_memberships; null when the user does not exist. */
  getUserAccess(userId: number, opts: RequestOptions): Promise<{ role: string; groupIds: number[] } | null>;
  /** GET /api/v2/help_center/sections (every page). */
  listSections(opts: RequestOptions): Promise<Array<{ id: number; name: string; locale: string }>>;
  /** GET /api/v2/help_center/sections/{id}/articles (every page): finds an article we created earlier by label. */
  listSectionArticles(sectionId: number, opts: RequestOptions): Promise<HcArticle[]>;
  /** GET /api/v2/guide/permission_groups: the first group's id (new articles need one). */
  firstPermissionGroupId(opts: RequestOptions): Promise<number | null>;
  /** POST /api/v2/help_center/sections/{id}/articles */
  createArticle(sectionId: number, article: ArticleWrite, opts: RequestOptions): Promise<HcArticle>;
  /** PUT /api/v2/help_center/articles/{id}/translations/{locale} (title and body live on translations). */
  updateArticleTranslation(
    articleId: number,
    locale: string,
    translation: { title: string; body: string },
    opts: RequestOptions,
  ): Promise<void>;
  /** PUT /api/v2/help_center/articles/{id} — metadata (labels). */
  updateArticleLabels(articleId: number, labels: string[], opts: RequestOptions): Promise<HcArticle | null>;
}

/**
 * Thrown by every ZendeskApi method on failure. `retriable` is false for 4xx that will never succeed
 * (400, 401, 403, 404, 422…); 429 carries retryAfterMs from Retry-After; 5xx and network errors are retriable.
 */
export class ZendeskError extends Error {
  constructor(
    message: string,
    public readonly status: number | undefined,
    public readonly retriable: boolean,
    public readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ZendeskError';
  }
}

/** Thrown before a request is sent when the tenant's budget has no token for it within the wait allowed. */
export class RateLimitedError extends Error {
  constructor(public readonly retryAfterMs: number) {
    super(`Zendesk request budget exhausted; retry in ${retryAfterMs} ms`);
    this.name = 'RateLimitedError';
  }
}

export type ZendeskCredentials =
  { kind: 'api_token'; email: string; token: string } | { kind: 'oauth'; token: string };
