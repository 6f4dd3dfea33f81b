import { cleanMessage, redact } from '../../server/knowledge/clean';
import { analyzeGaps, impactOf } from '../../server/knowledge/gaps';
import { parseTicketLine, type TicketDoc } from '../../server/knowledge/tickets';
import { Vectorizer, contentWords, dot, row } from '../../server/knowledge/vectors';

describe('cleaning customer messages', () => {
  test('when a message has a greeting, a signature and a quoted reply, then only the question is left', () => {
    const text = [
      'Hi John,',
      'how do I reset my password?',
      '',
      'Best regards,',
      'Jane Doe',
      '+1 (555) 123-4567',
      '',
      'On Mon, Jan 3, 2025 at 10:00 AM Support <support@acme.com> wrote:',
      '> To track your refund go to your orders',
    ].join('\n');
    expect(cleanMessage(text)).toBe('how do I reset my password?');
  });

  test('when the greeting and sign-off are in other languages, then they go too', () => {
    expect(cleanMessage('Hola equipo:\nquiero cancelar mi pedido\nSaludos cordiales\nJuan')).toBe(
      'quiero cancelar mi pedido',
    );
    expect(cleanMessage('Hallo,\nwo ist meine Bestellung?\n\nMit freundlichen Grüßen\nJürgen')).toBe(
      'wo ist meine Bestellung?',
    );
    expect(cleanMessage('Здравствуйте!\nгде мой заказ?\nС уважением, Олег')).toBe('где мой заказ?');
  });

  test('when a greeting has no punctuation, then the question is not eaten', () => {
    expect(cleanMessage('Hello I want to cancel my order, please')).toBe('I want to cancel my order, please');
  });

  test('personal data is replaced by placeholders', () => {
    expect(
      redact('mail jane.doe@example.com, card 4111 1111 1111 1111, call +44 20 7946 0958, order 987654321'),
    ).toBe('mail [email], card [card], call [phone], order [number]');
    expect(redact('see https://acme.example/help?id=1 or IBAN DE89 3704 0044 0532 0130 00')).toBe(
      'see [url] or IBAN [iban]',
    );
  });
});

describe('ticket questions', () => {
  test('subject + first message of the requester; the agent answer is kept apart', () => {
    const doc = parseTicketLine(
      JSON.stringify({
        id: 9,
        subject: 'Refund',
        requester_id: 5,
        description: 'ignored when comments exist',
        comments: [
          { author_id: 5, public: true, body: 'Hi,\nwhere is my refund?\nThanks\nAnn' },
          { author_id: 7, public: true, body: 'Hi Ann,\nRefunds take 5 days to reach your card.' },
          { author_id: 5, public: true, body: 'thanks!' },
        ],
        metric_set: { reopens: 1, replies: 2 },
      }),
      1,
    ) as TicketDoc;
    expect(doc.question).toBe('Refund\nwhere is my refund?');
    expect(doc.answer).toBe('Refunds take 5 days to reach your card.');
    expect(doc.reopened).toBe(true);
    expect(doc.handleMinutes).toBe(10);
  });

  test('a voice ticket is its transcript, its effort the call duration', () => {
    const doc = parseTicketLine(
      JSON.stringify({
        id: 10,
        requester_id: 5,
        comments: [
          {
            author_id: 5,
            type: 'VoiceComment',
            data: { transcription_text: 'my parcel never arrived', call_duration: 300 },
          },
        ],
      }),
      1,
    ) as TicketDoc;
    expect(doc.question).toBe('my parcel never arrived');
    expect(doc.handleMinutes).toBe(5);
  });
});

describe('local vectors', () => {
  test('words are language-aware: stopwords of the text language out, Unicode kept, CJK as bigrams', () => {
    expect(contentWords('¿Dónde está mi reembolso?').words).toEqual(['dónde', 'está', 'reembolso']);
    expect(contentWords('где мой заказ').lang).toBe('ru');
    expect(contentWords('注文をキャンセル').words).toContain('注文');
  });

  test('typos fold onto the common spelling, inflections meet through stems', () => {
    const v = new Vectorizer({ secondViewWeight: 0 });
    for (let i = 0; i < 12; i++) v.add('how do I cancel my order');
    v.add('how do I cancle my order');
    v.add('cancelling orders');
    const m = v.fit();
    expect(dot(row(m, 12), row(m, 0))).toBeCloseTo(1, 5); // "cancle" → "cancel"
    expect(dot(row(m, 13), row(m, 0))).toBeCloseTo(1, 5); // "cancelling orders" → cancel, order
  });

  test('when two sentences or lines follow each other, then no bigram spans them', () => {
    expect(contentWords('Delete my account.\nYou can reach me at [email].').starts).toEqual([2]);
    const v = new Vectorizer();
    for (let i = 0; i < 3; i++) {
      v.add('delete my account\nyou can reach me at [email]');
      v.add('rebate dollars. reach me at [phone]');
      v.add('account reach'); // the only real "account reach" bigram
    }
    v.fit();
    const names = (text: string) => {
      const x = v.transform(text);
      return [...x.indices].map((f) => v.featureName(f)).sort();
    };
    expect(names('delete my account\nyou can reach me')).toEqual([
      'account',
      'delete',
      'delete account',
      'reach',
    ]);
    expect(names('rebate dollars. reach me')).toEqual(['dollars', 'reach', 'rebate', 'rebate dollars']);
    expect(names('account reach')).toEqual(['account', 'account reach', 'reach']);
  });
});

describe('impact', () => {
  test('tickets × handle minutes × (1 + reopen rate), scaled by the recent trend', () => {
    const week = 7 * 24 * 3600 * 1000;
    const latest = Date.parse('2025-06-30T00:00:00Z');
    const docs: TicketDoc[] = [0, 0, 0, 5].map((w, i) => ({
      id: i,
      question: 'q',
      createdAt: latest - w * week,
      handleMinutes: 10,
      reopened: i === 0,
    }));
    const impact = impactOf(docs, [0, 1, 2, 3], latest, 8);
    expect(impact.weekly).toEqual([0, 0, 1, 0, 0, 0, 0, 3]);
    expect(impact.trend).toBe(2);
    expect(impact.reopenRate).toBe(0.25);
    expect(impact.score).toBe(Math.round(4 * 10 * 1.25 * 2));
  });
});

describe('provider vectors', () => {
  test('when an embedder is given, then clustering uses its vectors and the report keeps local labels', async () => {
    const texts = [...Array(30)].map((_, i) =>
      i % 2 ? `where is my refund number ${i}` : `parcel lost in transit ${i}`,
    );
    const docs: TicketDoc[] = texts.map((question, i) => ({
      id: i + 1,
      question,
      createdAt: Date.parse('2025-06-01T00:00:00Z'),
      handleMinutes: 5,
      reopened: false,
    }));
    const seen: string[] = [];
    const embedder = {
      name: 'fake',
      embed: async (batch: string[]) => {
        seen.push(...batch);
        return batch.map((t) => Float32Array.from(t.includes('refund') ? [1, 0, 0] : [0, 0.6, 0.8]));
      },
    };
    const report = await analyzeGaps(docs, [], { embedder, minGapSize: 5 });
    expect(seen).toHaveLength(30);
    expect(report.stats.vectors).toBe('fake');
    expect(report.gaps.map((g) => g.size).sort()).toEqual([15, 15]);
    expect(report.gaps.map((g) => g.label).join(' ')).toMatch(/refund/);
  });
});
