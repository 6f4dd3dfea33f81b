import { z } from 'zod';
import { htmlToText } from '../ai/html';
import { cleanMessage } from './clean';

/**
 * Zendesk ticket and Help Center article exports → what the gap analysis keeps of them. A ticket
 * becomes its customer question (subject + first end-user message, cleaned) and a few numbers for
 * impact; the rest of the raw text is dropped right away, so 100,000 tickets fit in little memory.
 */

const id = z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]);
const text = z.string().nullish();
const minutes = z.object({ calendar: z.number().nullish(), business: z.number().nullish() }).nullish();

const commentSchema = z.object({
  author_id: id.nullish(),
  public: z.boolean().nullish(),
  body: text,
  plain_body: text,
  html_body: text,
  created_at: text,
  type: text,
  data: z
    .object({ transcription_text: text, call_duration: z.union([z.number(), z.string()]).nullish() })
    .nullish(),
});

/** The Tickets API fields the analysis reads; everything else on the line is ignored. */
export const ticketSchema = z.object({
  id,
  subject: text,
  raw_subject: text,
  description: text,
  status: text,
  created_at: text,
  updated_at: text,
  requester_id: id.nullish(),
  submitter_id: id.nullish(),
  tags: z.array(z.string()).nullish(),
  via: z.object({ channel: z.union([z.string(), z.number()]).nullish() }).nullish(),
  comments: z.array(commentSchema).nullish(),
  custom_fields: z.array(z.object({ id, value: z.unknown() })).nullish(),
  metric_set: z
    .object({
      reopens: z.number().nullish(),
      replies: z.number().nullish(),
      full_resolution_time_in_minutes: minutes,
    })
    .nullish(),
});
export type RawTicket = z.infer<typeof ticketSchema>;
type RawComment = z.infer<typeof commentSchema>;

export const articleSchema = z.object({
  id,
  title: z.string(),
  body: text,
  /** Not in the API (it says `body`); accepted for exports made by other tools. */
  body_html: text,
  locale: text,
  html_url: text,
  section_id: id.nullish(),
  draft: z.boolean().nullish(),
});
export const articlesFileSchema = z.object({ articles: z.array(z.unknown()) });
export type RawArticle = z.infer<typeof articleSchema>;

/** What the analysis keeps of one ticket. */
export interface TicketDoc {
  id: number;
  /** Subject and first end-user message, cleaned and redacted (at most QUESTION_MAX characters). */
  question: string;
  /** The first public agent reply, cleaned and redacted (at most ANSWER_MAX characters), if any. */
  answer?: string;
  /** created_at in ms since the epoch; NaN when absent or unreadable. */
  createdAt: number;
  /** Agent effort in minutes (see `effortMinutes`). */
  handleMinutes: number;
  reopened: boolean;
}

export interface ArticleDoc {
  id: number;
  title: string;
  /** Plain text of the body. */
  text: string;
  locale?: string;
  url?: string;
  sectionId?: number;
}

export interface TicketOptions {
  /** A custom field holding agent time in seconds (what the Zendesk Time Tracking app writes). */
  handleTimeFieldId?: number;
  /** Effort assumed per agent reply when nothing better is known. */
  minutesPerReply?: number;
}

const QUESTION_MAX = 600;
const ANSWER_MAX = 500;

const commentText = (c: RawComment): string =>
  c.plain_body || c.body || (c.html_body ? htmlToText(c.html_body) : '') || c.data?.transcription_text || '';

const isVoice = (c: RawComment): boolean => c.type === 'VoiceComment' || c.data?.call_duration != null;

/** The requester's first message: the first comment they wrote, else the description. */
function firstCustomerMessage(t: RawTicket): string {
  const requester = t.requester_id ?? t.submitter_id;
  const comments = t.comments ?? [];
  // A call's transcript is what the caller asked, whoever the voice comment is attributed to.
  const transcript = comments.find((c) => isVoice(c) && c.data?.transcription_text)?.data?.transcription_text;
  if (transcript) return transcript;
  const fromRequester = comments.find(
    (c) => requester != null && c.author_id === requester && c.public !== false,
  );
  const first = fromRequester ?? (requester == null ? comments[0] : undefined);
  const voice = first && isVoice(first) ? first.data?.transcription_text : undefined;
  return voice || (first ? commentText(first) : '') || t.description || '';
}

/** The first public reply by someone other than the requester (an agent), cleaned. */
export function agentAnswer(t: RawTicket): string {
  const requester = t.requester_id ?? t.submitter_id;
  const reply = (t.comments ?? []).find(
    (c) => c.public !== false && c.author_id != null && requester != null && c.author_id !== requester,
  );
  if (!reply) return '';
  // Only the start of a reply is kept, so only its start (with room for a greeting) is cleaned.
  const text = cleanMessage((reply.data?.transcription_text || commentText(reply)).slice(0, 3 * ANSWER_MAX));
  return text.length > ANSWER_MAX ? text.slice(0, ANSWER_MAX) : text;
}

