import type { Sentiment } from './types';
import { LEXICONS, type Lexicon } from './sentiment-lexicon';
import { guessLanguage, langOf } from './text';

/**
 * Lexicon sentiment in the manner of VADER: each sentiment word (or phrase) has a valence; a
 * negation within the three words before it flips and dampens it; intensifiers ("very", "slightly")
 * scale it; text after a contrast word ("but") weighs 1.5×, before it 0.5×; ALL-CAPS words and
 * exclamation marks amplify; emoticons count. The sum is squashed into -1..1.
 */

const NEGATION_SCALE = -0.74;
const CAPS_BOOST = 0.733;
const ALPHA = 15;

interface CompiledLexicon extends Lexicon {
  prefixes: Array<[string, number]>;
  phraseList: Array<[string[], number]>;
  negatorSet: Set<string>;
  contrastSet: Set<string>;
}

const compiled = new Map<string, CompiledLexicon>();

function lexicon(lang: string): CompiledLexicon {
  const key = LEXICONS[lang] ? lang : 'en';
  let c = compiled.get(key);
  if (!c) {
    const lex = LEXICONS[key]!;
    c = {
      ...lex,
      prefixes: Object.entries(lex.words)
        .filter(([w]) => w.endsWith('*'))
        .map(([w, v]): [string, number] => [w.slice(0, -1), v]),
      phraseList: Object.entries(lex.phrases)
        .map(([p, v]): [string[], number] => [p.split(/\s+/), v])
        .sort((a, b) => b[0].length - a[0].length),
      negatorSet: new Set(lex.negators),
      contrastSet: new Set(lex.contrast.filter((w) => !w.includes(' '))),
    };
    compiled.set(key, c);
  }
  return c;
}

function valence(lex: CompiledLexicon, word: string): number | undefined {
  const exact = lex.words[word];
  if (exact !== undefined) return exact;
  for (const [prefix, v] of lex.prefixes) if (word.startsWith(prefix)) return v;
  return undefined;
}

// Emoji with a variation selector (❤️, ☹️) are alternatives, not class members: a class would split them.
const EMOTICONS: Array<[RegExp, number]> = [
  [/(?::|;|=)-?[)\]D]|[😀😃😄😁😊🙂😍🥰👍🙏✅🎉]|❤️?/gu, 2],
  [/(?::|=)-?[([]|:'\(|[😞😠😡🤬😢😭👎💩😤🙁]|☹️?/gu, -2],
];

/** Scores one text; `locale` picks the lexicon, else the text's language is guessed. */
export function scoreSentiment(
  text: string,
  locale?: string,
): Sentiment & { positive: number; negative: number } {
  const lang = langOf(locale) ?? guessLanguage(text);
  const lex = lexicon(lang);
  const raw = text.normalize('NFKC');
  const tokens: Array<{ word: string; caps: boolean }> = [];
  for (const m of raw.matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu)) {
    const w = m[0];
    tokens.push({
      word: w.toLowerCase().replace(/’/g, "'"),
      caps: w.length > 2 && w === w.toUpperCase() && /\p{Lu}/u.test(w),
    });
  }
  const anyLower = tokens.some((t) => !t.caps);
  const values: number[] = new Array<number>(tokens.length).fill(0);
  const consumed = new Array<boolean>(tokens.length).fill(false);

  // Phrases first (longest first), so "not working" is one negative unit, not a negated "working".
  for (let i = 0; i < tokens.length; i++) {
    for (const [parts, v] of lex.phraseList) {
      if (i + parts.length > tokens.length) continue;
      if (parts.every((p, j) => tokens[i + j]!.word === p)) {
        values[i] = v;
        for (let j = 1; j < parts.length; j++) consumed[i + j] = true;
        consumed[i] = true;
        i += parts.length - 1;
        break;
      }
    }
  }
  for (let i = 0; i < tokens.length; i++) {
    if (consumed[i]) continue;
    const t = tokens[i]!;
    let v = valence(lex, t.word);
    if (v === undefined) continue;
    if (t.caps && anyLower) v += Math.sign(v) * CAPS_BOOST;
    // Intensifiers and negations in the three words before.
    for (let j = 1; j <= 3 && i - j >= 0; j++) {
      const prev = tokens[i - j]!.word;
      const boost = lex.intensifiers[prev];
      if (boost !== undefined) v *= 1 + boost * (j === 1 ? 1 : j === 2 ? 0.95 : 0.9);
      if (lex.negatorSet.has(prev) || prev.endsWith("n't")) {
        v *= NEGATION_SCALE;
        break;
      }
    }
    values[i] = v;
  }
  // Contrast: "good product but terrible support" leans on what follows "but".
  const pivot = tokens.findIndex((t) => lex.contrastSet.has(t.word));
  if (pivot >= 0) {
    for (let i = 0; i < values.length; i++) values[i]! *= i < pivot ? 0.5 : i > pivot ? 1.5 : 1;
  }
  let sum = values.reduce((a, b) => a + b, 0);
  for (const [re, v] of EMOTICONS) sum += (raw.match(re)?.length ?? 0) * v;
  const bangs = Math.min((raw.match(/!/g) ?? []).length, 4);
  if (sum !== 0) sum += Math.sign(sum) * bangs * 0.292;

  const positive = values.filter((v) => v > 0).reduce((a, b) => a + b, 0);
  const negative = -values.filter((v) => v < 0).reduce((a, b) => a + b, 0);
  const score = sum / Math.sqrt(sum * sum + ALPHA);
  const rounded = Math.round(score * 1000) / 1000;
  // Mixed: strong feelings both ways that nearly cancel out.
  const mixed =
    positive >= 1.5 && negative >= 1.5 && Math.min(positive, negative) / Math.max(positive, negative) > 0.6;
  const label = mixed ? 'MIXED' : score >= 0.2 ? 'POSITIVE' : score <= -0.2 ? 'NEGATIVE' : 'NEUTRAL';
  return { label, score: rounded, positive, negative };
}
