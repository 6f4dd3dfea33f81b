import { langOf, stem, words } from '../ai/text';
import { STOPWORDS } from '../ai/stopwords';
import { F32, PairTable, TermCounts, U32, sortByIds } from './buffers';

/**
 * Local sparse vectors for short customer questions: words in the text's language (stopwords out,
 * typos folded onto a frequent word one edit away, Snowball stems) as unigrams plus adjacent-pair
 * bigrams, weighted by sublinear TF × IDF and L2-normalised. The vocabulary is exact (no hashing), so
 * labels can name their terms; features seen in a single ticket are dropped, they cannot group anything.
 */

/** Compressed sparse rows: row i is indices/values[offsets[i] .. offsets[i + 1]), unit length or empty. */
export interface SparseMatrix {
  rows: number;
  /** Number of columns (features). */
  dim: number;
  offsets: Uint32Array;
  indices: Uint32Array;
  values: Float32Array;
}

export interface SparseVector {
  indices: Uint32Array;
  values: Float32Array;
}

export function row(m: SparseMatrix, i: number): SparseVector {
  return {
    indices: m.indices.subarray(m.offsets[i], m.offsets[i + 1]),
    values: m.values.subarray(m.offsets[i], m.offsets[i + 1]),
  };
}

/** Dot product of two vectors with ascending indices. */
export function dot(a: SparseVector, b: SparseVector): number {
  let i = 0;
  let j = 0;
  let s = 0;
  while (i < a.indices.length && j < b.indices.length) {
    const x = a.indices[i]!;
    const y = b.indices[j]!;
    if (x === y) s += a.values[i++]! * b.values[j++]!;
    else if (x < y) i++;
    else j++;
  }
  return s;
}

/** Packs rows given as (sorted-or-not) index/value lists into a unit-length CSR matrix. */
export function toMatrix(rowsIn: Array<Map<number, number>>, dim: number): SparseMatrix {
  const offsets = new Uint32Array(rowsIn.length + 1);
  let nnz = 0;
  for (let i = 0; i < rowsIn.length; i++) {
    nnz += rowsIn[i]!.size;
    offsets[i + 1] = nnz;
  }
  const indices = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  rowsIn.forEach((r, i) => {
    const entries = [...r.entries()].sort((a, b) => a[0] - b[0]);
    let norm = 0;
    for (const [, v] of entries) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    let k = offsets[i]!;
    for (const [f, v] of entries) {
      indices[k] = f;
      values[k++] = v / norm;
    }
  });
  return { rows: rowsIn.length, dim, offsets, indices, values };
}

// Placeholders written by redact(): their words ("number", "email") are not the customer's.
const PLACEHOLDER = /\[(?:email|url|iban|ip|card|phone|number)\]/g;
const DIGITS = /^\p{N}+$/u;
const LETTERS = /^\p{L}+$/u;

const LANGS = Object.keys(STOPWORDS);
/** Pool entry between two sentences of one text (never a word id). */
const SENTENCE_BREAK = 0xffffffff;
/** word → bit mask of the languages whose stopword list has it. */
const STOP_MASK = new Map<string, number>();
LANGS.forEach((lang, i) => {
  for (const w of STOPWORDS[lang]!) STOP_MASK.set(w, (STOP_MASK.get(w) ?? 0) | (1 << i));
});
const SCRIPT_LANG: Array<[RegExp, string]> = [
  [/\p{Script=Cyrillic}/u, 'ru'],
  [/\p{Script=Arabic}/u, 'ar'],
  [/\p{Script=Armenian}/u, 'hy'],
  [/\p{Script=Tamil}/u, 'ta'],
  [
    /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Greek}\p{Script=Hebrew}\p{Script=Devanagari}]/u,
    'xx',
  ],
];

/**
 * The language of a token list: most stopword hits (English on a tie, as in server/ai), else the
 * script (Cyrillic → Russian stems, CJK → none), else English.
 */
export function languageOf(tokens: readonly string[]): string {
  const hits = new Array<number>(LANGS.length).fill(0);
  let any = false;
  for (let k = 0; k < tokens.length && k < 200; k++) {
    const mask = STOP_MASK.get(tokens[k]!);
    if (mask === undefined) continue;
    any = true;
    for (let i = 0; i < LANGS.length; i++) if (mask & (1 << i)) hits[i]!++;
  }
  if (any) {
    let best = LANGS.indexOf('en');
    let bestHits = (hits[best] ?? 0) + 0.5;
    hits.forEach((h, i) => {
      if (h > bestHits) {
        best = i;
        bestHits = h;
      }
    });
    return LANGS[best]!;
  }
  const sample = tokens.slice(0, 5).join('');
  for (const [re, lang] of SCRIPT_LANG) if (re.test(sample)) return lang;
  return 'en';
}

