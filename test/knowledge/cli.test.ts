import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { runGapsAnalyze } from '../../server/cli/gaps';
import { HIDDEN_INTENTS, buildArticles, buildTickets, loadRows } from '../../server/demo/corpus';

jest.setTimeout(120_000);

const rows = loadRows();
let dir: string;
let articles: string;

function sink() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

async function analyze(ticketLines: string[], opts: { json?: boolean; articlesFile?: string } = {}) {
  const tickets = path.join(dir, `t-${Math.random().toString(36).slice(2)}.ndjson`);
  fs.writeFileSync(tickets, ticketLines.join('\n'));
  const out = sink();
  const err = sink();
  const code = await runGapsAnalyze(
    { tickets, articles: opts.articlesFile ?? articles, json: opts.json ?? true },
    { stdout: out.stream, stderr: err.stream },
  );
  return { code, stdout: out.text(), stderr: err.text() };
}

const ticketLines = (count: number) =>
  [...buildTickets(rows, { count, seed: 3 })].map((t) => JSON.stringify(t.value));

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaps-cli-'));
  articles = path.join(dir, 'articles.json');
  fs.writeFileSync(
    articles,
    JSON.stringify({ articles: buildArticles(rows, HIDDEN_INTENTS).map((a) => a.value) }),
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('concierge gaps analyze', () => {
  test('when some lines are malformed, then each is reported with its line number and the rest is analysed', async () => {
    const lines = ticketLines(600);
    lines.splice(2, 0, '{"id": 1, "subject": "broken');
    lines.splice(5, 0, '[1, 2, 3]');
    lines.splice(9, 0, '{"subject": "no id", "description": "where is my refund"}');
    lines.splice(12, 0, '{"id": 77777, "subject": "", "description": ""}');
    lines.splice(14, 0, '');
    const { code, stdout, stderr } = await analyze(lines);
    expect(code).toBe(0);
    expect(stderr).toMatch(/line 3: not valid JSON/);
    expect(stderr).toMatch(/line 6: expected a ticket object, got an array/);
    expect(stderr).toMatch(/line 10: not a ticket: id: /);
    expect(stderr).toMatch(/line 13: ticket 77777 has no customer text/);
    expect(stderr).toMatch(/skipped 4 malformed ticket lines/);
    const report = JSON.parse(stdout) as { stats: Record<string, unknown> };
    expect(report.stats.tickets).toBe(600);
    expect(report.stats.malformedLines).toBe(4);
  });

  test('when --json is given, then the output has exactly the documented shape', async () => {
    const { code, stdout } = await analyze(ticketLines(1500));
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      gaps: Array<Record<string, unknown>>;
      stats: Record<string, unknown>;
    };
    expect(Object.keys(report)).toEqual(['gaps', 'stats']);
    expect(report.gaps.length).toBeGreaterThan(0);
    for (const g of report.gaps) {
      const keys = Object.keys(g);
      expect(keys).toEqual(
        ['id', 'label', 'size', 'ticketIds', 'coverage', 'topArticle', 'questions', 'impact'].filter(
          (k) => k !== 'topArticle' || 'topArticle' in g,
        ),
      );
      expect(typeof g.id).toBe('string');
      expect(typeof g.label).toBe('string');
      expect(Array.isArray(g.ticketIds)).toBe(true);
      expect((g.ticketIds as number[]).every((id) => Number.isInteger(id))).toBe(true);
      expect(typeof g.coverage).toBe('number');
      expect(Array.isArray(g.questions)).toBe(true);
      expect(g.impact).toEqual(
        expect.objectContaining({
          score: expect.any(Number),
          handleMinutes: expect.any(Number),
          reopenRate: expect.any(Number),
          trend: expect.any(Number),
          weekly: expect.any(Array),
        }),
      );
    }
    expect(report.stats).toEqual(
      expect.objectContaining({ tickets: 1500, articles: 21, gaps: report.gaps.length }),
    );
  });

  test('without --json, then a readable table', async () => {
    const { code, stdout } = await analyze(ticketLines(1500), { json: false });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Knowledge gaps: \d+/);
    expect(stdout).toMatch(/impact\s+tickets\s+coverage\s+trend\s+topic/);
  });

  test('when no line is a ticket, then the exit code is 1 and the reason is given', async () => {
    const { code, stderr } = await analyze(['not json', '{"foo": 1}', '']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/line 1: not valid JSON/);
    expect(stderr).toMatch(/line 2: not a ticket/);
    expect(stderr).toMatch(/no ticket could be read/);
  });

  test('when the articles file is not an articles list, then the exit code is 1', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"sections": []}');
    const { code, stderr } = await analyze(ticketLines(50), { articlesFile: bad });
    expect(code).toBe(1);
    expect(stderr).toMatch(/expected \{"articles": \[\.\.\.\]\}/);
  });

  test('when a file does not exist, then the exit code is 1 and the file is named', async () => {
    const out = sink();
    const err = sink();
    const code = await runGapsAnalyze(
      { tickets: path.join(dir, 'missing.ndjson'), articles },
      { stdout: out.stream, stderr: err.stream },
    );
    expect(code).toBe(1);
    expect(err.text()).toMatch(/cannot read .*missing\.ndjson/);
  });

  test('through bin/concierge: exit 0 with a bad line among good ones, usage errors exit 2', () => {
    const tickets = path.join(dir, 'bin.ndjson');
    fs.writeFileSync(tickets, [...ticketLines(300), 'oops'].join('\n'));
    const bin = path.resolve(__dirname, '../../bin/concierge');
    const ok = spawnSync(
      process.execPath,
      [bin, 'gaps', 'analyze', '--tickets', tickets, '--articles', articles, '--json'],
      {
        encoding: 'utf8',
      },
    );
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/bin\.ndjson line 301: not valid JSON/);
    expect(JSON.parse(ok.stdout)).toHaveProperty('gaps');
    const usage = spawnSync(process.execPath, [bin, 'gaps', 'analyze', '--tickets', tickets], {
      encoding: 'utf8',
    });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--articles/);
  });
});
