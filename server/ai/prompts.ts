import type { Passage } from './types';

/** The instructions a Bedrock model answers under. Passages and conversation arrive redacted. */
export function replySystemPrompt(locale: string): string {
  return [
    'You help a customer-support agent answer a customer. Write the reply the agent can send.',
    'Use only facts stated in the ARTICLES below; if they do not answer the question, say briefly that you will check and do not guess.',
    `Write in the customer's language (locale ${locale}); if the customer wrote in another language, use theirs.`,
    'Be short: at most 4 sentences or 5 numbered steps. No greeting line, no signature.',
    'Keep placeholders such as [EMAIL_1] or [PHONE_2] exactly as written.',
    'After the reply, on a last line of its own, write "Sources:" and the ids of the articles you used, comma-separated, e.g. "Sources: 12, 40".',
  ].join('\n');
}

export function replyUserMessage(conversation: string, passages: Passage[]): string {
  const articles = passages
    .map((p) => `<article id="${p.articleId}" title="${p.title.replace(/"/g, "'")}">\n${p.text}\n</article>`)
    .join('\n');
  return `ARTICLES:\n${articles || '(none)'}\n\nCONVERSATION:\n${conversation}\n\nReply to the customer's latest message.`;
}

export const SENTIMENT_SYSTEM_PROMPT = [
  "Classify the customer's sentiment in the text.",
  'Answer with JSON only, no prose: {"label":"POSITIVE"|"NEUTRAL"|"NEGATIVE"|"MIXED","score":<number from -1 to 1>}.',
].join('\n');

/** "Sources: 12, 40" at the end of a model's answer. */
export const SOURCES_RE = /\n?[ \t]*\**sources?\**\s*:\s*([#\d,\s]*)\s*$/i;
