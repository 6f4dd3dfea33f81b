import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { LocalProvider } from '../../server/ai/local';
import { runSuggest, suggestCommand, SuggestInputError } from '../../server/cli/suggest';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suggest-'));
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
};

const ARTICLES = {
  articles: [
    {
      id: 101,
      title: 'How to cancel an order',
      body: '<p>To cancel an order, open <b>Order History</b> and click Cancel Order next to it.</p><p>Shipped orders cannot be cancelled.</p>',
      html_url: 'https://acme.zendesk.com/hc/en-us/articles/101',
      locale: 'en-us',
      draft: false,
    },
    {
      id: 102,
      title: 'Resetting your password',
      body: '<p>Click Forgot password on the sign-in page and follow the link we email you.</p>',
      locale: 'en-us',
    },
    {
      id: 103,
      title: 'Cómo cancelar un pedido',
      body: '<p>Para cancelar un pedido, abre el Historial de pedidos y pulsa Cancelar pedido.</p>',
      locale: 'es',
    },
  ],
};

describe('concierge suggest', () => {
  const articles = file('articles.json', JSON.stringify(ARTICLES, null, 2));
  const questions = file(
    'questions.txt',
    'How do I cancel my order?\n\nI forgot my password\n¿Cómo cancelo mi pedido?\n',
  );

  test('when run with --json, then one line per question comes back in order, best article first, with a reply', async () => {
    const out: string[] = [];
    await runSuggest({ articles, questions, json: true }, (s) => out.push(s), new LocalProvider());
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            question: string;
            articles: Array<{ id: number; score: number }>;
            reply: string;
          },
      );
    expect(lines.map((l) => l.question)).toEqual([
      'How do I cancel my order?',
      'I forgot my password',
      '¿Cómo cancelo mi pedido?',
    ]);
    expect(lines.map((l) => l.articles[0]!.id)).toEqual([101, 102, 103]);
    expect(lines[0]!.reply).toContain('click Cancel Order');
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(['question', 'articles', 'reply']);
      for (const a of l.articles) expect(Object.keys(a)).toEqual(['id', 'score']);
    }
  });

  test('when run through the command without --json, then a readable listing names titles and the reply', async () => {
    const program = new Command('concierge').exitOverride();
    suggestCommand(program);
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      written.push(String(s));
      return true;
    });
    try {
      await program.parseAsync([
        'node',
        'concierge',
        'suggest',
        '--articles',
        articles,
        '--questions',
        questions,
      ]);
    } finally {
      spy.mockRestore();
    }
    const text = written.join('');
    expect(text).toContain('1. How do I cancel my order?');
    expect(text).toContain('#101  How to cancel an order');
    expect(text).toMatch(/reply \(local, confidence 0\.\d\d\): .*Cancel Order/);
  });

  test('when the articles file is not JSON, then the error names the file and the line', async () => {
    const bad = file('bad.json', '{\n  "articles": [\n    { "id": 1, "title": "x", }\n  ]\n}\n');
    const err = await runSuggest({ articles: bad, questions }, () => undefined, new LocalProvider()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SuggestInputError);
    expect((err as Error).message).toMatch(
      new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 3: not valid JSON`),
    );
  });

  test('when an article lacks a title, then the error names the file, line, article and field', async () => {
    const bad = file(
      'notitle.json',
      '{\n  "articles": [\n    { "id": 5, "title": "ok", "body": "" },\n    { "id": 6, "body": "<p>x</p>" }\n  ]\n}\n',
    );
    const err = await runSuggest({ articles: bad, questions }, () => undefined, new LocalProvider()).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/notitle\.json: line 4, articles\[1\]\.title: /);
  });

  test('when the questions file is empty or missing, then the error says which file', async () => {
    const empty = file('empty.txt', '\n\n');
    await expect(
      runSuggest({ articles, questions: empty }, () => undefined, new LocalProvider()),
    ).rejects.toThrow(/empty\.txt: no questions/);
    await expect(
      runSuggest({ articles, questions: path.join(dir, 'nope.txt') }, () => undefined, new LocalProvider()),
    ).rejects.toThrow(/nope\.txt: cannot read \(ENOENT\)/);
  });
});
