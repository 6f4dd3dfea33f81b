import type { AiProvider, Citation, Passage } from '../ai/types';
import { fold, guessLanguage, langOf, normalise, stem, words } from '../ai/text';
import { STOPWORDS } from '../ai/stopwords';
import { chunkArticle } from './chunk';
import { SpellIndex } from './spell';

/**
 * The suggestions index of one tenant, in memory: Help Center articles cut into passages and
 * searched with BM25F (title, section heading and body as fields, the title weighted most), one
 * sub-index per language so that each has its own term statistics and stemmer, plus typo tolerance
 * for words the index has never seen.
 */

/** The fields of a Help Center API article that the index reads. */
export interface ArticleInput {
  id: number;
  title: string;
  body_html: string;
  html_url?: string | null;
  locale?: string | null;
}

export interface SearchOptions {
  /** The customer's locale: its articles come first when the index has any. */
  locale?: string;
  /** How many articles. Default 5. */
  k?: number;
  /** Passages per article, at most. Default 1. */
  perArticle?: number;
  /**
   * 0..1: how much an article that repeats one already chosen is pushed down (maximal marginal
   * relevance). 0 ranks by score alone. Default 0.25: three copies of one answer help no agent.
   */
  diversity?: number;
}

interface Chunk {
  articleId: number;
  title: string;
  url?: string;
  locale?: string;
  text: string;
}

const K1 = 1.2;
const DEFAULT_DIVERSITY = 0.25;
const FIELDS = [
  { weight: 3, b: 0.3 }, // title
  { weight: 2, b: 0.3 }, // section heading
  { weight: 1, b: 0.75 }, // body
] as const;
/** Query words the index does not know still count in a query's weight, at this share of the top IDF. */
const UNKNOWN_TERM_SHARE = 0.5;
/** A query longer than this (a whole conversation) keeps its most informative terms. */
const MAX_QUERY_TERMS = 48;

interface SparseVector {
  ids: Int32Array;
  w: Float32Array;
}

interface Postings {
  docs: Int32Array;
  /** BM25F pseudo term frequency per doc (field-weighted, length-normalised), saturated at query time. */
  tf: Float32Array;
}

class LangIndex {
  readonly postings = new Map<string, Postings>();
  readonly spell = new SpellIndex();
  /** Positions into the owning index's chunk list. */
  readonly chunkIds: number[] = [];
  private maxIdf = 0;
  private scores = new Float64Array(0);
  private touched = new Int32Array(0);
  /** Per chunk (by position in this sub-index): sparse unit vector, term ids ascending. */
  readonly vectors: SparseVector[] = [];
  private readonly local = new Map<number, number>();

  constructor(readonly lang: string) {}

