import { newStemmer, type Stemmer } from 'snowball-stemmers';
import { STOPWORDS } from './stopwords';

/**
 * Text processing shared by the local provider and the suggestions index: Unicode normalisation,
 * word tokens (CJK and Thai as character bigrams, since they are written without spaces), stopword
 * removal, Snowball stemming in the text's language, and diacritic folding after stemming so that
 * "facturación" and "facturacion" meet.
 */

/** Snowball algorithm per ISO 639-1 language. */
const SNOWBALL: Record<string, string> = {
  en: 'english',
  es: 'spanish',
  fr: 'french',
  de: 'german',
  pt: 'portuguese',
  it: 'italian',
  nl: 'dutch',
  sv: 'swedish',
  da: 'danish',
  no: 'norwegian',
  nb: 'norwegian',
  nn: 'norwegian',
  fi: 'finnish',
  ru: 'russian',
  tr: 'turkish',
  ro: 'romanian',
  hu: 'hungarian',
  ca: 'catalan',
  cs: 'czech',
  ar: 'arabic',
  ga: 'irish',
  eu: 'basque',
  sl: 'slovene',
  hy: 'armenian',
  ta: 'tamil',
};

/** 'en-US' → 'en', 'pt_BR' → 'pt'; undefined for nothing usable. */
export function langOf(locale: string | undefined): string | undefined {
  const m = locale ? /^([a-z]{2,3})(?:[-_]|$)/i.exec(locale.trim()) : null;
  return m?.[1]?.toLowerCase();
}

/** The language of a text by its function words (cheap; enough to pick a stemmer). English when unsure. */
export function guessLanguage(text: string): string {
  const counts = new Map<string, number>();
  let seen = 0;
  for (const m of text.toLowerCase().matchAll(/\p{L}+/gu)) {
    if (++seen > 200) break;
    for (const [lang, set] of Object.entries(STOPWORDS)) {
      if (set.has(m[0])) counts.set(lang, (counts.get(lang) ?? 0) + 1);
    }
  }
  let best = 'en';
  let bestCount = (counts.get('en') ?? 0) + 0.5; // a tie goes to English
  for (const [lang, n] of counts) {
    if (n > bestCount) {
      best = lang;
      bestCount = n;
    }
  }
  return best;
}

const stemmers = new Map<string, Stemmer | null>();
const stemCache = new Map<string, string>();
const STEM_CACHE_MAX = 300_000;

/** The Snowball stem of a lowercased word, with diacritics folded afterwards; memoised. */
export function stem(word: string, lang: string): string {
  const key = `${lang}\u0000${word}`;
  const hit = stemCache.get(key);
  if (hit !== undefined) return hit;
  let stemmer = stemmers.get(lang);
  if (stemmer === undefined) {
    const algo = SNOWBALL[lang];
    stemmer = algo ? newStemmer(algo) : null;
    stemmers.set(lang, stemmer);
  }
  const out = fold(stemmer && word.length > 2 ? stemmer.stem(word) : word);
  if (stemCache.size >= STEM_CACHE_MAX) stemCache.clear();
  stemCache.set(key, out);
  return out;
}

/** Removes combining marks: "é" → "e", "ü" → "u" (ß and ø have no decomposition and stay). */
export function fold(s: string): string {
  return /[^\p{ASCII}]/u.test(s) ? s.normalize('NFD').replace(/\p{M}+/gu, '') : s;
}

export function normalise(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

const WORD_RE = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*/gu;
const UNSPACED_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;

/** Lowercased word tokens in order, before stopwords and stemming (CJK/Thai runs as bigrams). */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of normalise(text).matchAll(WORD_RE)) {
    const w = m[0];
    if (UNSPACED_RE.test(w)) {
      const chars = [...w];
      if (chars.length === 1) out.push(w);
      for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
    } else {
      out.push(w);
    }
  }
  return out;
}

export interface TermOptions {
  /** ISO 639-1 language (or a locale); guessed from the text when absent. */
  lang?: string;
}

/** Index/query terms: words minus stopwords, stemmed. Pure digits longer than 6 (ids) are dropped. */
export function terms(text: string, opts: TermOptions = {}): string[] {
  const lang = langOf(opts.lang) ?? guessLanguage(text);
  const stop = STOPWORDS[lang] ?? STOPWORDS.en!;
  const out: string[] = [];
  for (const w of words(text)) {
    if (stop.has(w)) continue;
    if (/^\d+$/.test(w) && w.length > 6) continue;
    out.push(stem(w, lang));
  }
  return out;
}

/** Splits prose into sentences (keeps the punctuation); list items and lines count as sentences. */
export function sentences(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\n+/)) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    // A sentence ends at . ! ? … (or their CJK forms) followed by space and a capital/digit/quote.
    const parts = trimmed.split(/(?<=[.!?…。！？])\s+(?=["'“(\p{Lu}\p{N}\p{Script=Han}])/u);
    for (const p of parts) if (p.trim()) out.push(p.trim());
  }
  return out;
}
