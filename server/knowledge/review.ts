import type { Logger } from 'pino';
import type { HelpCenterRepo } from '../helpcenter/repo';
import type { HcArticle, ZendeskApi } from '../zendesk/types';
import type { Db } from '../store/db';
import { ConflictError, NotFoundError, UnavailableError, BadRequestError } from '../errors';
import { sanitizeArticleHtml } from './html-safe';
import type { KnowledgeRepo } from './repo';

/**
 * The review queue: pending → approved (with the reviewer's edits) → published (Help Center article id),
 * or pending → rejected (with a reason). Approving twice, two reviewers at once, or a publish retried
 * after a crash all end with exactly one article: the state moves only from "pending", one process at a
 * time holds a publish lease (no transaction is held while Zendesk answers), and a create that may have
 * happened is found again by the draft's own label in its section before anything is created.
 */

export type DraftState = 'pending' | 'approved' | 'rejected' | 'published';

export interface DraftView {
  id: string;
  gapId: string;
  kind: 'create' | 'update';
  targetArticle: { id: number; title: string } | null;
  locale: string;
  title: string;
  bodyHtml: string;
  sectionId: number | null;
  labels: string[];
  paragraphs: Array<{ html: string; sourceTicketIds: number[] }>;
  sourceTicketIds: number[];
  questions: string[];
  provider: string;
  state: DraftState;
  edited: boolean;
  createdAt: string;
  approvedBy: number | null;
  approvedAt: string | null;
  rejectedBy: number | null;
  rejectedAt: string | null;
  rejectReason: string | null;
  publishedArticleId: number | null;
  publishedUrl: string | null;
  publishedAt: string | null;
  publishError: string | null;
}

export interface DraftEdits {
  title?: string;
  bodyHtml?: string;
  sectionId?: number | null;
  labels?: string[];
}

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : new Date(v as string).toISOString();
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

const COLUMNS = `id, gap_id, kind, target_article_id::text, target_article_title, locale, title, body_html, section_id::text, labels,
  paragraphs, source_ticket_ids::text[], questions, provider, original, state, created_at, approved_by::text, approved_at,
  rejected_by::text, rejected_at, reject_reason, published_article_id::text, published_url, published_at, publish_error`;

function viewOf(r: Row): DraftView {
  const original = json<{ title: string; bodyHtml: string; sectionId: number | null; labels: string[] }>(
    r.original,
  );
  const labels = (r.labels as string[]) ?? [];
  const sectionId = num(r.section_id);
  return {
    id: r.id as string,
    gapId: r.gap_id as string,
    kind: r.kind as DraftView['kind'],
    targetArticle:
      r.target_article_id === null
        ? null
        : { id: Number(r.target_article_id), title: (r.target_article_title as string) ?? '' },
    locale: r.locale as string,
    title: r.title as string,
    bodyHtml: r.body_html as string,
    sectionId,
    labels,
    paragraphs: json(r.paragraphs),
    sourceTicketIds: ((r.source_ticket_ids as string[]) ?? []).map(Number),
    questions: json(r.questions),
    provider: r.provider as string,
    state: r.state as DraftState,
    edited:
      original.title !== r.title ||
      original.bodyHtml !== r.body_html ||
      original.sectionId !== sectionId ||
      original.labels.join('\u0000') !== labels.join('\u0000'),
    createdAt: iso(r.created_at)!,
    approvedBy: num(r.approved_by),
    approvedAt: iso(r.approved_at),
    rejectedBy: num(r.rejected_by),
    rejectedAt: iso(r.rejected_at),
    rejectReason: (r.reject_reason as string | null) ?? null,
    publishedArticleId: num(r.published_article_id),
    publishedUrl: (r.published_url as string | null) ?? null,
    publishedAt: iso(r.published_at),
    publishError: (r.publish_error as string | null) ?? null,
  };
}

/** The label that lets a retried publish find the article an earlier attempt created. */
export const draftLabel = (draftId: string): string => `concierge-${draftId.slice(0, 8)}`;

export interface ReviewDeps {
  db: Db;
  repo: KnowledgeRepo;
  helpCenter: HelpCenterRepo;
  zendesk: (tenantId: string) => Promise<ZendeskApi>;
  /** Called after an article is stored locally, so the suggestions index rebuilds at once. */
  onPublished?: (tenantId: string, articleId: number) => void;
  logger: Logger;
  publishLeaseMs?: number;
}