  build(chunks: Chunk[], headings: (string | undefined)[], ids: number[]): void {
    const stop = STOPWORDS[this.lang] ?? STOPWORDS.en!;
    const fieldTerms: Map<string, number>[][] = [];
    const lens: number[][] = [];
    const totals = [0, 0, 0];
    const surface = new Map<string, number>();
    const analyse = (text: string): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const w of words(text)) {
        if (stop.has(w) || (w.length > 6 && /^\d+$/.test(w))) continue;
        surface.set(w, (surface.get(w) ?? 0) + 1);
        const t = stem(w, this.lang);
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      return counts;
    };
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    for (const id of ids) {
      const c = chunks[id]!;
      const fields = [analyse(c.title), analyse(headings[id] ?? ''), analyse(c.text)];
      fieldTerms.push(fields);
      const l = fields.map(sum);
      lens.push(l);
      l.forEach((n, f) => (totals[f]! += n));
      this.local.set(id, this.chunkIds.length);
      this.chunkIds.push(id);
    }
    const n = ids.length;
    const avg = totals.map((t) => Math.max(t / Math.max(n, 1), 1));
    const lists = new Map<string, { docs: number[]; tf: number[] }>();
    for (let d = 0; d < n; d++) {
      const merged = new Map<string, number>();
      fieldTerms[d]!.forEach((counts, f) => {
        const { weight, b } = FIELDS[f]!;
        const norm = 1 - b + (b * lens[d]![f]!) / avg[f]!;
        for (const [t, tf] of counts) merged.set(t, (merged.get(t) ?? 0) + (weight * tf) / norm);
      });
      for (const [t, tf] of merged) {
        let l = lists.get(t);
        if (!l) lists.set(t, (l = { docs: [], tf: [] }));
        l.docs.push(d);
        l.tf.push(tf);
      }
    }
    const termId = new Map<string, number>();
    for (const [t, l] of lists) {
      termId.set(t, termId.size);
      this.postings.set(t, { docs: Int32Array.from(l.docs), tf: Float32Array.from(l.tf) });
      this.maxIdf = Math.max(this.maxIdf, this.idf(l.docs.length));
    }
    // Each chunk as a unit vector of saturated tf × idf: what diversification compares passages by.
    for (let d = 0; d < n; d++) {
      const entries: Array<[number, number]> = [];
      const counts = new Map<string, number>();
      fieldTerms[d]!.forEach((m) => m.forEach((c, t) => counts.set(t, (counts.get(t) ?? 0) + c)));
      for (const [t, c] of counts)
        entries.push([termId.get(t)!, (this.idf(lists.get(t)!.docs.length) * c) / (K1 + c)]);
      entries.sort((a, b) => a[0] - b[0]);
      let sq = 0;
      for (const e of entries) sq += e[1] * e[1];
      const norm = Math.sqrt(sq) || 1;
      this.vectors.push({
        ids: Int32Array.from(entries, (e) => e[0]),
        w: Float32Array.from(entries, (e) => e[1] / norm),
      });
    }
    for (const [w, count] of surface) this.spell.add(w, count);
    this.scores = new Float64Array(n);
    this.touched = new Int32Array(n);
  }

  /** Cosine similarity of two chunks of this sub-index (by global chunk id). */
  similarity(a: number, b: number): number {
    const x = this.vectors[this.local.get(a)!]!;
    const y = this.vectors[this.local.get(b)!]!;
    let i = 0;
    let j = 0;
    let dot = 0;
    while (i < x.ids.length && j < y.ids.length) {
      const d = x.ids[i]! - y.ids[j]!;
      if (d === 0) dot += x.w[i++]! * y.w[j++]!;
      else if (d < 0) i++;
      else j++;
    }
    return dot;
  }

  idf(df: number): number {
    const n = this.chunkIds.length;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /** Query terms with weights: repeated words count sublinearly, unknown words try a one-edit fix. */
  queryTerms(query: string): { terms: Map<string, number>; unknownWeight: number } {
    const stop = STOPWORDS[this.lang] ?? STOPWORDS.en!;
    const counts = new Map<string, number>();
    let unknownWeight = 0;
    for (const w of words(query)) {
      if (stop.has(w) || (w.length > 6 && /^\d+$/.test(w))) continue;
      const t = stem(w, this.lang);
      if (this.postings.has(t)) {
        counts.set(t, (counts.get(t) ?? 0) + 1);
        continue;
      }
      const fixes = this.spell.suggest(fold(w));
      const fixed = fixes.map((f) => stem(f, this.lang)).filter((s) => this.postings.has(s));
      if (fixed.length) for (const s of fixed) counts.set(s, (counts.get(s) ?? 0) + 0.8 / fixed.length);
      else unknownWeight += this.maxIdf * UNKNOWN_TERM_SHARE;
    }
    const weighted = [...counts].map(([t, c]): [string, number] => [t, c >= 1 ? 1 + Math.log(c) : c]);
    if (weighted.length > MAX_QUERY_TERMS) {
      weighted.sort((a, b) => b[1] * this.idf(this.df(b[0])) - a[1] * this.idf(this.df(a[0])));
      weighted.length = MAX_QUERY_TERMS;
    }
    return { terms: new Map(weighted), unknownWeight };
  }

  private df(t: string): number {
    return this.postings.get(t)?.docs.length ?? 0;
  }

  /**
   * Accumulates the BM25F score of every chunk that shares a term with the query, then calls
   * `visit(chunk id, score 0..1)` for each; scores are normalised by the best score the query could
   * reach, so 1 means every query term matched with a saturated frequency.
   */
  score(query: string, visit: (chunkId: number, score: number) => void): void {
    const { terms, unknownWeight } = this.queryTerms(query);
    const scores = this.scores;
    const touched = this.touched;
    let nTouched = 0;
    let ideal = unknownWeight;
    for (const [t, qw] of terms) {
      const p = this.postings.get(t)!;
      const w = qw * this.idf(p.docs.length);
      ideal += w;
      const { docs, tf } = p;
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i]!;
        const f = tf[i]!;
        if (scores[d] === 0) touched[nTouched++] = d;
        scores[d]! += (w * f) / (K1 + f);
      }
    }
    const ids = this.chunkIds;
    const inv = ideal > 0 ? 1 / ideal : 0;
    for (let i = 0; i < nTouched; i++) {
      const d = touched[i]!;
      visit(ids[d]!, scores[d]! * inv);
      scores[d] = 0;
    }
  }
}

