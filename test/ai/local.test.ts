import { createProvider } from '../../server/ai/index';
import { LocalProvider } from '../../server/ai/local';
import { cosine, fitIdf } from '../../server/ai/vectors';
import type { Passage, ReplyChunk } from '../../server/ai/types';

const PASSAGES: Passage[] = [
  {
    articleId: 7,
    title: 'How to cancel an order',
    url: 'https://x.zendesk.com/hc/articles/7',
    text: 'We are sorry to see you go. To cancel an order, open Order History and click Cancel Order next to it. Orders that have shipped cannot be cancelled. Refunds for cancelled orders arrive within 5 days.',
    score: 0.55,
    locale: 'en-us',
  },
  {
    articleId: 9,
    title: 'Delivery times',
    text: 'Standard delivery takes 3 to 5 working days. Express delivery arrives the next day.',
    score: 0.2,
    locale: 'en-us',
  },
];

async function collect(iter: AsyncIterable<ReplyChunk>): Promise<ReplyChunk[]> {
  const out: ReplyChunk[] = [];
  for await (const c of iter) out.push(c);
  return out;
}

describe('local provider', () => {
  const provider = new LocalProvider();

  test('when no AI_PROVIDER is configured, then the local provider is chosen', () => {
    expect(createProvider({}).name).toBe('local');
    expect(createProvider({ AI_PROVIDER: 'local', AWS_REGION: 'us-east-1' }).name).toBe('local');
    expect(() => createProvider({ AI_PROVIDER: 'bedrock' })).toThrow(/BEDROCK_REPLY_MODEL_ID/);
    expect(createProvider({ AI_PROVIDER: 'bedrock', BEDROCK_REPLY_MODEL_ID: 'm' }).name).toBe('bedrock');
  });

  test('when a customer asks how to cancel, then the reply is made only of article sentences about cancelling', async () => {
    const chunks = await collect(
      provider.reply({
        conversation: 'Hi, how can I cancel my order? It has not shipped yet.',
        passages: PASSAGES,
        locale: 'en',
      }),
    );
    const final = chunks[chunks.length - 1]!;
    if (final.type !== 'final') throw new Error('no final chunk');
    expect(final.text).toContain('click Cancel Order');
    expect(final.text).not.toContain('sorry to see you go');
    const source = PASSAGES.map((p) => p.text).join(' ');
    for (const sentence of final.text.split(/(?<=\.)\s+/)) expect(source).toContain(sentence);
    expect(final.citations).toEqual([
      { articleId: 7, title: 'How to cancel an order', url: 'https://x.zendesk.com/hc/articles/7' },
    ]);
    expect(final.confidence).toBeGreaterThan(0.5);
    const tokens = chunks.filter((c) => c.type === 'token').map((c) => (c as { text: string }).text);
    expect(tokens.join('')).toBe(final.text);
  });

  test('when there is nothing to ground a reply in, then the reply is empty with zero confidence', async () => {
    const chunks = await collect(
      provider.reply({ conversation: 'my cat is sick', passages: [], locale: 'en' }),
    );
    expect(chunks).toEqual([{ type: 'final', text: '', citations: [], confidence: 0, provider: 'local' }]);
  });

  test('when the same texts are embedded twice, then the vectors are identical, unit length, and related texts are closer', async () => {
    const [a, b, c] = await provider.embed([
      'How do I cancel my order?',
      'I want to cancel an order I placed',
      'What are your delivery times to Spain?',
    ]);
    const [a2] = await provider.embed(['How do I cancel my order?']);
    expect(Array.from(a2!)).toEqual(Array.from(a!));
    expect(a!.length).toBe(1024);
    expect(cosine(a!, a!)).toBeCloseTo(1, 5);
    expect(cosine(a!, b!)).toBeGreaterThan(cosine(a!, c!) + 0.2);
  });

  test('when IDF is fitted on a corpus, then shared filler words weigh less than topic words', async () => {
    const corpus = [
      'please help me with my order',
      'please help me with my refund',
      'please help me with my invoice',
    ];
    const withIdf = new LocalProvider({ idf: fitIdf(corpus) });
    const [x, y] = await withIdf.embed(['please help me with my order', 'please help me with my refund']);
    const [x0, y0] = await provider.embed(['please help me with my order', 'please help me with my refund']);
    expect(cosine(x!, y!)).toBeLessThan(cosine(x0!, y0!));
  });
});
