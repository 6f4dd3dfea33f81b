import type { Logger } from 'pino';
import type { ZendeskApi } from '../zendesk/types';
import type { HelpCenterRepo } from './repo';

export interface HelpCenterSyncResult {
  pages: number;
  changed: number;
  removed: number;
  fullCheck: boolean;
}

/**
 * Pulls what changed in a tenant's Help Center since the stored cursor (incremental articles export,
 * resumable page by page) and, once a day, lists every article id to drop archived or deleted ones,
 * which the incremental export does not reliably report.
 */
export async function syncHelpCenter(
  repo: HelpCenterRepo,
  zd: ZendeskApi,
  tenantId: string,
  logger: Logger,
  opts: { fullCheckEveryMs?: number; maxPages?: number; now?: Date } = {},
): Promise<HelpCenterSyncResult> {
  const state = await repo.state(tenantId);
  let start = state.cursorTime;
  let pages = 0;
  let changed = 0;
  for (; pages < (opts.maxPages ?? 100);) {
    const page = await zd.listArticlesChangedSince(start, { priority: 'deferrable' });
    pages++;
    changed += page.articles.length;
    await repo.savePage(tenantId, page.articles, page.endTime);
    if (page.next === null) break;
    start = page.next;
  }
  const now = opts.now ?? new Date();
  const due =
    state.fullCheckAt === null ||
    now.getTime() - Date.parse(state.fullCheckAt) >= (opts.fullCheckEveryMs ?? 24 * 3600_000);
  let removed = 0;
  if (due) {
    const existing: Array<{ id: number; locale: string }> = [];
    let cursor: string | null = null;
    do {
      const page = await zd.listArticleIds(cursor, { priority: 'deferrable' });
      existing.push(...page.ids);
      cursor = page.nextCursor;
    } while (cursor);
    removed = await repo.keepOnly(tenantId, existing);
  }
  logger.info({ tenantId, pages, changed, removed, fullCheck: due }, 'help center synced');
  return { pages, changed, removed, fullCheck: due };
}
