import type { AiProvider, Draft, DraftInput, Passage, ReplyChunk, ReplyInput, Sentiment } from './types';
import { extractiveDraft } from './draft';
import { citationsOf, retrievalConfidence } from './confidence';
import { scoreSentiment } from './sentiment';
import { langOf, sentences, terms } from './text';
import { hashedVector, type IdfModel } from './vectors';

export interface LocalProviderOptions {
  /** Vector length for `embed`. Default 1024 (Titan v2's default too). */
  dimensions?: number;
  /** Corpus IDF weights for `embed` (see fitIdf); without it every term weighs the same. */
  idf?: IdfModel;
  /** Longest reply, in characters. Default 480. */
  maxReplyChars?: number;
}

/**
 * The provider that needs no network: hashed TF-IDF vectors, lexicon sentiment and an extractive
 * reply made only of sentences from the retrieved articles. Deterministic: same input, same output.
 */
export class LocalProvider implements AiProvider {
  readonly name = 'local' as const;
  private readonly dimensions: number;
  private readonly maxReplyChars: number;

  constructor(private readonly opts: LocalProviderOptions = {}) {
    this.dimensions = opts.dimensions ?? 1024;
    this.maxReplyChars = opts.maxReplyChars ?? 480;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => hashedVector(t, this.dimensions, this.opts.idf));
  }

  async sentiment(text: string, locale?: string): Promise<Sentiment> {
    const { label, score } = scoreSentiment(text, locale);
    return { label, score };
  }

  /** Extractive: agents' own sentences, each with the tickets it came from (see ./draft). */
  async draft(input: DraftInput): Promise<Draft> {
    return extractiveDraft(input);
  }

  async *reply(input: ReplyInput): AsyncIterable<ReplyChunk> {
    const picked = extractiveReply(input, this.maxReplyChars);
    const text = picked.map((s) => s.text).join(' ');
    for (const s of picked) yield { type: 'token', text: s === picked[0] ? s.text : ` ${s.text}` };
    yield {
      type: 'final',
      text,
      citations: citationsOf(input.passages, new Set(picked.map((s) => s.articleId))),
      confidence: picked.length ? retrievalConfidence(input.passages) : 0,
      provider: 'local',
    };
  }
}

interface Candidate {
  text: string;
  articleId: number;
  /** Order within the reply's source: passage rank, then position in the passage. */
  order: number;
  value: number;
}

/**
 * Chooses the sentences that answer the conversation: from the best two articles' passages, each
 * sentence scores by the query terms it shares (weighted by how rare they are among the candidates,
 * over the square root of its length, so it is on topic and to the point), times its passage's
 * retrieval score and a preference for the best article. The chosen ones keep the article's order,
 * so numbered steps still read in sequence. Nothing is rewritten.
 */
export function extractiveReply(
  input: ReplyInput,
  maxChars: number,
): Array<{ text: string; articleId: number }> {
  const lang = langOf(input.passages[0]?.locale) ?? langOf(input.locale);
  const opts = lang ? { lang } : {};
  const query = new Set(terms(input.conversation, opts));
  if (query.size === 0 || input.passages.length === 0) return [];
  const articles = [...new Set(input.passages.map((p) => p.articleId))].slice(0, 2);
  const passages: Passage[] = input.passages.filter((p) => articles.includes(p.articleId));

  const cands: Array<Candidate & { terms: Set<string> }> = [];
  passages.forEach((p, rank) => {
    sentences(p.text).forEach((s, pos) => {
      const words = s.split(/\s+/).length;
      if (words < 4 || words > 70 || s === p.title) return;
      cands.push({
        text: s,
        articleId: p.articleId,
        order: rank * 1000 + pos,
        value: 0,
        terms: new Set(terms(s, opts)),
      });
    });
  });
  const df = new Map<string, number>();
  for (const c of cands) for (const t of c.terms) if (query.has(t)) df.set(t, (df.get(t) ?? 0) + 1);
  const passageScore = new Map(passages.map((p) => [p.articleId, p.score]));
  for (const c of cands) {
    let overlap = 0;
    for (const t of c.terms) if (query.has(t)) overlap += Math.log(1 + cands.length / df.get(t)!);
    const articleBias = c.articleId === articles[0] ? 1 : 0.6;
    c.value =
      (overlap / Math.sqrt(Math.max(c.terms.size, 4))) * (0.5 + passageScore.get(c.articleId)!) * articleBias;
  }
  const best = cands.filter((c) => c.value > 0).sort((a, b) => b.value - a.value || a.order - b.order);
  const chosen: typeof best = [];
  let length = 0;
  for (const c of best) {
    if (chosen.length >= 3) break;
    if (length > 0 && length + c.text.length + 1 > maxChars) continue;
    // A sentence after the first must earn its place.
    if (chosen.length > 0 && c.value < best[0]!.value * 0.35) break;
    chosen.push(c);
    length += c.text.length + 1;
  }
  if (chosen.length === 1 && chosen[0]!.text.length > maxChars)
    chosen[0]!.text = `${chosen[0]!.text.slice(0, maxChars - 1)}…`;
  return chosen.sort((a, b) => a.order - b.order).map((c) => ({ text: c.text, articleId: c.articleId }));
}
