import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  type BedrockRuntimeClientConfig,
} from '@aws-sdk/client-bedrock-runtime';
import { z } from 'zod';
import type { AiProvider, Citation, Draft, DraftInput, ReplyChunk, ReplyInput, Sentiment } from './types';
import { DRAFT_SYSTEM_PROMPT, draftUserMessage, extractiveDraft, parseModelDraft } from './draft';
import { citationsOf, retrievalConfidence } from './confidence';
import { AiModelError, AiThrottledError } from './errors';
import { Redactor } from './redact';
import { replySystemPrompt, replyUserMessage, SENTIMENT_SYSTEM_PROMPT, SOURCES_RE } from './prompts';
import { scoreSentiment } from './sentiment';

export interface BedrockProviderOptions {
  /** Model (or inference profile) for replies, through ConverseStream. */
  replyModelId: string;
  /** Titan text embeddings v2 by default. */
  embedModelId?: string;
  /** Model for sentiment through Converse; without it, sentiment is scored locally (see README). */
  sentimentModelId?: string;
  /** 256, 512 or 1024 (Titan v2). Default 1024. */
  dimensions?: number;
  maxReplyTokens?: number;
  /** Parallel InvokeModel calls while embedding a batch. Default 4. */
  embedConcurrency?: number;
  /** A ready client (tests); otherwise one is built from the SDK's standard configuration. */
  client?: BedrockRuntimeClient;
  /** Passed to the client: region, maxAttempts… Endpoint and credentials come from the SDK's own chain. */
  clientConfig?: BedrockRuntimeClientConfig;
}

export const DEFAULT_EMBED_MODEL_ID = 'amazon.titan-embed-text-v2:0';
/** Used when the service says nothing about when to come back. */
const DEFAULT_RETRY_AFTER_MS = 2000;
const RETRYABLE = new Set([
  'ModelErrorException',
  'ModelTimeoutException',
  'ModelNotReadyException',
  'ModelStreamErrorException',
  'ServiceUnavailableException',
  'InternalServerException',
]);

/** Any failure of a Bedrock call → AiThrottledError or AiModelError, with no prompt text in it. */
export function mapBedrockError(err: unknown, modelId: string): Error {
  if (err instanceof AiThrottledError || err instanceof AiModelError) return err;
  const e = err as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    $response?: { headers?: Record<string, string | undefined> };
  };
  const name = (e?.name ?? 'Error').replace(/^./, (c) => c.toUpperCase());
  const status = e?.$metadata?.httpStatusCode;
  if (name === 'ThrottlingException' || name === 'ServiceQuotaExceededException' || status === 429) {
    const header = e.$response?.headers?.['retry-after'];
    const seconds = header !== undefined ? Number(header) : NaN;
    const retryAfterMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_RETRY_AFTER_MS;
    return new AiThrottledError(
      `Bedrock throttled model ${modelId}; retry in ${retryAfterMs} ms`,
      retryAfterMs,
      {
        cause: err,
      },
    );
  }
  const retryable = RETRYABLE.has(name) || (status !== undefined && status >= 500);
  return new AiModelError(
    `Bedrock model ${modelId} failed: ${name}${e?.message ? `: ${e.message}` : ''}`,
    name,
    retryable,
    { cause: err },
  );
}

/** How much of the streamed text can be shown: everything before a (possibly partial) "Sources:" line. */
function shownUpTo(raw: string): number {
  const m = /(^|\n)[ \t*]*sources?\s*:/i.exec(raw);
  if (m) return m.index;
  const nl = raw.lastIndexOf('\n');
  const tail = raw
    .slice(nl + 1)
    .replace(/^[ \t*]+/, '')
    .toLowerCase();
  if (tail.length < 9 && 'sources:'.startsWith(tail)) return Math.max(nl, 0);
  return raw.length;
}

const sentimentAnswer = z.object({
  label: z.enum(['POSITIVE', 'NEUTRAL', 'NEGATIVE', 'MIXED']),
  score: z.number().min(-1).max(1),
});

export class BedrockProvider implements AiProvider {
  readonly name = 'bedrock' as const;
  private readonly client: BedrockRuntimeClient;
  private readonly embedModelId: string;