export class SuggestionIndex {
  private readonly chunks: Chunk[] = [];
  private readonly byLang = new Map<string, LangIndex>();
  private readonly articleIds = new Set<number>();
  /** Chunk id → dense article number, and a per-article score buffer reused by every search. */
  private readonly chunkArticle: Int32Array;
  private readonly articleBest: Float64Array;

  constructor(articles: ArticleInput[]) {
    const headings: (string | undefined)[] = [];
    const idsByLang = new Map<string, number[]>();
    for (const a of articles) {
      this.articleIds.add(a.id);
      const lang = langOf(a.locale ?? undefined) ?? guessLanguage(`${a.title} ${a.body_html.slice(0, 2000)}`);
      const pieces = chunkArticle(a.body_html);
      if (pieces.length === 0) pieces.push({ text: '' });
      for (const p of pieces) {
        const id = this.chunks.length;
        this.chunks.push({
          articleId: a.id,
          title: a.title,
          ...(a.html_url ? { url: a.html_url } : {}),
          ...(a.locale ? { locale: a.locale } : {}),
          text: p.heading && !p.text.startsWith(p.heading) ? `${p.heading}\n${p.text}` : p.text,
        });
        headings.push(p.heading);
        const list = idsByLang.get(lang);
        if (list) list.push(id);
        else idsByLang.set(lang, [id]);
      }
    }
    const dense = new Map<number, number>();
    this.chunkArticle = Int32Array.from(this.chunks, (c) => {
      let d = dense.get(c.articleId);
      if (d === undefined) dense.set(c.articleId, (d = dense.size));
      return d;
    });
    this.articleBest = new Float64Array(dense.size);
    for (const [lang, ids] of idsByLang) {
      const li = new LangIndex(lang);
      li.build(this.chunks, headings, ids);
      this.byLang.set(lang, li);
    }
  }

  get size(): { articles: number; passages: number; languages: string[] } {
    return {
      articles: this.articleIds.size,
      passages: this.chunks.length,
      languages: [...this.byLang.keys()],
    };
  }

  /**
   * Maximal marginal relevance over the candidates' best passages: each next article maximises
   * (1 - diversity) · relevance - diversity · (its similarity to the closest article already chosen),
   * with relevance relative to the best candidate. The first article is always the best one.
   */
  private diversify(
    li: LangIndex,
    cand: number[],
    room: number,
    diversity: number,
    hits: number[],
    hitScores: number[],
  ): number[] {
    if (cand.length <= 1) return cand.slice(0, room);
    const bestChunk = new Map<number, number>();
    const bestScore = new Map<number, number>();
    const wanted = new Set(cand);
    for (let i = 0; i < hits.length; i++) {
      const a = this.chunkArticle[hits[i]!]!;
      if (wanted.has(a) && hitScores[i]! > (bestScore.get(a) ?? -1)) {
        bestScore.set(a, hitScores[i]!);
        bestChunk.set(a, hits[i]!);
      }
    }
    const top = bestScore.get(cand[0]!)! || 1;
    const chosen = [cand[0]!];
    const maxSim = new Map(cand.map((a) => [a, 0]));
    while (chosen.length < room && chosen.length < cand.length) {
      const last = bestChunk.get(chosen[chosen.length - 1]!)!;
      let pick = -1;
      let pickValue = -Infinity;
      for (const a of cand) {
        if (chosen.includes(a)) continue;
        const sim = Math.max(maxSim.get(a)!, li.similarity(bestChunk.get(a)!, last));
        maxSim.set(a, sim);
        const value = (1 - diversity) * (bestScore.get(a)! / top) - diversity * sim;
        if (value > pickValue) {
          pickValue = value;
          pick = a;
        }
      }
      chosen.push(pick);
    }
    return chosen;
  }