/** Where a sentence or line ends: no bigram is formed across it ("… my account.\nYou can reach me" → no "account reach"). */
const BREAK = /[.!?;]+(?=\s|$)|\n/;

/**
 * Word tokens of a text with their language: stopwords, digits and placeholders removed. `starts`
 * holds the positions in `words` where a new sentence or line begins (0 excluded).
 */
export function contentWords(
  text: string,
  lang?: string,
  max = Infinity,
): { lang: string; words: string[]; starts: number[] } {
  const clean = text.includes('[') ? text.replace(PLACEHOLDER, ' ') : text;
  const segments = clean.split(BREAK).map((seg) => words(seg));
  const l = langOf(lang) ?? languageOf(segments.length === 1 ? segments[0]! : segments.flat());
  const stop = STOPWORDS[l] ?? STOPWORDS.en!;
  const out: string[] = [];
  const starts: number[] = [];
  for (const seg of segments) {
    if (out.length >= max) break;
    if (out.length > 0 && starts[starts.length - 1] !== out.length) starts.push(out.length);
    for (const w of seg) {
      if (stop.has(w) || DIGITS.test(w)) continue;
      if (w.length === 1 && w.charCodeAt(0) < 0x2e80) continue; // single Latin/Cyrillic/… letters
      out.push(w);
      if (out.length >= max) break;
    }
  }
  if (starts[starts.length - 1] === out.length) starts.pop();
  return { lang: l, words: out, starts };
}

export interface VectorizerOptions {
  /** Weight of a bigram relative to a unigram of the same IDF. */
  bigramWeight?: number;
  /** Fold rare words onto a frequent word one edit away ("cancle" → "cancel"). */
  typos?: boolean;
  /** A feature must occur in at least this many tickets to count. */
  minDf?: number;
  /**
   * Weight of the second view (the agent's answer) against the question's, both unit length before
   * they are added: cosine between tickets = (q·q' + w² a·a') / (1 + w²) when both have answers.
   * Off by default: generic first replies ("thanks, we are on it") glue unrelated tickets together;
   * answers are used for coverage instead (gaps.ts, answerCoverage).
   */
  secondViewWeight?: number;
  /** Content words read from the second view, and features kept from it (the strongest). */
  secondViewWords?: number;
  secondViewFeatures?: number;
}

/**
 * Two phases: `add()` every ticket (streaming; keeps only word ids in one flat array), then `fit()`
 * once, which builds the vocabulary and returns the ticket matrix. After fitting, `transform()` turns
 * other texts (articles) into vectors of the question space.
 */
export class Vectorizer {
  private readonly wordIds = new Map<string, number>();
  private readonly wordList: string[] = [];
  private readonly wordDf: number[] = [];
  private readonly wordStamp: number[] = [];
  private stamp = 0;
  private readonly langs: string[] = [];
  private readonly langIds = new Map<string, number>();
  /** Per ticket: [start of question words, start of answer words, end) in `pool`, and languages. */
  private pool = new U32();
  private docBounds = new U32();
  private docLangs = new U32();
  private rowsAdded = 0;
  private fitted = false;
  // fitted state
  private wordToStem = new Int32Array(0);
  private readonly stemKey = new Map<string, number>();
  private readonly stemSurface: string[] = [];
  private readonly stemStrings: string[] = [];
  private readonly stemSurfaceDf: number[] = [];
  /** (stem, next stem or -1, view) → feature id; view 1 stores its stems as -2 - id in the first key. */
  private readonly featureOf = new PairTable();
  private readonly featureA: number[] = [];
  private readonly featureB: number[] = [];
  private readonly featureView: number[] = [];
  private idf = new Float32Array(0);
  private typoOf = new Map<number, number>();
  private readonly opts: Required<VectorizerOptions>;

  constructor(opts: VectorizerOptions = {}) {
    this.opts = {
      bigramWeight: opts.bigramWeight ?? 0.8,
      typos: opts.typos ?? true,
      minDf: opts.minDf ?? 2,
      secondViewWeight: opts.secondViewWeight ?? 0,
      secondViewWords: opts.secondViewWords ?? 30,
      secondViewFeatures: opts.secondViewFeatures ?? 12,
    };
  }

  get size(): number {
    return this.rowsAdded;
  }