  constructor(private readonly opts: BedrockProviderOptions) {
    this.client = opts.client ?? new BedrockRuntimeClient(opts.clientConfig ?? {});
    this.embedModelId = opts.embedModelId ?? DEFAULT_EMBED_MODEL_ID;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = new Array<Float32Array>(texts.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < texts.length; i = next++) out[i] = await this.embedOne(texts[i]!);
    };
    await Promise.all(
      Array.from({ length: Math.min(this.opts.embedConcurrency ?? 4, texts.length) }, worker),
    );
    return out;
  }

  private async embedOne(text: string): Promise<Float32Array> {
    // Titan v2 takes up to 50,000 characters; redacted first like everything that leaves.
    const inputText = new Redactor().redact(text).slice(0, 50_000) || ' ';
    let body: Uint8Array;
    try {
      const res = await this.client.send(
        new InvokeModelCommand({
          modelId: this.embedModelId,
          contentType: 'application/json',
          accept: 'application/json',
          body: JSON.stringify({ inputText, dimensions: this.opts.dimensions ?? 1024, normalize: true }),
        }),
      );
      body = res.body;
    } catch (err) {
      throw mapBedrockError(err, this.embedModelId);
    }
    const parsed = z
      .object({ embedding: z.array(z.number()) })
      .safeParse(JSON.parse(new TextDecoder().decode(body)) as unknown);
    if (!parsed.success) {
      throw new AiModelError(
        `Bedrock model ${this.embedModelId} returned no embedding`,
        'BadResponse',
        false,
      );
    }
    return Float32Array.from(parsed.data.embedding);
  }

  async sentiment(text: string, locale?: string): Promise<Sentiment> {
    const modelId = this.opts.sentimentModelId;
    const fallback = () => {
      const { label, score } = scoreSentiment(text, locale);
      return { label, score };
    };
    if (!modelId) return fallback();
    let answer: string;
    try {
      const res = await this.client.send(
        new ConverseCommand({
          modelId,
          system: [{ text: SENTIMENT_SYSTEM_PROMPT }],
          messages: [{ role: 'user', content: [{ text: new Redactor().redact(text) }] }],
          inferenceConfig: { maxTokens: 50, temperature: 0 },
        }),
      );
      answer = (res.output?.message?.content ?? []).map((c) => c.text ?? '').join('');
    } catch (err) {
      throw mapBedrockError(err, modelId);
    }
    const json = /\{[\s\S]*\}/.exec(answer)?.[0];
    let parsed: unknown;
    try {
      parsed = json ? JSON.parse(json) : undefined;
    } catch {
      parsed = undefined;
    }
    const ok = sentimentAnswer.safeParse(parsed);
    // A model that does not keep to the JSON contract is not worth failing a live view over.
    return ok.success ? ok.data : fallback();
  }

  /**
   * An article from agents' answers through Converse. Questions and answers are redacted first and
   * placeholders are not restored (personal data has no place in an article); a model answer that
   * breaks the JSON contract or cites unknown tickets falls back to the extractive draft.
   */
  async draft(input: DraftInput): Promise<Draft> {
    const modelId = this.opts.replyModelId;
    const redactor = new Redactor();
    const safe: DraftInput = {
      locale: input.locale,
      questions: input.questions.map((q) => redactor.redact(q)),
      answers: input.answers.map((a) => ({ ticketId: a.ticketId, text: redactor.redact(a.text) })),
    };
    let answer: string;
    try {
      const res = await this.client.send(
        new ConverseCommand({
          modelId,
          system: [{ text: DRAFT_SYSTEM_PROMPT }],
          messages: [{ role: 'user', content: [{ text: draftUserMessage(safe) }] }],
          inferenceConfig: { maxTokens: 1500, temperature: 0.1 },
        }),
      );
      answer = (res.output?.message?.content ?? []).map((c) => c.text ?? '').join('');
    } catch (err) {
      throw mapBedrockError(err, modelId);
    }
    return parseModelDraft(answer, safe) ?? extractiveDraft(safe);
  }

  async *reply(input: ReplyInput): AsyncIterable<ReplyChunk> {
    const modelId = this.opts.replyModelId;
    const redactor = new Redactor();
    const passages = input.passages.map((p) => ({
      ...p,
      title: redactor.redact(p.title),
      text: redactor.redact(p.text),
    }));
    const conversation = redactor.redact(input.conversation);
    const restorer = redactor.streamRestorer();
    let raw = '';
    let emitted = 0;
    try {
      const res = await this.client.send(
        new ConverseStreamCommand({
          modelId,
          system: [{ text: replySystemPrompt(input.locale) }],
          messages: [{ role: 'user', content: [{ text: replyUserMessage(conversation, passages) }] }],
          inferenceConfig: { maxTokens: this.opts.maxReplyTokens ?? 400, temperature: 0.2 },
        }),
      );
      for await (const event of res.stream ?? []) {
        const problem =
          event.throttlingException ??
          event.modelStreamErrorException ??
          event.validationException ??
          event.internalServerException ??
          event.serviceUnavailableException;
        if (problem) throw problem;
        const piece = event.contentBlockDelta?.delta?.text;
        if (!piece) continue;
        raw += piece;
        const upTo = shownUpTo(raw);
        if (upTo > emitted) {
          const text = restorer.push(raw.slice(emitted, upTo));
          emitted = upTo;
          if (text) yield { type: 'token', text };
        }
      }
    } catch (err) {
      throw mapBedrockError(err, modelId);
    }
    const sources = SOURCES_RE.exec(raw);
    const body = (sources ? raw.slice(0, sources.index) : raw).trimEnd();
    const tail = (emitted < body.length ? restorer.push(body.slice(emitted)) : '') + restorer.end();
    if (tail.trim()) yield { type: 'token', text: tail };
    const cited = new Set((sources?.[1]?.match(/\d+/g) ?? []).map(Number));
    const known = new Set(input.passages.map((p) => p.articleId));
    const used = new Set([...cited].filter((id) => known.has(id)));
    const citations: Citation[] = citationsOf(input.passages, used.size ? used : undefined);
    yield {
      type: 'final',
      text: redactor.restore(body).trim(),
      citations,
      confidence: retrievalConfidence(input.passages),
      provider: 'bedrock',
    };
  }
}
