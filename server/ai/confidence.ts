import type { Citation, Passage } from './types';

/**
 * How far a reply can be trusted, from retrieval alone (never from the model's own say-so): the
 * best passage's normalised score (how much of the question it covers) and its lead over the next
 * article (an answer that stands out is likelier to be the right one). 0..1, two decimals.
 */
export function retrievalConfidence(passages: Passage[]): number {
  const top = passages[0];
  if (!top || top.score <= 0) return 0;
  const next = passages.find((p) => p.articleId !== top.articleId)?.score ?? 0;
  const coverage = Math.min(1, top.score / 0.6);
  const margin = Math.max(0, (top.score - next) / top.score);
  return Math.round(coverage * (0.7 + 0.3 * margin) * 100) / 100;
}

/** One citation per article, in the order the passages rank them. */
export function citationsOf(passages: Passage[], onlyIds?: Set<number>): Citation[] {
  const seen = new Set<number>();
  const out: Citation[] = [];
  for (const p of passages) {
    if (seen.has(p.articleId) || (onlyIds && !onlyIds.has(p.articleId))) continue;
    seen.add(p.articleId);
    out.push({ articleId: p.articleId, title: p.title, ...(p.url ? { url: p.url } : {}) });
  }
  return out;
}
