import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AiProvider } from '../ai/types';
import type { HelpCenterRepo } from '../helpcenter/repo';
import type { Db } from '../store/db';
import { buildIndex, type SuggestionIndex } from './index';

export interface SuggestionView {
  id: string;
  reply: string;
  articles: Array<{ id: number; title: string; url?: string; score: number }>;
  confidence: number;
  provider: AiProvider['name'];
}

export type SuggestionAction = 'inserted' | 'copied' | 'opened_article' | 'thumbs_up' | 'thumbs_down';

/**
 * Suggestions for one tenant's conversations: an index per tenant built from its stored Help Center
 * articles (rebuilt when the article set's version moves), the provider's reply, and a record of what
 * was suggested and what the agent did with it.
 */
export class Suggestions {
  private readonly indexes = new Map<
    string,
    { version: string; index: Promise<SuggestionIndex>; checkedAt: number }
  >();

  constructor(
    private readonly db: Db,
    private readonly helpCenter: HelpCenterRepo,
    readonly provider: AiProvider,
    private readonly logger: Logger,
    /** How often the article set's version is re-read (a cheap count/max query). */
    private readonly recheckMs = 30_000,
  ) {}

  async index(tenantId: string): Promise<SuggestionIndex> {
    const hit = this.indexes.get(tenantId);
    if (hit && Date.now() - hit.checkedAt < this.recheckMs) return hit.index;
    const version = await this.helpCenter.version(tenantId);
    if (hit && hit.version === version) {
      hit.checkedAt = Date.now();
      return hit.index;
    }
    const index = this.helpCenter.published(tenantId).then((articles) =>
      buildIndex(
        articles.map((a) => ({
          id: a.articleId,
          title: a.title,
          body_html: a.bodyHtml,
          html_url: a.htmlUrl,
          locale: a.locale,
        })),
      ),
    );
    this.indexes.set(tenantId, { version, index, checkedAt: Date.now() });
    index.catch(() => this.indexes.delete(tenantId));
    return index;
  }

  /** Forget a tenant's index (an article was just published): the next call rebuilds it. */
  invalidate(tenantId: string): void {
    this.indexes.delete(tenantId);
  }

  /**
   * Retrieves the best passages and streams the reply; `onToken` sees tokens as Bedrock sends them
   * (local answers at once). What is stored: ids, articles and confidence, not the reply.
   */
  async suggest(
    tenantId: string,
    input: {
      conversation: string;
      locale: string;
      ticketId?: number;
      initialContactId?: string;
      userId?: number;
    },
    onToken?: (text: string) => void,
  ): Promise<SuggestionView> {
    const index = await this.index(tenantId);
    const recent = input.conversation.length > 2000 ? input.conversation.slice(-2000) : input.conversation;
    const passages = index.search(recent, { locale: input.locale, k: 3, perArticle: 2 });
    let reply = '';
    let confidence = 0;
    let citedIds: number[] = [];
    for await (const chunk of this.provider.reply({ conversation: recent, passages, locale: input.locale })) {
      if (chunk.type === 'token') onToken?.(chunk.text);
      else {
        reply = chunk.text;
        confidence = chunk.confidence;
        citedIds = chunk.citations.map((c) => c.articleId);
      }
    }
    // The articles shown are the ones the reply cites, best first; retrieval order when it cites none.
    const seen = new Set<number>();
    const ordered = [...passages].sort(
      (a, b) => Number(citedIds.includes(b.articleId)) - Number(citedIds.includes(a.articleId)),
    );
    const articles = ordered.flatMap((p) => {
      if (seen.has(p.articleId)) return [];
      seen.add(p.articleId);
      return [
        {
          id: p.articleId,
          title: p.title,
          ...(p.url ? { url: p.url } : {}),
          score: Math.round(p.score * 1000) / 1000,
        },
      ];
    });
    const id = randomUUID();
    await this.db.query(
      `INSERT INTO suggestions (tenant_id, id, ticket_id, initial_contact_id, provider, confidence, article_ids, locale, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        tenantId,
        id,
        input.ticketId ?? null,
        input.initialContactId ?? null,
        this.provider.name,
        confidence,
        articles.map((a) => a.id),
        input.locale,
        input.userId ?? null,
      ],
    );
    this.logger.debug(
      { tenantId, suggestionId: id, articles: articles.length, confidence },
      'suggestion made',
    );
    return { id, reply, articles, confidence, provider: this.provider.name };
  }

  /** Records an agent's action; false when the suggestion is not this tenant's. */
  async recordAction(
    tenantId: string,
    suggestionId: string,
    action: {
      action: SuggestionAction;
      articleId?: number;
      reason?: string;
      userId?: number;
      ticketId?: number;
    },
  ): Promise<{ ticketId: number | null } | null> {
    const rows = await this.db.query<{ ticket_id: string | null }>(
      `INSERT INTO suggestion_actions (tenant_id, suggestion_id, action, article_id, reason, user_id, ticket_id)
       SELECT s.tenant_id, s.id, $3, $4, $5, $6, COALESCE($7, s.ticket_id) FROM suggestions s
        WHERE s.tenant_id = $1 AND s.id = $2
       RETURNING ticket_id::text`,
      [
        tenantId,
        suggestionId,
        action.action,
        action.articleId ?? null,
        action.reason ?? null,
        action.userId ?? null,
        action.ticketId ?? null,
      ],
    );
    if (!rows[0]) return null;
    return { ticketId: rows[0].ticket_id === null ? null : Number(rows[0].ticket_id) };
  }
}
