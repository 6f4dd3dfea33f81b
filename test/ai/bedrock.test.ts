import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import nock from 'nock';
import { createProvider, AiModelError, AiThrottledError } from '../../server/ai/index';
import type { BedrockProvider } from '../../server/ai/bedrock';
import type { Passage, ReplyChunk } from '../../server/ai/types';

const ENDPOINT = 'https://bedrock-runtime.us-east-1.amazonaws.com';
const REPLY_MODEL = 'amazon.nova-lite-v1:0';
const EMBED_MODEL = 'amazon.titan-embed-text-v2:0';
const path = (model: string, op: string) => `/model/${encodeURIComponent(model)}/${op}`;

/** The SDK's own event-stream encoder builds the binary frames Bedrock sends. */
const codec = new EventStreamCodec(toUtf8, fromUtf8);
const event = (type: string, body: unknown) =>
  codec.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify(body)),
  });
const exception = (type: string, message: string) =>
  codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
const stream = (...frames: Uint8Array[]) => Buffer.concat(frames.map((f) => Buffer.from(f)));
const deltas = (...texts: string[]) =>
  texts.map((text) => event('contentBlockDelta', { contentBlockIndex: 0, delta: { text }, p: 'abc' }));

const PII = {
  email: 'maria.lopez@example.com',
  phone: '+34 612 34 56 78',
  card: '4111 1111 1111 1111',
  iban: 'ES91 2100 0418 4502 0005 1332',
  address: '742 Evergreen Terrace',
};
const CONVERSATION = `Customer: Hi, I'm Maria (${PII.email}, ${PII.phone}). You charged my card ${PII.card} twice! Refund to ${PII.iban} please. I live at ${PII.address}.`;
const PASSAGES: Passage[] = [
  {
    articleId: 12,
    title: 'How to request a refund',
    text: 'Refunds go back to the original card within 5 days.',
    score: 0.6,
    url: 'https://x.zendesk.com/hc/articles/12',
  },
  { articleId: 40, title: 'Double charges', text: 'A double charge is reversed automatically.', score: 0.4 },
];

let client: BedrockRuntimeClient;
let provider: BedrockProvider;
let recorded: string[];

beforeAll(() => {
  nock.disableNetConnect();
});
afterAll(() => {
  nock.enableNetConnect();
});
beforeEach(() => {
  recorded = [];
  client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: ENDPOINT,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    maxAttempts: 1,
    // The client defaults to HTTP/2, which nock cannot intercept; the bytes on the wire are the same.
    requestHandler: new NodeHttpHandler(),
  });
  provider = createProvider(
    { AI_PROVIDER: 'bedrock', BEDROCK_REPLY_MODEL_ID: REPLY_MODEL, BEDROCK_SENTIMENT_MODEL_ID: REPLY_MODEL },
    { bedrockClient: client },
  ) as BedrockProvider;
});
afterEach(() => {
  client.destroy();
  nock.cleanAll();
});

const record = (body: unknown) => {
  recorded.push(typeof body === 'string' ? body : JSON.stringify(body));
  return true;
};

async function collect(iter: AsyncIterable<ReplyChunk>): Promise<ReplyChunk[]> {
  const out: ReplyChunk[] = [];
  for await (const c of iter) out.push(c);
  return out;
}