export class ReviewQueue {
  constructor(private readonly deps: ReviewDeps) {}

  async list(tenantId: string, state?: DraftState, limit = 100): Promise<DraftView[]> {
    const rows = await this.deps.db.query<Row>(
      `SELECT ${COLUMNS} FROM knowledge_drafts WHERE tenant_id = $1 AND ($2::text IS NULL OR state = $2)
        ORDER BY CASE state WHEN 'pending' THEN 0 WHEN 'approved' THEN 1 ELSE 2 END, created_at DESC LIMIT $3`,
      [tenantId, state ?? null, limit],
    );
    return rows.map(viewOf);
  }

  async get(tenantId: string, id: string): Promise<DraftView> {
    const rows = await this.deps.db.query<Row>(
      `SELECT ${COLUMNS} FROM knowledge_drafts WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    if (!rows[0]) throw new NotFoundError('No such draft', 'draft_not_found');
    return viewOf(rows[0]);
  }

  /** The source tickets' customer questions, for the reviewer to read beside the draft. */
  async sources(tenantId: string, draft: DraftView): Promise<Array<{ ticketId: number; question: string }>> {
    const rows = await this.deps.repo.answers(tenantId, draft.sourceTicketIds.slice(0, 50));
    return rows.map((r) => ({ ticketId: r.ticketId, question: r.question }));
  }

  async reject(tenantId: string, id: string, userId: number, reason: string): Promise<DraftView> {
    const rows = await this.deps.db.query<Row>(
      `UPDATE knowledge_drafts SET state = 'rejected', rejected_by = $3, rejected_at = now(), reject_reason = $4, updated_at = now()
        WHERE tenant_id = $1 AND id = $2 AND state = 'pending' RETURNING ${COLUMNS}`,
      [tenantId, id, userId, reason],
    );
    if (rows[0]) return viewOf(rows[0]);
    const current = await this.get(tenantId, id);
    if (current.state === 'rejected') return current; // a second click
    throw new ConflictError(
      `The draft is ${current.state}; only a pending draft can be rejected`,
      'draft_not_pending',
    );
  }

  /**
   * Approves with the reviewer's edits (only while pending: a second approve keeps the first one's
   * edits) and publishes. Returns the draft as it stands afterwards.
   */
  async approve(tenantId: string, id: string, userId: number, edits: DraftEdits): Promise<DraftView> {
    const current = await this.get(tenantId, id);
    if (current.state === 'rejected')
      throw new ConflictError('The draft was rejected; it cannot be approved', 'draft_rejected');
    if (current.state === 'pending') {
      const title = (edits.title ?? current.title).trim();
      const body = sanitizeArticleHtml(edits.bodyHtml ?? current.bodyHtml);
      if (!title) throw new BadRequestError('The title is empty', [{ path: 'title', message: 'required' }]);
      if (!body) throw new BadRequestError('The body is empty', [{ path: 'bodyHtml', message: 'required' }]);
      const sectionId = edits.sectionId !== undefined ? edits.sectionId : current.sectionId;
      if (current.kind === 'create' && sectionId === null)
        throw new BadRequestError('Choose a section for the new article', [
          { path: 'sectionId', message: 'required' },
        ]);
      await this.deps.db.query(
        `UPDATE knowledge_drafts SET state = 'approved', approved_by = $3, approved_at = now(), title = $4, body_html = $5,
                section_id = $6, labels = $7, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND state = 'pending'`,
        [tenantId, id, userId, title, body, sectionId, edits.labels ?? current.labels],
      );
    }
    return this.publish(tenantId, id);
  }

  /** Publishes an approved draft (idempotent: a published one is returned as it is). */
  async publish(tenantId: string, id: string): Promise<DraftView> {
    const leaseMs = this.deps.publishLeaseMs ?? 30_000;
    for (let attempt = 0; ; attempt++) {
      const leased = await this.deps.db.query<Row>(
        `UPDATE knowledge_drafts SET publishing_until = now() + ($3::int * interval '1 millisecond'),
                publish_attempts = publish_attempts + 1
          WHERE tenant_id = $1 AND id = $2 AND state = 'approved' AND (publishing_until IS NULL OR publishing_until < now())
          RETURNING ${COLUMNS}`,
        [tenantId, id, leaseMs],
      );
      if (leased[0]) return this.publishLeased(tenantId, viewOf(leased[0]));
      const current = await this.get(tenantId, id);
      if (current.state !== 'approved') return current; // published meanwhile (or never approved)
      // Someone else is publishing it right now: wait for them rather than create a second article.
      if (attempt >= 40)
        throw new UnavailableError('The draft is being published by another request', 'publish_in_progress');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async publishLeased(tenantId: string, draft: DraftView): Promise<DraftView> {
    const log = this.deps.logger.child({ module: 'knowledge-review', tenantId, draftId: draft.id });
    const release = (error: string | null) =>
      this.deps.db.query(
        `UPDATE knowledge_drafts SET publishing_until = NULL, publish_error = $3 WHERE tenant_id = $1 AND id = $2`,
        [tenantId, draft.id, error],
      );
    let article: HcArticle;
    try {
      const zd = await this.deps.zendesk(tenantId);
      const opts = { priority: 'deferrable' as const };
      const marker = draftLabel(draft.id);
      const labels = [...new Set([...draft.labels, marker])];
      if (draft.kind === 'update' && draft.targetArticle) {
        await zd.updateArticleTranslation(
          draft.targetArticle.id,
          draft.locale,
          { title: draft.title, body: draft.bodyHtml },
          opts,
        );
        const updated = await zd.updateArticleLabels(draft.targetArticle.id, labels, opts);
        article = updated ?? {
          id: draft.targetArticle.id,
          locale: draft.locale,
          title: draft.title,
          body: draft.bodyHtml,
          updated_at: new Date().toISOString(),
        };
        article = { ...article, title: draft.title, body: draft.bodyHtml };
      } else {
        const sectionId = draft.sectionId!;
        // A create whose answer was lost (crash, timeout) left an article with our label: adopt it.
        const existing = (await zd.listSectionArticles(sectionId, opts)).find((a) =>
          a.label_names?.includes(marker),
        );
        if (existing) {
          log.info({ articleId: existing.id }, 'article from an earlier publish attempt adopted');
          article = existing;
        } else {
          const settings = await this.deps.repo.settings(tenantId);
          const permissionGroupId = settings.permissionGroupId ?? (await zd.firstPermissionGroupId(opts));
          if (permissionGroupId === null)
            throw new Error('the Help Center has no permission group for new articles');
          article = await zd.createArticle(
            sectionId,
            {
              title: draft.title,
              body: draft.bodyHtml,
              locale: draft.locale,
              permission_group_id: permissionGroupId,
              user_segment_id: null,
              label_names: labels,
              draft: false,
            },
            opts,
          );
        }
      }
    } catch (err) {
      const message = (err as Error).message;
      await release(message);
      log.warn({ err: message }, 'publish failed; the draft stays approved and can be published again');
      throw new UnavailableError(`Publishing to the Help Center failed: ${message}`, 'publish_failed', {
        cause: err,
      });
    }
    // The article joins the tenant's stored set (and so the suggestions index) without waiting for the next sync.
    await this.deps.helpCenter.savePage(
      tenantId,
      [{ ...article, draft: false, updated_at: article.updated_at || new Date().toISOString() }],
      0,
    );
    const rows = await this.deps.db.query<Row>(
      `UPDATE knowledge_drafts SET state = 'published', published_article_id = $3, published_url = $4, published_at = now(),
              publishing_until = NULL, publish_error = NULL, updated_at = now()
        WHERE tenant_id = $1 AND id = $2 AND state = 'approved' RETURNING ${COLUMNS}`,
      [tenantId, draft.id, article.id, article.html_url ?? null],
    );
    await this.deps.db.query(
      `UPDATE knowledge_gaps SET status = 'covered' WHERE tenant_id = $1 AND id = $2`,
      [tenantId, draft.gapId],
    );
    this.deps.onPublished?.(tenantId, article.id);
    log.info({ articleId: article.id, kind: draft.kind }, 'draft published');
    return rows[0] ? viewOf(rows[0]) : this.get(tenantId, draft.id);
  }
}
