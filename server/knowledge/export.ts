import type { Logger } from 'pino';
import { cleanMessage } from './clean';
import { ticketSchema, toTicketDoc, type RawTicket } from './tickets';
import type { KnowledgeRepo, StoredTicket } from './repo';
import { RateLimitedError, ZendeskError, type ConversationComment, type ZendeskApi } from '../zendesk/types';

/**
 * Solved tickets from the cursor-based incremental ticket export, page by page: each page's solved
 * tickets get their comments (voice comments carry their transcripts), become what the analysis keeps
 * (cleaned, redacted question and agents' answers) and are stored together with the next cursor, so a
 * crash resumes at the page it was on and a later run starts where this one ended.
 */

const ANSWER_MAX = 1500;

export interface ExportProgress {
  pages: number;
  exported: number;
}

export interface ExportOptions {
  lookbackDays: number;
  now?: () => number;
  /** Stop after this many pages (the job goes on in a later attempt: the cursor is stored). */
  maxPages?: number;
  /** Comment requests in flight at once. */
  concurrency?: number;
  /** Longest wait in all on 429s and the rate budget before giving up this attempt (the job is retried later). */
  maxRetryWaitMs?: number;
  onPage?: (p: ExportProgress) => void | Promise<void>;
  logger: Logger;
}

/** Every public reply by someone other than the requester, cleaned: what agents actually answered. */
export function agentAnswers(t: RawTicket): string {
  const requester = t.requester_id ?? t.submitter_id;
  const parts: string[] = [];
  let length = 0;
  for (const c of t.comments ?? []) {
    if (c.public === false || c.author_id == null || requester == null || c.author_id === requester) continue;
    const raw = c.data?.transcription_text || c.plain_body || c.body || '';
    const text = cleanMessage(raw.slice(0, 3 * ANSWER_MAX));
    if (!text) continue;
    parts.push(text);
    length += text.length;
    if (length >= ANSWER_MAX) break;
  }
  const all = parts.join('\n');
  return all.length > ANSWER_MAX ? all.slice(0, ANSWER_MAX) : all;
}

/** A 429 is waited out (up to maxWaitMs in total); anything else is thrown to the job. */
async function patiently<T>(fn: () => Promise<T>, maxWaitMs: number): Promise<T> {
  let waited = 0;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      // Zendesk's 429, or our own per-tenant budget saying "not yet": a long export paces itself.
      const wait =
        err instanceof ZendeskError && err.status === 429
          ? (err.retryAfterMs ?? 60_000)
          : err instanceof RateLimitedError
            ? Math.max(50, err.retryAfterMs)
            : -1;
      if (wait < 0 || waited + wait > maxWaitMs) throw err;
      waited += wait;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
    }),
  );
  return out;
}

function solvedAt(t: Record<string, unknown>): number {
  const m = t.metric_set as Record<string, unknown> | undefined;
  const at =
    (typeof m?.solved_at === 'string' && m.solved_at) || (typeof t.updated_at === 'string' && t.updated_at);
  const ms = at ? Date.parse(at) : NaN;
  return Number.isFinite(ms) ? ms : Date.now();
}

export async function exportSolvedTickets(
  repo: KnowledgeRepo,
  zd: ZendeskApi,
  tenantId: string,
  runId: string,
  o: ExportOptions,
): Promise<ExportProgress & { complete: boolean }> {
  const now = o.now ?? Date.now;
  const state = await repo.exportState(tenantId);
  let cursor = state.cursor;
  // Zendesk wants start_time at least a minute in the past.
  const startTime = state.startTime ?? Math.floor((now() - o.lookbackDays * 86_400_000) / 1000);
  const progress: ExportProgress = { pages: 0, exported: 0 };
  const maxWait = o.maxRetryWaitMs ?? 600_000;
  for (; progress.pages < (o.maxPages ?? 10_000);) {
    const page = await patiently(
      () => zd.exportTickets(cursor ? { cursor } : { startTime }, { priority: 'deferrable' }),
      maxWait,
    );
    progress.pages++;
    const solved = page.tickets.filter((t) => t.status === 'solved' || t.status === 'closed');
    const docs = await mapLimit(solved, o.concurrency ?? 4, async (t): Promise<StoredTicket | null> => {
      const id = Number(t.id);
      const comments: ConversationComment[] | null = await patiently(
        () => zd.listTicketConversation(id, { priority: 'deferrable' }),
        maxWait,
      );
      if (comments === null) return null; // deleted since the export saw it
      const parsed = ticketSchema.safeParse({ ...t, comments });
      if (!parsed.success) {
        o.logger.warn({ tenantId, ticketId: id }, 'exported ticket skipped: unreadable');
        return null;
      }
      const doc = toTicketDoc(parsed.data);
      if (!doc.question) return null;
      const answer = agentAnswers(parsed.data);
      const via = parsed.data.via?.channel;
      return {
        ...doc,
        ...(answer ? { answer } : {}),
        solvedAt: solvedAt(t),
        channel: via === undefined || via === null ? null : String(via),
      };
    });
    const kept = docs.filter((d): d is StoredTicket => d !== null);
    const nextCursor = page.afterCursor ?? cursor;
    await repo.savePage(tenantId, runId, kept, { cursor: nextCursor, startTime });
    cursor = nextCursor;
    progress.exported += kept.length;
    await o.onPage?.(progress);
    if (page.endOfStream) return { ...progress, complete: true };
  }
  return { ...progress, complete: false };
}
