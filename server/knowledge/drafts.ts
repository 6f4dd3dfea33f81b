import { randomUUID } from 'node:crypto';
import type { AiProvider, Draft } from '../ai/types';
import { extractiveDraft } from '../ai/draft';
import type { StoredArticle } from '../helpcenter/repo';
import { htmlToText } from '../ai/html';
import { Vectorizer, dot, row } from './vectors';
import type { KnowledgeRepo, StoredGap } from './repo';

/**
 * A draft per new gap: grounded only in agents' answers from the gap's solved tickets (already cleaned
 * and redacted when stored; redacted again by the Bedrock provider before the model), every paragraph
 * with the tickets it came from. When an existing article is a near duplicate of what the gap asks, the
 * draft proposes updating that article instead of a new one. A gap whose last draft was rejected is not
 * drafted again until enough new tickets arrived to make a different draft.
 */

/** Cosine (local TF-IDF) of the gap's questions+answers with an article above which it is "the same topic". */
export const NEAR_DUPLICATE = 0.3;
/** Answers a draft is built from, at most. */
const MAX_ANSWERS = 40;

export interface DraftDeps {
  repo: KnowledgeRepo;
  ai: AiProvider;
}

export interface NearestArticle {
  article: StoredArticle;
  score: number;
}

/** Articles ranked by similarity to a text, best first (local TF-IDF over the articles and the text). */
export function rankArticles(text: string, articles: StoredArticle[]): NearestArticle[] {
  if (articles.length === 0) return [];
  const v = new Vectorizer({ typos: false, minDf: 1 });
  const texts = articles.map((a) => `${a.title}\n${a.title}\n${htmlToText(a.bodyHtml)}`);
  for (const t of texts) v.add(t);
  v.add(text);
  const m = v.fit();
  const q = row(m, articles.length);
  return articles
    .map((article, i) => ({ article, score: dot(row(m, i), q) }))
    .sort((a, b) => b.score - a.score || a.article.articleId - b.article.articleId);
}

/** Labels from the gap's strongest single-word terms. */
export function labelsOf(gap: Pick<StoredGap, 'centroid'>, n = 3): string[] {
  return Object.entries(gap.centroid)
    .filter(([k]) => !k.includes(' ') && k.length > 2 && /^\p{L}+$/u.test(k))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([k]) => k.toLowerCase());
}

export type DraftSkip = 'no_answers' | 'rejected_unchanged' | 'open_draft' | 'already_drafted';

/** Drafts one gap (idempotent per run); returns the draft id, or why there is none. */
export async function draftGap(
  deps: DraftDeps,
  tenantId: string,
  runId: string,
  gap: StoredGap,
  articles: StoredArticle[],
  locale = 'en-us',
): Promise<{ draftId: string } | { skipped: DraftSkip }> {
  const db = deps.repo.db;
  const existing = await db.query<{ id: string; state: string; run_id: string; source_ticket_ids: string[] }>(
    `SELECT id, state, run_id, source_ticket_ids::text[] FROM knowledge_drafts WHERE tenant_id = $1 AND gap_id = $2
      ORDER BY created_at DESC`,
    [tenantId, gap.id],
  );
  if (existing.some((d) => d.run_id === runId)) return { skipped: 'already_drafted' };
  if (existing.some((d) => d.state === 'pending' || d.state === 'approved')) return { skipped: 'open_draft' };

  const answers = (await deps.repo.answers(tenantId, gap.ticketIds))
    .filter((a): a is { ticketId: number; question: string; answer: string } => !!a.answer)
    .slice(0, MAX_ANSWERS);
  if (answers.length < 2) return { skipped: 'no_answers' };

  const lastRejected = existing.find((d) => d.state === 'rejected');
  if (lastRejected) {
    const before = new Set(lastRejected.source_ticket_ids.map(Number));
    const fresh = answers.filter((a) => !before.has(a.ticketId)).length;
    if (fresh < Math.max(3, Math.ceil(before.size * 0.25))) return { skipped: 'rejected_unchanged' };
  }

  const gapText = [...gap.questions, ...answers.map((a) => a.answer)].join('\n');
  const ranked = rankArticles(gapText, articles);
  const nearest = ranked[0] && ranked[0].score >= NEAR_DUPLICATE ? ranked[0] : undefined;
  const input = {
    questions: gap.questions,
    answers: answers.map((a) => ({ ticketId: a.ticketId, text: a.answer })),
    locale: nearest?.article.locale ?? locale,
  };
  const draft: Draft = deps.ai.draft ? await deps.ai.draft(input) : extractiveDraft(input);
  if (draft.paragraphs.length === 0) return { skipped: 'no_answers' };

  // The section most of the closest articles live in; an update stays where its article is.
  const sectionVotes = new Map<number, number>();
  for (const r of ranked.slice(0, 5))
    if (r.article.sectionId !== null && r.score > 0)
      sectionVotes.set(r.article.sectionId, (sectionVotes.get(r.article.sectionId) ?? 0) + r.score);
  const section =
    nearest?.article.sectionId ?? [...sectionVotes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  const labels = nearest ? [...new Set([...nearest.article.labels, ...labelsOf(gap)])] : labelsOf(gap);
  const title = nearest ? nearest.article.title : draft.title;
  // An update keeps the article and adds what agents answered; the reviewer edits the whole body.
  const body = nearest ? `${nearest.article.bodyHtml}\n${draft.bodyHtml}` : draft.bodyHtml;
  const sources = [...new Set(draft.paragraphs.flatMap((p) => p.sourceTicketIds))].sort((a, b) => a - b);
  const id = randomUUID();
  const inserted = await db.query<{ id: string }>(
    `INSERT INTO knowledge_drafts (tenant_id, id, gap_id, gap_version, run_id, kind, target_article_id, target_article_title,
       locale, title, body_html, section_id, labels, paragraphs, source_ticket_ids, questions, provider, original, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16::jsonb, $17, $18::jsonb, 'pending')
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      tenantId,
      id,
      gap.id,
      gap.version,
      runId,
      nearest ? 'update' : 'create',
      nearest?.article.articleId ?? null,
      nearest?.article.title ?? null,
      input.locale,
      title,
      body,
      section,
      labels,
      JSON.stringify(draft.paragraphs),
      sources,
      JSON.stringify(gap.questions),
      deps.ai.name,
      JSON.stringify({ title, bodyHtml: body, sectionId: section, labels }),
    ],
  );
  return inserted[0] ? { draftId: id } : { skipped: 'open_draft' };
}
