import { terms } from './text';

/**
 * Hashed TF-IDF vectors (feature hashing with a sign bit, so collisions cancel out on average instead
 * of piling up): stemmed words plus word bigrams, sublinear term frequency, IDF from a fitted corpus
 * when one is given, L2-normalised. The same text always gives the same vector, whatever else is in
 * the batch, so vectors stored yesterday compare with vectors made today.
 */

export interface IdfModel {
  /** IDF of a term ('word' or 'word word'); `unseen` for terms the corpus did not have. */
  get(term: string): number | undefined;
  readonly unseen: number;
}

/** Document frequencies of a corpus (for example a tenant's tickets) → IDF weights for `embed`. */
export function fitIdf(texts: string[], opts: { locale?: string } = {}): IdfModel {
  const df = new Map<string, number>();
  for (const text of texts) {
    for (const f of new Set(features(text, opts.locale).keys())) df.set(f, (df.get(f) ?? 0) + 1);
  }
  const n = texts.length;
  const idf = new Map<string, number>();
  for (const [t, d] of df) idf.set(t, Math.log((1 + n) / (1 + d)) + 1);
  return { get: (t) => idf.get(t), unseen: Math.log(1 + n) + 1 };
}

/** Term → count: unigrams and adjacent-word bigrams (bigrams count half). */
export function features(text: string, locale?: string): Map<string, number> {
  const ts = terms(text, locale ? { lang: locale } : {});
  const out = new Map<string, number>();
  for (let i = 0; i < ts.length; i++) {
    out.set(ts[i]!, (out.get(ts[i]!) ?? 0) + 1);
    if (i + 1 < ts.length) {
      const bigram = `${ts[i]} ${ts[i + 1]}`;
      out.set(bigram, (out.get(bigram) ?? 0) + 0.5);
    }
  }
  return out;
}

/** FNV-1a, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function hashedVector(
  text: string,
  dimensions: number,
  idf?: IdfModel,
  locale?: string,
): Float32Array {
  const v = new Float32Array(dimensions);
  for (const [f, count] of features(text, locale)) {
    const h = fnv1a(f);
    const weight = (1 + Math.log(count)) * (idf ? (idf.get(f) ?? idf.unseen) : 1); // count ≥ 0.5
    v[h % dimensions]! += h & 0x80000000 ? -weight : weight;
  }
  let sq = 0;
  for (let i = 0; i < dimensions; i++) sq += v[i]! * v[i]!;
  const norm = Math.sqrt(sq);
  if (norm > 0) for (let i = 0; i < dimensions; i++) v[i]! /= norm;
  return v;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length && i < b.length; i++) dot += a[i]! * b[i]!;
  return dot;
}
