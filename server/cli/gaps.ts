import fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { analyzeGaps, type Gap, type GapReport } from '../knowledge/gaps';
import { emptyReadStats, readTicketsNdjson } from '../knowledge/ingest';
import { parseArticlesJson, type InputProblem } from '../knowledge/tickets';

/**
 * `concierge gaps analyze --tickets T.ndjson --articles A.json [--json]`: the knowledge-gap report
 * from exports. Malformed lines are reported (line number and what is wrong) and skipped; the exit
 * code is non-zero only when nothing could be read (no ticket, or no readable articles file).
 */

export interface GapsCliOptions {
  tickets: string;
  articles: string;
  json?: boolean;
  minSize?: number;
  maxCoverage?: number;
  /** Problems printed one by one before they are only counted. */
  maxMessages?: number;
}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** A progress bar on a terminal's stderr; nothing at all when stderr is a file or a pipe. */
class ProgressBar {
  private last = 0;
  private shown = false;
  constructor(private readonly err: CliIo['stderr']) {}

  update(label: string, fraction: number): void {
    if (!this.err.isTTY) return;
    const now = Date.now();
    if (now - this.last < 100 && fraction < 1) return;
    this.last = now;
    const width = 30;
    const done = Math.max(0, Math.min(width, Math.round(fraction * width)));
    const line = `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${label}`;
    this.err.write(`\r\x1b[2K${line.slice(0, (this.err.columns ?? 100) - 1)}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.err.write('\r\x1b[2K');
    this.shown = false;
  }
}

const PHASES: Record<string, [number, number]> = {
  reading: [0, 0.6],
  seeding: [0.6, 0.65],
  clustering: [0.65, 0.9],
  merging: [0.9, 0.95],
};

/** Runs the analysis; returns the exit code (0, or 1 when nothing could be read). */
export async function runGapsAnalyze(o: GapsCliOptions, io: CliIo): Promise<number> {
  const bar = new ProgressBar(io.stderr);
  const maxMessages = o.maxMessages ?? 20;
  let printed = 0;
  const report = (file: string, p: InputProblem) => {
    if (printed++ < maxMessages) {
      bar.clear();
      io.stderr.write(`concierge: ${file}${p.line > 0 ? ` line ${p.line}` : ''}: ${p.message}\n`);
    }
  };

  let articlesJson: string;
  try {
    articlesJson = fs.readFileSync(o.articles, 'utf8');
  } catch (err) {
    io.stderr.write(`concierge: cannot read ${o.articles}: ${(err as Error).message}\n`);
    return 1;
  }
  const { articles, problems } = parseArticlesJson(articlesJson);
  // Article problems name their position in the list themselves ("article 3: …").
  for (const p of problems) report(o.articles, { line: 0, message: p.message });
  if (problems.some((p) => p.line === 0)) return 1; // the file as a whole is unusable

  let size = 0;
  let input: fs.ReadStream;
  try {
    size = fs.statSync(o.tickets).size;
    input = fs.createReadStream(o.tickets);
  } catch (err) {
    io.stderr.write(`concierge: cannot read ${o.tickets}: ${(err as Error).message}\n`);
    return 1;
  }
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    io.stderr.write(`concierge: cannot read ${o.tickets}: ${(err as Error).message}\n`);
    return 1;
  }

  const stats = emptyReadStats();
  const tickets = readTicketsNdjson(input, {
    stats,
    onProblem: (p) => report(o.tickets, p),
    onProgress: (bytes, lines) =>
      bar.update(
        `reading tickets (${lines.toLocaleString('en-US')} lines)`,
        (bytes / Math.max(1, size)) * 0.6,
      ),
  });
  let result: GapReport;
  try {
    result = await analyzeGaps(tickets, articles, {
      ...(o.minSize !== undefined ? { minGapSize: o.minSize } : {}),
      ...(o.maxCoverage !== undefined ? { maxCoverage: o.maxCoverage } : {}),
      onProgress: (phase, done) => {
        const [from, to] = PHASES[phase] ?? [0.95, 1];
        bar.update(phase, from + (to - from) * done);
      },
    });
  } catch (err) {
    bar.clear();
    io.stderr.write(`concierge: cannot read ${o.tickets}: ${(err as Error).message}\n`);
    return 1;
  }
  bar.clear();
  const malformed = stats.malformed + problems.length;
  if (printed > maxMessages) io.stderr.write(`concierge: … and ${printed - maxMessages} more problems\n`);
  if (stats.tickets === 0) {
    io.stderr.write(
      `concierge: no ticket could be read from ${o.tickets} (${stats.lines} lines, ${stats.malformed} malformed)\n`,
    );
    return 1;
  }
  if (malformed > 0) {
    io.stderr.write(
      `concierge: skipped ${stats.malformed} malformed ticket lines and ${problems.length} articles\n`,
    );
  }
  result.stats = {
    ...result.stats,
    lines: stats.lines,
    malformedLines: stats.malformed,
    duplicateTickets: stats.duplicates,
    skippedArticles: problems.length,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    // CPU time tells the cost apart from waiting on a busy machine (the analysis is single-threaded).
    cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
  };
  io.stdout.write(o.json ? `${JSON.stringify(result)}\n` : formatTable(result));
  return 0;
}

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

/** The report as a terminal table, highest impact first. */
export function formatTable(r: GapReport): string {
  const s = r.stats;
  const lines = [
    `Knowledge gaps: ${s.gaps} (${s.gapTickets.toLocaleString('en-US')} tickets) among ${s.clusters.toLocaleString('en-US')} topics ` +
      `from ${s.tickets.toLocaleString('en-US')} tickets and ${s.articles} articles`,
    '',
  ];
  if (r.gaps.length === 0)
    lines.push('No gaps: every topic with enough tickets has an article that covers it.');
  else {
    lines.push(
      `${pad('#', 4)}${pad('impact', 10)}${pad('tickets', 9)}${pad('coverage', 10)}${pad('trend', 8)}${pad('topic', 34)}example question`,
    );
    r.gaps.forEach((g: Gap, i) => {
      const trend = `${g.impact.trend >= 0 ? '+' : ''}${Math.round(g.impact.trend * 100)}%`;
      lines.push(
        `${pad(String(i + 1), 4)}${pad(g.impact.score.toLocaleString('en-US'), 10)}${pad(String(g.size), 9)}` +
          `${pad(g.coverage.toFixed(2), 10)}${pad(trend, 8)}${pad(g.label, 34)}${pad(g.questions[0] ?? '', 60)}`,
      );
      if (g.topArticle)
        lines.push(
          `${' '.repeat(4)}closest article: ${g.topArticle.title} (${g.topArticle.score.toFixed(2)})`,
        );
    });
  }
  lines.push('', `Gap ids are stable across runs; --json gives ticket ids, questions and impact details.`);
  return `${lines.join('\n')}\n`;
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive whole number');
  return n;
};
const fraction = (v: string) => {
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('a number in (0, 1]');
  return n;
};

/** Adds `gaps analyze` to the program (server/cli/main.ts calls this). */
export function registerGapsCommand(program: Command): Command {
  const gaps = program
    .command('gaps')
    .description('knowledge gaps: questions the Help Center does not answer');
  gaps
    .command('analyze')
    .description('offline knowledge-gap report from a ticket export (NDJSON) and a Help Center articles list')
    .requiredOption('--tickets <file>', 'tickets, one Zendesk ticket object per line (comments optional)')
    .requiredOption('--articles <file>', 'Help Center articles list: {"articles": [...]}')
    .option('--json', 'JSON output: {"gaps": [...], "stats": {...}}')
    .option('--min-size <n>', 'fewest tickets for a gap (default: max(5, 0.1% of tickets))', positiveInt)
    .option(
      '--max-coverage <x>',
      'a topic whose best article scores below this is a gap (default 0.22)',
      fraction,
    )
    .action(async (o: GapsCliOptions) => {
      process.exitCode = await runGapsAnalyze(o, { stdout: process.stdout, stderr: process.stderr });
    });
  return gaps;
}
