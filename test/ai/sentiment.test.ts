import { LocalProvider } from '../../server/ai/local';
import type { SentimentLabel } from '../../server/ai/types';

/** Hand-labeled customer utterances: clear cases, negation, intensifiers, contrast, other languages. */
const LABELED: Array<[string, SentimentLabel, string?]> = [
  ['Thank you so much, that was really helpful!', 'POSITIVE'],
  ['Great, it works now. Appreciate it.', 'POSITIVE'],
  ['The agent was friendly and the refund came fast', 'POSITIVE'],
  ['I love the new app, excellent job', 'POSITIVE'],
  ['Perfect, problem solved', 'POSITIVE'],
  ['not bad at all, pretty good actually', 'POSITIVE'],
  ['I am very satisfied with the service', 'POSITIVE'],
  ['Awesome :)', 'POSITIVE'],
  ['Where is my order?', 'NEUTRAL'],
  ['I would like to change my shipping address', 'NEUTRAL'],
  ['How do I cancel my subscription?', 'NEUTRAL'],
  ['My order number is 12345', 'NEUTRAL'],
  ['Can you send me the invoice for March', 'NEUTRAL'],
  ['What payment methods do you accept?', 'NEUTRAL'],
  ['I need to update my email address', 'NEUTRAL'],
  ['Please call me tomorrow morning', 'NEUTRAL'],
  ['I am not happy with this at all', 'NEGATIVE'],
  ['This is the worst service ever', 'NEGATIVE'],
  ['I have been waiting for two weeks and still nothing, this is ridiculous', 'NEGATIVE'],
  ['The package arrived damaged and nobody answers', 'NEGATIVE'],
  ["It doesn't work and I'm really frustrated", 'NEGATIVE'],
  ['You charged me twice, unacceptable', 'NEGATIVE'],
  ['I am extremely disappointed', 'NEGATIVE'],
  ['Terrible experience, I want to speak to a manager', 'NEGATIVE'],
  ['The product is not good', 'NEGATIVE'],
  ['I never received my refund, this is a scam', 'NEGATIVE'],
  ['this is a waste of time', 'NEGATIVE'],
  ['I am NOT satisfied', 'NEGATIVE'],
  ['Muchas gracias, excelente servicio', 'POSITIVE', 'es'],
  ['Estoy muy enfadado, el pedido no llegó', 'NEGATIVE', 'es'],
  ['Merci beaucoup, c’est parfait', 'POSITIVE', 'fr'],
  ['Je suis très déçu, ça ne fonctionne pas', 'NEGATIVE', 'fr'],
  ['Vielen Dank, super schnell!', 'POSITIVE', 'de'],
  ['Das ist nicht gut, ich bin enttäuscht', 'NEGATIVE', 'de'],
  ['Obrigado, resolvido!', 'POSITIVE', 'pt'],
  ['Grazie, tutto perfetto', 'POSITIVE', 'it'],
];

describe('local sentiment', () => {
  const provider = new LocalProvider();

  test('when labeled utterances are scored, then at least 90% get the right label', async () => {
    const wrong: string[] = [];
    for (const [text, label, locale] of LABELED) {
      const s = await provider.sentiment(text, locale);
      if (s.label !== label) wrong.push(`${text}: ${s.label} (${s.score})`);
    }
    expect(wrong.length / LABELED.length).toBeLessThanOrEqual(0.1);
  });

  test('when "happy" is negated, then the score turns negative', async () => {
    const plain = await provider.sentiment('I am happy with this');
    const negated = await provider.sentiment('I am not happy with this');
    expect(plain.score).toBeGreaterThan(0.2);
    expect(negated.score).toBeLessThan(-0.2);
  });

  test('when an intensifier is added, then the score moves further from zero', async () => {
    const plain = await provider.sentiment('the delivery was bad');
    const strong = await provider.sentiment('the delivery was extremely bad');
    expect(strong.score).toBeLessThan(plain.score);
  });

  test('when praise is followed by "but" and a complaint, then the complaint weighs more', async () => {
    const s = await provider.sentiment('The product is great but the support was terrible');
    expect(s.score).toBeLessThan(0);
  });

  test('when strong feelings both ways nearly cancel out, then the label is MIXED', async () => {
    const s = await provider.sentiment('I love the product. I hate the delivery.');
    expect(s.label).toBe('MIXED');
  });

  test('when any text is scored, then the score stays within -1..1', async () => {
    const s = await provider.sentiment('TERRIBLE!!!! AWFUL!!! WORST!!! HATE!!! '.repeat(20));
    expect(s.score).toBeGreaterThanOrEqual(-1);
    expect(s.score).toBeLessThan(-0.9);
  });
});