/** The customer question: subject (unless the message already starts with it) + first message. */
export function customerQuestion(t: RawTicket): string {
  const subject = cleanMessage(t.subject ?? t.raw_subject ?? '');
  const message = cleanMessage(firstCustomerMessage(t) || (t.description ?? ''));
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
  const question = !subject || norm(message).startsWith(norm(subject)) ? message : `${subject}\n${message}`;
  return question.length > QUESTION_MAX ? question.slice(0, QUESTION_MAX) : question;
}

/**
 * Agent effort: call durations when the ticket has calls, else the time-tracking field when one is
 * configured, else agent replies × minutesPerReply. Zendesk has no handle time field of its own.
 */
export function effortMinutes(t: RawTicket, opts: TicketOptions = {}): number {
  const calls = (t.comments ?? []).reduce((s, c) => s + (Number(c.data?.call_duration) || 0), 0);
  if (calls > 0) return calls / 60;
  if (opts.handleTimeFieldId !== undefined) {
    const f = t.custom_fields?.find((cf) => cf.id === opts.handleTimeFieldId);
    const seconds = Number(f?.value);
    if (Number.isFinite(seconds) && seconds > 0) return seconds / 60;
  }
  const requester = t.requester_id ?? t.submitter_id;
  const agentReplies =
    t.metric_set?.replies ??
    (t.comments ?? []).filter((c) => c.public !== false && c.author_id != null && c.author_id !== requester)
      .length;
  return Math.max(1, agentReplies) * (opts.minutesPerReply ?? 5);
}

export function toTicketDoc(t: RawTicket, opts: TicketOptions = {}): TicketDoc {
  const answer = agentAnswer(t);
  return {
    id: t.id,
    question: customerQuestion(t),
    ...(answer ? { answer } : {}),
    createdAt: t.created_at ? Date.parse(t.created_at) : NaN,
    handleMinutes: effortMinutes(t, opts),
    reopened: (t.metric_set?.reopens ?? 0) > 0,
  };
}

export function toArticleDoc(a: RawArticle): ArticleDoc {
  const html = a.body ?? a.body_html ?? '';
  return {
    id: a.id,
    title: a.title,
    text: htmlToText(html),
    ...(a.locale ? { locale: a.locale } : {}),
    ...(a.html_url ? { url: a.html_url } : {}),
    ...(a.section_id != null ? { sectionId: a.section_id } : {}),
  };
}

/** One unreadable input line or array element, said the way a person fixes it. */
export interface InputProblem {
  /** 1-based line of the NDJSON file, or 1-based position in the articles array. */
  line: number;
  message: string;
}

/** Zod issues as one short sentence: `id: expected number, received undefined; …`. */
export function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

/** Parses one NDJSON line; `null` for a blank line, a problem for anything unusable. */
export function parseTicketLine(
  line: string,
  lineNo: number,
  opts: TicketOptions = {},
): TicketDoc | InputProblem | null {
  const trimmed = line.trim();
  if (!trimmed) return null;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    return { line: lineNo, message: `not valid JSON (${(err as Error).message})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      line: lineNo,
      message: `expected a ticket object, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    };
  }
  // Incremental exports wrap nothing, but a single-ticket API answer is {"ticket": {...}}: accept both.
  const obj = value as Record<string, unknown>;
  const candidate = 'ticket' in obj && !('id' in obj) ? obj.ticket : obj;
  const parsed = ticketSchema.safeParse(candidate);
  if (!parsed.success) return { line: lineNo, message: `not a ticket: ${describeIssues(parsed.error)}` };
  const doc = toTicketDoc(parsed.data, opts);
  if (!doc.question) {
    return {
      line: lineNo,
      message: `ticket ${doc.id} has no customer text (subject, description, comments)`,
    };
  }
  return doc;
}

export const isProblem = (x: TicketDoc | InputProblem): x is InputProblem => 'message' in x;

/** The articles file: a Help Center list answer `{"articles": [...]}` (a bare array is accepted too). */
export function parseArticlesJson(json: string): { articles: ArticleDoc[]; problems: InputProblem[] } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    return { articles: [], problems: [{ line: 0, message: `not valid JSON (${(err as Error).message})` }] };
  }
  const list = Array.isArray(value) ? value : articlesFileSchema.safeParse(value).data?.articles;
  if (!list) {
    return {
      articles: [],
      problems: [{ line: 0, message: 'expected {"articles": [...]} (a Help Center articles list)' }],
    };
  }
  const articles: ArticleDoc[] = [];
  const problems: InputProblem[] = [];
  list.forEach((raw, i) => {
    const parsed = articleSchema.safeParse(raw);
    if (!parsed.success)
      problems.push({ line: i + 1, message: `article ${i + 1}: ${describeIssues(parsed.error)}` });
    else if (parsed.data.draft !== true) articles.push(toArticleDoc(parsed.data));
  });
  return { articles, problems };
}