  /**
   * Adds one ticket question, and optionally a second view of the ticket (the agent's answer) that
   * counts in similarity but never in labels or article matching; returns the row number.
   */
  add(text: string, second?: string): number {
    if (this.fitted) throw new Error('Vectorizer.add() after fit()');
    this.docBounds.push(this.pool.length);
    const q = contentWords(text);
    this.pushWords(q.words, q.starts);
    this.docBounds.push(this.pool.length);
    const a =
      second && this.opts.secondViewWeight > 0
        ? contentWords(second, undefined, this.opts.secondViewWords)
        : undefined;
    if (a) this.pushWords(a.words, a.starts);
    this.docLangs.push(this.langId(q.lang));
    this.docLangs.push(this.langId(a?.lang ?? q.lang));
    return this.rowsAdded++;
  }

  private langId(lang: string): number {
    let id = this.langIds.get(lang);
    if (id === undefined) {
      id = this.langs.push(lang) - 1;
      this.langIds.set(lang, id);
    }
    return id;
  }

  private pushWords(ws: string[], starts: number[]): void {
    this.stamp++;
    let next = 0;
    for (let i = 0; i < ws.length; i++) {
      if (starts[next] === i) {
        this.pool.push(SENTENCE_BREAK);
        next++;
      }
      const w = ws[i]!;
      let wid = this.wordIds.get(w);
      if (wid === undefined) {
        wid = this.wordList.push(w) - 1;
        this.wordIds.set(w, wid);
        this.wordDf.push(0);
        this.wordStamp.push(0);
      }
      // document frequency: a word counts once per text
      if (this.wordStamp[wid] !== this.stamp) {
        this.wordStamp[wid] = this.stamp;
        this.wordDf[wid]!++;
      }
      this.pool.push(wid);
    }
  }

  /** Builds the vocabulary and IDF from everything added; returns the ticket vectors. */
  fit(): SparseMatrix {
    this.fitted = true;
    this.typoOf = this.opts.typos ? this.typoMap() : new Map<number, number>();
    // A word's stem depends on the language of the text it came from; the first language wins, which
    // is right for all but words shared by two languages with different suffix rules (rare, harmless).
    this.wordToStem = new Int32Array(this.wordList.length).fill(-1);
    const n = this.rowsAdded;
    // pass 1: term counts per ticket, flat: feature ids and counts, view 0 then view 1 per row
    const tfIds = new U32();
    const tfCounts = new F32();
    const rowStart = new Uint32Array(n + 1);
    const viewStart = new Uint32Array(n);
    let df = new Uint32Array(4096);
    let n2 = 0;
    const tf = new TermCounts();
    const stems: number[] = [];
    for (let d = 0; d < n; d++) {
      rowStart[d] = tfIds.length;
      for (let view = 0; view < 2; view++) {
        const from = this.docBounds.data[2 * d + view]!;
        const next = 2 * d + view + 1;
        const to = next < this.docBounds.length ? this.docBounds.data[next]! : this.pool.length;
        if (view === 1) {
          viewStart[d] = tfIds.length;
          if (to > from) n2++;
        }
        this.stemsOf(from, to, this.langs[this.docLangs.data[2 * d + view]!]!, stems);
        this.features(stems, true, view as 0 | 1, tf);
        for (let t = 0; t < tf.ids.length; t++) {
          const f = tf.ids[t]!;
          const c = tf.counts[t]!;
          if (f >= df.length) {
            const next = new Uint32Array(Math.max(df.length * 2, f + 1));
            next.set(df);
            df = next;
          }
          df[f]!++;
          tfIds.push(f);
          tfCounts.push(c);
        }
      }
    }
    rowStart[n] = tfIds.length;
    this.pool = new U32(); // the word ids are no longer needed
    this.docBounds = new U32();

    this.idf = new Float32Array(this.featureA.length);
    for (let f = 0; f < this.idf.length; f++) {
      const d = df[f] ?? 0;
      const w = d < this.opts.minDf ? 0 : Math.log(((this.featureView[f] ? n2 : n) + 1) / (d + 1)) + 1;
      this.idf[f] = this.featureB[f]! >= 0 ? w * this.opts.bigramWeight : w;
    }

    // pass 2: TF-IDF, each view unit length, the answer view cut to its strongest features
    const offsets = new Uint32Array(n + 1);
    const outIdx = new U32();
    const outVal = new F32();
    const w2 = this.opts.secondViewWeight;
    const maxAnswer = this.opts.secondViewFeatures;
    const ids: number[] = [];
    const ws: number[] = [];
    const order: number[] = [];
    for (let d = 0; d < n; d++) {
      ids.length = 0;
      ws.length = 0;
      let qNorm = 0;
      for (let k = rowStart[d]!; k < viewStart[d]!; k++) {
        const w = (1 + Math.log(tfCounts.data[k]!)) * this.idf[tfIds.data[k]!]!;
        if (w > 0) {
          ids.push(tfIds.data[k]!);
          ws.push(w);
          qNorm += w * w;
        }
      }
      const qCount = ids.length;
      for (let k = viewStart[d]!; k < rowStart[d + 1]!; k++) {
        const w = (1 + Math.log(tfCounts.data[k]!)) * this.idf[tfIds.data[k]!]!;
        if (w > 0) {
          ids.push(tfIds.data[k]!);
          ws.push(w);
        }
      }
      let count = ids.length;
      if (count - qCount > maxAnswer) {
        // keep the answer's strongest features: selection by sorting positions
        order.length = 0;
        for (let k = qCount; k < count; k++) order.push(k);
        order.sort((x, y) => ws[y]! - ws[x]! || ids[x]! - ids[y]!);
        const keptIds = order.slice(0, maxAnswer).map((k) => ids[k]!);
        const keptWs = order.slice(0, maxAnswer).map((k) => ws[k]!);
        for (let k = 0; k < maxAnswer; k++) {
          ids[qCount + k] = keptIds[k]!;
          ws[qCount + k] = keptWs[k]!;
        }
        count = qCount + maxAnswer;
        ids.length = count;
        ws.length = count;
      }
      let aNorm = 0;
      for (let k = qCount; k < count; k++) aNorm += ws[k]! * ws[k]!;
      qNorm = Math.sqrt(qNorm) || 1;
      aNorm = Math.sqrt(aNorm) || 1;
      let norm = 0;
      for (let k = 0; k < count; k++) {
        ws[k] = k < qCount ? ws[k]! / qNorm : (ws[k]! / aNorm) * w2;
        norm += ws[k]! * ws[k]!;
      }
      norm = Math.sqrt(norm) || 1;
      sortByIds(order, ids, count);
      for (const k of order) {
        outIdx.push(ids[k]!);
        outVal.push(ws[k]! / norm);
      }
      offsets[d + 1] = outIdx.length;
    }
    return {
      rows: n,
      dim: this.idf.length,
      offsets,
      indices: outIdx.data.slice(0, outIdx.length),
      values: outVal.data.slice(0, outVal.length),
    };
  }