  /**
   * The best passages for a question or conversation, best article first. Articles in the customer's
   * language come first when there are any that match; the others follow (each language scored with
   * its own stemmer and statistics).
   */
  search(query: string, opts: SearchOptions = {}): Passage[] {
    const k = opts.k ?? 5;
    const perArticle = opts.perArticle ?? 1;
    const diversity = opts.diversity ?? DEFAULT_DIVERSITY;
    const wanted = langOf(opts.locale) ?? (this.byLang.size > 1 ? guessLanguage(query) : undefined);
    const order = [...this.byLang.values()].sort(
      (a, b) => Number(b.lang === wanted) - Number(a.lang === wanted),
    );
    const out: Passage[] = [];
    const articleBest = this.articleBest;
    const seen: number[] = [];
    const hits: number[] = [];
    const hitScores: number[] = [];
    for (const li of order) {
      const room = k - new Set(out.map((p) => p.articleId)).size;
      if (room <= 0) break;
      seen.length = 0;
      hits.length = 0;
      hitScores.length = 0;
      li.score(normalise(query), (id, score) => {
        const a = this.chunkArticle[id]!;
        if (articleBest[a] === 0) seen.push(a);
        if (score > articleBest[a]!) articleBest[a] = score;
        hits.push(id);
        hitScores.push(score);
      });
      // The best candidates through a bounded insertion list (no full sort), then diversified.
      const pool = diversity > 0 ? Math.min(room * 8, 40) : room;
      const cand: number[] = [];
      for (const a of seen) {
        const s0 = articleBest[a]!;
        if (cand.length === pool && s0 <= articleBest[cand[pool - 1]!]!) continue;
        let pos = cand.length;
        while (pos > 0 && articleBest[cand[pos - 1]!]! < s0) pos--;
        cand.splice(pos, 0, a);
        if (cand.length > pool) cand.pop();
      }
      const top = diversity > 0 ? this.diversify(li, cand, room, diversity, hits, hitScores) : cand;
      for (const a of seen) articleBest[a] = 0;
      // Each chosen article's best passages (at most perArticle), best first.
      const rank = new Map(top.map((a, i) => [a, i]));
      const picked: Array<[number, number, number]> = []; // [rank, score, chunk id]
      for (let i = 0; i < hits.length; i++) {
        const r = rank.get(this.chunkArticle[hits[i]!]!);
        if (r !== undefined) picked.push([r, hitScores[i]!, hits[i]!]);
      }
      picked.sort((x, y) => x[0] - y[0] || y[1] - x[1] || x[2] - y[2]);
      let prevRank = -1;
      let n = 0;
      for (const [r, score, id] of picked) {
        n = r === prevRank ? n + 1 : 1;
        prevRank = r;
        if (n > perArticle) continue;
        const c = this.chunks[id]!;
        out.push({
          articleId: c.articleId,
          title: c.title,
          ...(c.url ? { url: c.url } : {}),
          text: c.text,
          score: Math.round(score * 1000) / 1000,
          ...(c.locale ? { locale: c.locale } : {}),
        });
      }
    }
    return out;
  }
}

export function buildIndex(articles: ArticleInput[]): SuggestionIndex {
  return new SuggestionIndex(articles);
}

export interface Suggestion {
  reply: string;
  passages: Passage[];
  citations: Citation[];
  confidence: number;
  provider: AiProvider['name'];
}

/** Retrieves the best passages for the conversation and collects the provider's streamed reply. */
export async function suggest(
  provider: AiProvider,
  index: SuggestionIndex,
  conversation: string,
  locale: string,
  opts: { k?: number } = {},
): Promise<Suggestion> {
  // The latest turns say most about what the customer needs now.
  const recent = conversation.length > 2000 ? conversation.slice(-2000) : conversation;
  const passages = index.search(recent, { locale, k: opts.k ?? 3, perArticle: 2 });
  let text = '';
  for await (const chunk of provider.reply({ conversation: recent, passages, locale })) {
    if (chunk.type === 'token') text += chunk.text;
    else
      return {
        reply: chunk.text,
        passages,
        citations: chunk.citations,
        confidence: chunk.confidence,
        provider: chunk.provider,
      };
  }
  return { reply: text, passages, citations: [], confidence: 0, provider: provider.name };
}
