import type { Db } from '../store/db';
import type { HcArticle } from '../zendesk/types';

export interface StoredArticle {
  articleId: number;
  locale: string;
  title: string;
  htmlUrl: string | null;
  sectionId: number | null;
  labels: string[];
  bodyHtml: string;
}

export interface SyncState {
  cursorTime: number;
  fullCheckAt: string | null;
}

/** Help Center articles of each tenant, as last seen through the Help Center API. */
export class HelpCenterRepo {
  constructor(private readonly db: Db) {}

  async state(tenantId: string): Promise<SyncState> {
    const rows = await this.db.query<{ cursor_time: string; full_check_at: Date | string | null }>(
      `SELECT cursor_time::text, full_check_at FROM hc_sync_state WHERE tenant_id = $1`,
      [tenantId],
    );
    const r = rows[0];
    return {
      cursorTime: r ? Number(r.cursor_time) : 0,
      fullCheckAt: r?.full_check_at ? new Date(r.full_check_at).toISOString() : null,
    };
  }

  /** Stores one page and moves the cursor in the same transaction, so a crash resumes where it stopped. */
  async savePage(tenantId: string, articles: HcArticle[], cursorTime: number): Promise<void> {
    const drafts = articles.filter((a) => a.draft);
    const live = articles.filter((a) => !a.draft);
    await this.db.tx(async (q) => {
      // An article turned back into a draft leaves the index; drafts are never stored.
      if (drafts.length) {
        await q.query(
          `DELETE FROM hc_articles h USING jsonb_to_recordset($2::jsonb) AS d(id bigint, locale text)
            WHERE h.tenant_id = $1 AND h.article_id = d.id AND h.locale = d.locale`,
          [tenantId, JSON.stringify(drafts.map((d) => ({ id: d.id, locale: d.locale })))],
        );
      }
      if (live.length) {
        await q.query(
          `INSERT INTO hc_articles (tenant_id, article_id, locale, title, html_url, section_id, label_names, body_html, draft, source_updated_at)
           SELECT $1, a.id, a.locale, a.title, a.html_url, a.section_id, COALESCE(a.label_names, '{}'), COALESCE(a.body, ''), COALESCE(a.draft, false), a.updated_at
             FROM jsonb_to_recordset($2::jsonb) AS a(id bigint, locale text, title text, html_url text, section_id bigint,
                                                   label_names text[], body text, draft boolean, updated_at timestamptz)
           ON CONFLICT (tenant_id, article_id, locale) DO UPDATE SET
             title = EXCLUDED.title, html_url = EXCLUDED.html_url, section_id = EXCLUDED.section_id,
             label_names = EXCLUDED.label_names, body_html = EXCLUDED.body_html, draft = EXCLUDED.draft,
             source_updated_at = EXCLUDED.source_updated_at, synced_at = now()
           WHERE hc_articles.source_updated_at <= EXCLUDED.source_updated_at`,
          [tenantId, JSON.stringify(live)],
        );
      }
      await q.query(
        `INSERT INTO hc_sync_state (tenant_id, cursor_time, last_run_at) VALUES ($1, $2, now())
         ON CONFLICT (tenant_id) DO UPDATE SET cursor_time = GREATEST(hc_sync_state.cursor_time, EXCLUDED.cursor_time), last_run_at = now()`,
        [tenantId, cursorTime],
      );
    });
  }

  /** Removes articles that no longer exist (archived or deleted); returns how many went. */
  async keepOnly(tenantId: string, existing: Array<{ id: number; locale: string }>): Promise<number> {
    const removed = await this.db.tx(async (q) => {
      const gone = await q.query<{ article_id: string }>(
        `DELETE FROM hc_articles h
          WHERE h.tenant_id = $1
            AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset($2::jsonb) AS e(id bigint, locale text)
                             WHERE e.id = h.article_id AND e.locale = h.locale)
          RETURNING article_id::text`,
        [tenantId, JSON.stringify(existing)],
      );
      await q.query(
        `INSERT INTO hc_sync_state (tenant_id, full_check_at) VALUES ($1, now())
         ON CONFLICT (tenant_id) DO UPDATE SET full_check_at = now()`,
        [tenantId],
      );
      return gone.length;
    });
    return removed;
  }

  /** Published articles, for the suggestions index. */
  async published(tenantId: string): Promise<StoredArticle[]> {
    const rows = await this.db.query<{
      article_id: string;
      locale: string;
      title: string;
      html_url: string | null;
      section_id: string | null;
      label_names: string[];
      body_html: string;
    }>(
      `SELECT article_id::text, locale, title, html_url, section_id::text, label_names, body_html
         FROM hc_articles WHERE tenant_id = $1 AND NOT draft ORDER BY article_id, locale`,
      [tenantId],
    );
    return rows.map((r) => ({
      articleId: Number(r.article_id),
      locale: r.locale,
      title: r.title,
      htmlUrl: r.html_url,
      sectionId: r.section_id === null ? null : Number(r.section_id),
      labels: r.label_names ?? [],
      bodyHtml: r.body_html,
    }));
  }

  /** Changes whenever the tenant's article set changes: the in-memory index rebuilds when it moves. */
  async version(tenantId: string): Promise<string> {
    const rows = await this.db.query<{ v: string }>(
      `SELECT count(*)::text || ':' || COALESCE(max(synced_at)::text, '') AS v FROM hc_articles WHERE tenant_id = $1`,
      [tenantId],
    );
    return rows[0]?.v ?? '0:';
  }
}