  /** A vector in the fitted question space for any text (an article, a new question). */
  transform(text: string, lang?: string): SparseVector {
    if (!this.fitted) throw new Error('Vectorizer.transform() before fit()');
    const { lang: l, words: ws, starts } = contentWords(text, lang);
    const stems: number[] = [];
    let next = 0;
    for (let i = 0; i < ws.length; i++) {
      if (starts[next] === i) {
        if (stems.length > 0 && stems[stems.length - 1] !== -1) stems.push(-1);
        next++;
      }
      const w = ws[i]!;
      const known = this.wordIds.get(w);
      const wid = known === undefined ? undefined : (this.typoOf.get(known) ?? known);
      const fromWord = wid === undefined ? -1 : (this.wordToStem[wid] ?? -1);
      // an unseen spelling may still share a stem with the tickets ("refunded" → "refund")
      const s = fromWord >= 0 ? fromWord : this.stemIdFor(w, l);
      if (s >= 0) stems.push(s);
    }
    const tf = new TermCounts();
    this.features(stems, false, 0, tf);
    const weighted = new Map<number, number>();
    for (let t = 0; t < tf.ids.length; t++) {
      const f = tf.ids[t]!;
      const c = tf.counts[t]!;
      const w = this.idf[f] ?? 0;
      if (w > 0) weighted.set(f, (1 + Math.log(c)) * w);
    }
    return row(toMatrix([weighted], this.idf.length), 0);
  }

  /** Human-readable name of a feature: its most frequent surface word(s). */
  featureName(f: number): string {
    const a = this.stemSurface[this.featureA[f]!] ?? '?';
    const b = this.featureB[f]!;
    return b >= 0 ? `${a} ${this.stemSurface[b] ?? '?'}` : a;
  }

  /** The stems behind a feature (one for a unigram, two for a bigram). */
  featureStems(f: number): number[] {
    const b = this.featureB[f]!;
    return b >= 0 ? [this.featureA[f]!, b] : [this.featureA[f]!];
  }

