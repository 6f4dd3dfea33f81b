import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import nock from 'nock';
import { createProvider } from '../../server/ai/index';
import { extractiveDraft } from '../../server/ai/draft';
import type { DraftInput } from '../../server/ai/types';
import { sanitizeArticleHtml } from '../../server/knowledge/html-safe';

const ENDPOINT = 'https://bedrock-runtime.us-east-1.amazonaws.com';
const MODEL = 'amazon.nova-lite-v1:0';

const INPUT: DraftInput = {
  locale: 'en-us',
  questions: ['how do I reset my password?', 'forgot password, cannot log in'],
  answers: [
    {
      ticketId: 11,
      text: 'Go to the sign-in page and click Forgot password. We send a reset link to your e-mail within five minutes. Write to me at maria.lopez@example.com if it does not arrive.',
    },
    {
      ticketId: 12,
      text: 'Please click Forgot password on the sign-in page. We send a reset link to your e-mail within five minutes.',
    },
    {
      ticketId: 13,
      text: 'Click Forgot password on the sign in page. The reset link expires after 24 hours.',
    },
  ],
};

describe('local drafts', () => {
  test('when agents answered alike, then the draft keeps their sentences, most-supported first in their order, each with its tickets, and nothing else', () => {
    const d = extractiveDraft(INPUT);
    expect(d.title).toBe('How do I reset my password?');
    const all = INPUT.answers.map((a) => a.text).join(' ');
    for (const p of d.paragraphs) {
      const text = p.html.replace(/^<p>|<\/p>$/g, '');
      expect(all).toContain(text); // extractive: every paragraph is an agent's own sentence
      for (const id of p.sourceTicketIds) {
        expect(INPUT.answers.find((a) => a.ticketId === id)!.text.toLowerCase()).toContain(
          text.split(' ').slice(-3).join(' ').toLowerCase().replace(/\.$/, ''),
        );
      }
    }
    const reset = d.paragraphs.find((p) => p.html.includes('reset link to your e-mail'))!;
    expect(reset.sourceTicketIds).toEqual([11, 12]);
    // A sentence holding someone's e-mail address is not article material.
    expect(d.bodyHtml).not.toContain('@');
    expect(d.bodyHtml).toBe(d.paragraphs.map((p) => p.html).join('\n'));
  });

  test('when an answer holds markup, then the draft body escapes it', () => {
    const d = extractiveDraft({
      locale: 'en',
      questions: ['q'],
      answers: [
        { ticketId: 1, text: 'Open <b>Settings</b> and pick the billing tab to see invoices.' },
        { ticketId: 2, text: 'Open <b>Settings</b> and pick the billing tab to see invoices.' },
      ],
    });
    expect(d.bodyHtml).toContain('&lt;b&gt;Settings&lt;/b&gt;');
  });
});

describe('Help Center-safe HTML', () => {
  test.each([
    ['<p>ok</p><script>alert(1)</script>', '<p>ok</p>'],
    ['<p onclick="x()" style="color:red">hi</p>', '<p>hi</p>'],
    [
      '<a href="javascript:alert(1)">x</a> <a href="https://help.example.com/a?b=1&amp;c=2" target="_blank">y</a>',
      '<a>x</a> <a href="https://help.example.com/a?b=1&amp;c=2">y</a>',
    ],
    [
      '<iframe src="https://evil"></iframe><h2>Steps</h2><ol><li>One<li>Two</ol>',
      '<h2>Steps</h2><ol><li>One<li>Two</li></li></ol>',
    ],
    ['<div><span>text</span></div> 1 < 2', 'text 1 &lt; 2'],
    ['<p>unclosed <strong>bold', '<p>unclosed <strong>bold</strong></p>'],
  ])('%s → %s', (input, expected) => {
    expect(sanitizeArticleHtml(input)).toBe(expected);
  });
});

describe('Bedrock drafts (Converse, nock at the HTTP boundary)', () => {
  let client: BedrockRuntimeClient;
  const sent: string[] = [];
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => {
    sent.length = 0;
    client = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: ENDPOINT,
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler(),
    });
  });
  afterEach(() => {
    client.destroy();
    nock.cleanAll();
  });
  const provider = () =>
    createProvider({ AI_PROVIDER: 'bedrock', BEDROCK_REPLY_MODEL_ID: MODEL }, { bedrockClient: client });
  const converse = (text: string) => ({
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 300, outputTokens: 120, totalTokens: 420 },
    metrics: { latencyMs: 900 },
  });

  test('when the model answers the JSON contract, then paragraphs keep their sources, unknown sources are dropped, and no personal data was sent', async () => {
    const scope = nock(ENDPOINT)
      .post(`/model/${encodeURIComponent(MODEL)}/converse`, (body: unknown) => {
        sent.push(JSON.stringify(body));
        return true;
      })
      .reply(
        200,
        converse(
          'Here is the article:\n' +
            JSON.stringify({
              title: 'Resetting your password',
              paragraphs: [
                { text: 'On the sign-in page, click Forgot password.', sources: [11, 12, 13] },
                {
                  text: 'We send a reset link by e-mail within five minutes; it expires after 24 hours.',
                  sources: [12, 13],
                },
                { text: 'Call us on the hotline.', sources: [99] },
                { text: '<img src=x onerror=alert(1)>', sources: [11] },
              ],
            }),
        ),
      );
    const d = await provider().draft!(INPUT);
    expect(scope.isDone()).toBe(true);
    const request = JSON.parse(sent[0]!) as {
      system: Array<{ text: string }>;
      messages: Array<{ role: string; content: Array<{ text: string }> }>;
      inferenceConfig: { maxTokens: number; temperature: number };
    };
    expect(request.system[0]!.text).toMatch(/ONLY facts stated in the AGENT ANSWERS/);
    expect(request.messages[0]!.role).toBe('user');
    expect(request.messages[0]!.content[0]!.text).toContain('<answer ticket="12">');
    expect(sent[0]).not.toContain('maria.lopez@example.com');
    expect(sent[0]).toContain('[EMAIL_1]');
    expect(d.title).toBe('Resetting your password');
    expect(d.paragraphs).toEqual([
      { html: '<p>On the sign-in page, click Forgot password.</p>', sourceTicketIds: [11, 12, 13] },
      {
        html: '<p>We send a reset link by e-mail within five minutes; it expires after 24 hours.</p>',
        sourceTicketIds: [12, 13],
      },
      { html: '<p>&lt;img src=x onerror=alert(1)&gt;</p>', sourceTicketIds: [11] },
    ]);
  });

  test('when the model breaks the contract, then the draft is the extractive one', async () => {
    nock(ENDPOINT)
      .post(`/model/${encodeURIComponent(MODEL)}/converse`)
      .reply(200, converse('Sure! Just click the link.'));
    const d = await provider().draft!(INPUT);
    expect(d).toEqual(
      extractiveDraft({
        ...INPUT,
        answers: INPUT.answers.map((a) => ({
          ...a,
          text: a.text.replace('maria.lopez@example.com', '[EMAIL_1]'),
        })),
      }),
    );
  });

  test('when Bedrock throttles, then the error says so and carries the wait', async () => {
    nock(ENDPOINT)
      .post(`/model/${encodeURIComponent(MODEL)}/converse`)
      .reply(
        429,
        { message: 'Too many requests' },
        { 'x-amzn-errortype': 'ThrottlingException', 'retry-after': '3' },
      );
    await expect(provider().draft!(INPUT)).rejects.toMatchObject({
      name: 'AiThrottledError',
      retryAfterMs: 3000,
    });
  });
});