describe('bedrock provider', () => {
  test('when ConverseStream streams a reply, then tokens arrive in order, placeholders are restored for the agent and the sources line becomes citations', async () => {
    const scope = nock(ENDPOINT)
      .post(path(REPLY_MODEL, 'converse-stream'), record)
      .reply(
        200,
        stream(
          event('messageStart', { role: 'assistant', p: 'a' }),
          ...deltas(
            'Sorry, ',
            'Maria! We will email [EMA',
            'IL_1] once the refund ',
            'is back on your card.\nSou',
            'rces: 12',
          ),
          event('contentBlockStop', { contentBlockIndex: 0, p: 'b' }),
          event('messageStop', { stopReason: 'end_turn', p: 'c' }),
          event('metadata', {
            usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 },
            metrics: { latencyMs: 400 },
            p: 'd',
          }),
        ),
        { 'content-type': 'application/vnd.amazon.eventstream' },
      );
    const chunks = await collect(
      provider.reply({ conversation: CONVERSATION, passages: PASSAGES, locale: 'en' }),
    );
    scope.done();
    const tokens = chunks.filter((c) => c.type === 'token').map((c) => (c as { text: string }).text);
    const final = chunks[chunks.length - 1]!;
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.join('')).toBe(
      `Sorry, Maria! We will email ${PII.email} once the refund is back on your card.`,
    );
    expect(tokens.join('')).not.toMatch(/Sources|\[EMA/);
    expect(final).toMatchObject({
      type: 'final',
      text: `Sorry, Maria! We will email ${PII.email} once the refund is back on your card.`,
      citations: [
        { articleId: 12, title: 'How to request a refund', url: 'https://x.zendesk.com/hc/articles/12' },
      ],
      provider: 'bedrock',
    });
    // What went to Bedrock: the model, the grounding, the language — and none of the personal data.
    const sent = recorded.join('\n');
    expect(sent).toContain('Refunds go back to the original card');
    expect(sent).toContain('[EMAIL_1]');
    for (const value of Object.values(PII)) expect(sent).not.toContain(value);
    expect(sent).not.toContain('4111111111111111');
  });

  test('when Bedrock throttles the request, then the error says so and when to retry', async () => {
    nock(ENDPOINT).post(path(REPLY_MODEL, 'converse-stream')).reply(
      429,
      { message: 'Too many requests, please wait before trying again.' },
      {
        'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
        'retry-after': '3',
      },
    );
    const err = await collect(provider.reply({ conversation: 'hi', passages: PASSAGES, locale: 'en' })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AiThrottledError);
    expect((err as AiThrottledError).retryAfterMs).toBe(3000);
  });

  test('when the stream carries a throttling exception mid-way, then it surfaces as throttling too', async () => {
    nock(ENDPOINT)
      .post(path(REPLY_MODEL, 'converse-stream'))
      .reply(200, stream(...deltas('Sorry'), exception('throttlingException', 'slow down')), {
        'content-type': 'application/vnd.amazon.eventstream',
      });
    const err = await collect(provider.reply({ conversation: 'hi', passages: PASSAGES, locale: 'en' })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AiThrottledError);
    expect((err as AiThrottledError).retryAfterMs).toBeGreaterThan(0);
  });

  test('when the model fails in the middle of the stream, then a retryable model error names the model', async () => {
    nock(ENDPOINT)
      .post(path(REPLY_MODEL, 'converse-stream'))
      .reply(200, stream(...deltas('Sorry'), exception('modelStreamErrorException', 'The model stopped')), {
        'content-type': 'application/vnd.amazon.eventstream',
      });
    const err = await collect(provider.reply({ conversation: 'hi', passages: PASSAGES, locale: 'en' })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AiModelError);
    expect((err as AiModelError).message).toContain(REPLY_MODEL);
    expect((err as AiModelError).awsCode).toBe('ModelStreamErrorException');
    expect((err as AiModelError).retryable).toBe(true);
  });

  test('when the model id is wrong, then a non-retryable model error says why', async () => {
    nock(ENDPOINT)
      .post(path(REPLY_MODEL, 'converse-stream'))
      .reply(
        400,
        { message: 'The provided model identifier is invalid.' },
        { 'x-amzn-errortype': 'ValidationException' },
      );
    const err = await collect(provider.reply({ conversation: 'hi', passages: PASSAGES, locale: 'en' })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AiModelError);
    expect((err as AiModelError).message).toMatch(
      /ValidationException: The provided model identifier is invalid/,
    );
    expect((err as AiModelError).retryable).toBe(false);
  });

  test('when texts are embedded, then Titan v2 gets one redacted InvokeModel call each and vectors come back in order', async () => {
    const scope = nock(ENDPOINT)
      .post(path(EMBED_MODEL, 'invoke'), record)
      .times(2)
      .reply(200, (_uri, body) => {
        const text = (body as { inputText: string }).inputText;
        return { embedding: [text.length, 0.5, -0.25], inputTextTokenCount: 4 };
      });
    const vectors = await provider.embed([`mail ${PII.email}`, 'ab']);
    scope.done();
    expect(vectors.map((v) => Array.from(v))).toEqual([
      ['mail [EMAIL_1]'.length, 0.5, -0.25],
      [2, 0.5, -0.25],
    ]);
    const bodies = recorded.map((b) => JSON.parse(b) as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({ dimensions: 1024, normalize: true });
    expect(recorded.join()).not.toContain(PII.email);
  });

  test('when Titan answers with a model error, then embedding fails with a model error', async () => {
    nock(ENDPOINT)
      .post(path(EMBED_MODEL, 'invoke'))
      .reply(
        424,
        { message: 'Model failed', originalStatusCode: 500 },
        { 'x-amzn-errortype': 'ModelErrorException' },
      );
    const err = await provider.embed(['hello']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AiModelError);
    expect((err as AiModelError).awsCode).toBe('ModelErrorException');
  });

  test('when sentiment comes back as strict JSON, then it is used; when the model rambles, then the local scorer answers', async () => {
    const converse = (text: string) => ({
      output: { message: { role: 'assistant', content: [{ text }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 10, outputTokens: 10, totalTokens: 20 },
      metrics: { latencyMs: 100 },
    });
    nock(ENDPOINT)
      .post(path(REPLY_MODEL, 'converse'), record)
      .reply(200, converse('{"label":"NEGATIVE","score":-0.7}'))
      .post(path(REPLY_MODEL, 'converse'))
      .reply(200, converse('I think the customer is upset.'));
    await expect(provider.sentiment(`angry, call ${PII.phone}`)).resolves.toEqual({
      label: 'NEGATIVE',
      score: -0.7,
    });
    await expect(provider.sentiment('Thank you, this is excellent!')).resolves.toMatchObject({
      label: 'POSITIVE',
    });
    expect(recorded.join()).not.toContain(PII.phone);
  });
});