  /** The stem itself (stable across runs, unlike ids): what gap ids are made of. */
  stemString(s: number): string {
    return this.stemStrings[s] ?? '';
  }

  get featureCount(): number {
    return this.featureA.length;
  }

  /** True for features of the second view (agents' answers): never shown, never matched to articles. */
  isSecondView(f: number): boolean {
    return this.featureView[f] === 1;
  }

  isBigram(f: number): boolean {
    return this.featureB[f]! >= 0;
  }

  private stemIdFor(word: string, lang: string): number {
    return this.stemKey.get(stem(word, lang)) ?? -1;
  }

  /** Stem ids of pool[from, to) into `out` (cleared first), learning new stems. */
  private stemsOf(from: number, to: number, lang: string, out: number[]): void {
    out.length = 0;
    for (let k = from; k < to; k++) {
      const raw = this.pool.data[k]!;
      if (raw === SENTENCE_BREAK) {
        out.push(-1);
        continue;
      }
      const wid = this.typoOf.get(raw) ?? raw;
      let sid = this.wordToStem[wid]!;
      if (sid < 0) {
        const s = stem(this.wordList[wid]!, lang);
        let id = this.stemKey.get(s);
        if (id === undefined) {
          id = this.stemSurface.push(this.wordList[wid]!) - 1;
          this.stemStrings.push(s);
          this.stemSurfaceDf.push(this.wordDf[wid]!);
          this.stemKey.set(s, id);
        } else if (this.wordDf[wid]! > this.stemSurfaceDf[id]!) {
          this.stemSurface[id] = this.wordList[wid]!; // the most common spelling names the stem
          this.stemSurfaceDf[id] = this.wordDf[wid]!;
        }
        sid = id;
        this.wordToStem[wid] = sid;
      }
      out.push(sid);
    }
  }

  /**
   * Counts the features of one text into `tf`: unigrams and adjacent bigrams for questions, unigrams
   * only for the second view (it keeps a dozen features anyway). -1 marks a sentence break: no bigram
   * spans it. Unknown features are skipped unless learning.
   */
  private features(stems: number[], learn: boolean, view: 0 | 1, tf: TermCounts): void {
    tf.reset();
    for (let k = 0; k < stems.length; k++) {
      const a = stems[k]!;
      if (a < 0) continue;
      this.bump(a, -1, learn, view, tf);
      const b = stems[k + 1];
      if (view === 0 && b !== undefined && b >= 0 && b !== a) this.bump(a, b, learn, view, tf);
    }
  }

  private bump(a: number, b: number, learn: boolean, view: 0 | 1, tf: TermCounts): void {
    const keyA = view === 0 ? a : -2 - a;
    let f = this.featureOf.get(keyA, b);
    if (f < 0) {
      if (!learn) return;
      f = this.featureA.push(a) - 1;
      this.featureB.push(b);
      this.featureView.push(view);
      this.featureOf.set(keyA, b, f);
    }
    tf.add(f);
  }

  /**
   * Rare words (≤ 2 tickets, 5+ letters) mapped to the most frequent word one edit away that is at
   * least 10× as common, found through single-deletion keys (SymSpell): insertions, deletions,
   * substitutions and swaps of neighbours. Linear in the vocabulary.
   */
  private typoMap(): Map<number, number> {
    const df = this.wordDf;
    const deletes = new Map<string, number>(); // deletion key → most frequent word id with it
    const frequent = new Map<string, number>();
    const better = (a: number | undefined, b: number) => (a === undefined || df[b]! > df[a]! ? b : a);
    this.wordList.forEach((w, id) => {
      if (df[id]! < 5 || w.length < 4 || !LETTERS.test(w)) return;
      frequent.set(w, id);
      for (let i = 0; i < w.length; i++) {
        const key = w.slice(0, i) + w.slice(i + 1);
        deletes.set(key, better(deletes.get(key), id));
      }
    });
    const out = new Map<number, number>();
    this.wordList.forEach((w, id) => {
      if (df[id]! > 2 || w.length < 5 || !LETTERS.test(w)) return;
      let best = deletes.get(w); // the typo dropped a letter
      for (let i = 0; i < w.length; i++) {
        const key = w.slice(0, i) + w.slice(i + 1);
        const ins = frequent.get(key); // the typo added a letter
        if (ins !== undefined) best = better(best, ins);
        const sub = deletes.get(key); // substituted or swapped letters
        if (sub !== undefined) best = better(best, sub);
      }
      if (best !== undefined && best !== id && df[best]! >= 10 * df[id]!) out.set(id, best);
    });
    return out;
  }
}
