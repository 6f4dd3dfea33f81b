/** The one interface every AI provider implements; the rest of the service sees nothing else. */

/** A piece of a Help Center article that a reply may be grounded in. */
export interface Passage {
  articleId: number;
  title: string;
  url?: string;
  text: string;
  /** Retrieval score, 0..1 (higher is better); comparable across queries of one index. */
  score: number;
  locale?: string;
}

export interface Citation {
  articleId: number;
  title: string;
  url?: string;
}

export type SentimentLabel = 'POSITIVE' | 'NEUTRAL' | 'NEGATIVE' | 'MIXED';

export interface Sentiment {
  label: SentimentLabel;
  /** -1 (very negative) .. 1 (very positive). */
  score: number;
}

/** A reply arrives as text tokens, then exactly one final chunk with the whole text and its sources. */
export type ReplyChunk =
  | { type: 'token'; text: string }
  | {
      type: 'final';
      /** The whole reply as shown to the agent (personal data restored, source markers removed). */
      text: string;
      citations: Citation[];
      /** 0..1: how well the passages cover the conversation (from retrieval, not from the model). */
      confidence: number;
      provider: ProviderName;
    };

export interface ReplyInput {
  /** The conversation so far, customer turns at least. Never logged. */
  conversation: string;
  /** Best first. */
  passages: Passage[];
  /** The customer's locale ('es', 'pt-BR'); the reply is in this language where the provider can. */
  locale: string;
}

/** Issue 5 (knowledge gaps) will implement this: an article drafted from what agents answered. */
export interface DraftInput {
  /** Representative customer questions of the gap. */
  questions: string[];
  /** Agent answers from solved tickets, each traceable to its ticket. */
  answers: { ticketId: number; text: string }[];
  locale: string;
}

export interface Draft {
  title: string;
  /** Help Center-safe HTML. */
  bodyHtml: string;
  /** Every paragraph with the tickets it was taken from. */
  paragraphs: { html: string; sourceTicketIds: number[] }[];
}

export type ProviderName = 'local' | 'bedrock';

export interface AiProvider {
  readonly name: ProviderName;
  /** One vector per text, same order; unit length, so a dot product is the cosine. */
  embed(texts: string[]): Promise<Float32Array[]>;
  sentiment(text: string, locale?: string): Promise<Sentiment>;
  reply(input: ReplyInput): AsyncIterable<ReplyChunk>;
  draft?(input: DraftInput): Promise<Draft>;
}
