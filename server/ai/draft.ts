import { z } from 'zod';
import type { Draft, DraftInput } from './types';
import { langOf, sentences, terms } from './text';

/**
 * Article drafts from what agents answered. The local draft is extractive: it keeps the sentences that
 * most agents wrote (near-identical sentences grouped), in the order agents wrote them, and names the
 * tickets behind each one; it invents nothing, not even the title (the gap's most typical question).
 * The Bedrock draft asks Converse for JSON paragraphs that name their source tickets; paragraphs whose
 * sources are not among the given tickets are dropped, and every paragraph is escaped into <p>.
 */

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const paragraphHtml = (text: string): string => `<p>${escapeHtml(text.trim())}</p>`;

export function bodyOf(paragraphs: Draft['paragraphs']): string {
  return paragraphs.map((p) => p.html).join('\n');
}

/** A title from the customer's own words: the first sentence of the most typical question. */
export function titleFrom(questions: string[]): string {
  const q = (questions[0] ?? '').replace(/\s+/g, ' ').trim();
  const first = sentences(q)[0] ?? q;
  const t = first.length > 120 ? `${first.slice(0, 119)}…` : first;
  return t ? t[0]!.toUpperCase() + t.slice(1) : 'Untitled';
}

interface Candidate {
  text: string;
  terms: Set<string>;
  tickets: Set<number>;
  /** Mean relative position of the sentence in the answers it appears in (0 = first). */
  position: number;
  seen: number;
}

const jaccard = (a: Set<string>, b: Set<string>): number => {
  let inter = 0;
  for (const t of a) if (b.has(t)) inter++;
  const union = a.size + b.size - inter;
  return union ? inter / union : 0;
};

export interface ExtractiveOptions {
  maxParagraphs?: number;
  /** Sentences at least this similar (Jaccard of stems) count as the same sentence. */
  sameSentence?: number;
}

export function extractiveDraft(input: DraftInput, opts: ExtractiveOptions = {}): Draft {
  const lang = langOf(input.locale);
  const termOpts = lang ? { lang } : {};
  const same = opts.sameSentence ?? 0.6;
  const cands: Candidate[] = [];
  for (const a of input.answers) {
    const list = sentences(a.text).filter((s) => {
      const words = s.split(/\s+/).length;
      // Questions back to the customer and one-word lines are not article material.
      return (
        words >= 4 &&
        words <= 80 &&
        !/\?\s*$/.test(s) &&
        !/\[[A-Z]+_\d+\]|\[(email|phone|card|iban|url|ip|number)\]/i.test(s)
      );
    });
    list.forEach((s, i) => {
      const ts = new Set(terms(s, termOpts));
      if (ts.size < 2) return;
      const pos = list.length > 1 ? i / (list.length - 1) : 0;
      const match = cands.find((c) => jaccard(c.terms, ts) >= same);
      if (match) {
        match.tickets.add(a.ticketId);
        match.position = (match.position * match.seen + pos) / (match.seen + 1);
        match.seen++;
      } else {
        cands.push({ text: s, terms: ts, tickets: new Set([a.ticketId]), position: pos, seen: 1 });
      }
    });
  }
  const max = opts.maxParagraphs ?? 6;
  // Sentences several agents wrote first; a sentence only one agent wrote is kept only if nothing better exists.
  const ranked = [...cands].sort(
    (a, b) => b.tickets.size - a.tickets.size || a.position - b.position || a.text.localeCompare(b.text),
  );
  const supported = ranked.filter((c) => c.tickets.size >= 2);
  const chosen = (supported.length >= 2 ? supported : ranked).slice(0, max);
  chosen.sort((a, b) => a.position - b.position || b.tickets.size - a.tickets.size);
  const paragraphs = chosen.map((c) => ({
    html: paragraphHtml(c.text),
    sourceTicketIds: [...c.tickets].sort((x, y) => x - y),
  }));
  return { title: titleFrom(input.questions), bodyHtml: bodyOf(paragraphs), paragraphs };
}

export const DRAFT_SYSTEM_PROMPT = [
  'You write Help Center articles for a customer-support team.',
  'Use ONLY facts stated in the AGENT ANSWERS below. Do not add steps, numbers, names or policies that are not in them.',
  'Write in the language of the answers. Keep placeholders such as [EMAIL_1] exactly as written.',
  'Answer with JSON only, no prose: {"title": string, "paragraphs": [{"text": string, "sources": [ticket ids]}]}.',
  '"sources" lists the ticket ids of the answers each paragraph is based on. 2 to 6 paragraphs, plain text (no HTML).',
].join('\n');

export function draftUserMessage(input: DraftInput): string {
  const questions = input.questions.map((q) => `- ${q}`).join('\n');
  const answers = input.answers
    .map((a) => `<answer ticket="${a.ticketId}">\n${a.text}\n</answer>`)
    .join('\n');
  return `CUSTOMER QUESTIONS:\n${questions}\n\nAGENT ANSWERS:\n${answers}\n\nWrite the article (locale ${input.locale}).`;
}

const modelDraft = z.object({
  title: z.string().min(1).max(300),
  paragraphs: z
    .array(z.object({ text: z.string().min(1).max(4000), sources: z.array(z.coerce.number().int()).min(1) }))
    .min(1)
    .max(20),
});

/**
 * The model's answer → a Draft, or null when it broke the contract (no JSON, no paragraph with known
 * sources). Paragraphs citing tickets that were not given are dropped: every paragraph stays traceable.
 */
export function parseModelDraft(answer: string, input: DraftInput): Draft | null {
  const json = /\{[\s\S]*\}/.exec(answer)?.[0];
  let value: unknown;
  try {
    value = json ? JSON.parse(json) : undefined;
  } catch {
    return null;
  }
  const parsed = modelDraft.safeParse(value);
  if (!parsed.success) return null;
  const known = new Set(input.answers.map((a) => a.ticketId));
  const paragraphs = parsed.data.paragraphs.flatMap((p) => {
    const sources = [...new Set(p.sources)].filter((id) => known.has(id)).sort((a, b) => a - b);
    return sources.length === p.sources.length && sources.length > 0
      ? [{ html: paragraphHtml(p.text), sourceTicketIds: sources }]
      : [];
  });
  if (paragraphs.length === 0) return null;
  return { title: parsed.data.title.trim(), bodyHtml: bodyOf(paragraphs), paragraphs };
}
