import fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { AppError } from '../errors';
import { AiConfigError, aiConfigShape, createProvider, type AiProvider } from '../ai/index';
import { guessLanguage } from '../ai/text';
import { buildIndex, suggest, type ArticleInput } from '../suggestions/index';

/** Malformed input files: one message naming the file and where, exit code 1 through main(). */
export class SuggestInputError extends AppError {
  constructor(message: string) {
    super('invalid_input', message, 400);
  }
}

/** The Help Center API article fields we read (`body` is the article's HTML). */
const articleSchema = z.object({
  id: z.number().int(),
  title: z.string(),
  body: z.string().nullable().optional(),
  body_html: z.string().optional(),
  html_url: z.string().nullable().optional(),
  locale: z.string().nullable().optional(),
  draft: z.boolean().optional(),
});
const articlesFileSchema = z.object({ articles: z.array(z.unknown()) });

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Reads `{"articles":[...]}`, naming the file, line and field of anything malformed. */
export function readArticlesFile(path: string): ArticleInput[] {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new SuggestInputError(
      `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const where = pos ? `line ${lineOf(text, Number(pos[1]))}: ` : '';
    throw new SuggestInputError(`${path}: ${where}not valid JSON (${msg})`);
  }
  const top = articlesFileSchema.safeParse(json);
  if (!top.success) {
    throw new SuggestInputError(`${path}: expected a Help Center articles list {"articles":[...]}`);
  }
  const problems: string[] = [];
  const articles: ArticleInput[] = [];
  top.data.articles.forEach((raw, i) => {
    const parsed = articleSchema.safeParse(raw);
    if (!parsed.success) {
      const id = (raw as { id?: unknown } | null)?.id;
      const at = typeof id === 'number' ? new RegExp(`"id"\\s*:\\s*${id}\\b`).exec(text) : null;
      const where = at ? `line ${lineOf(text, at.index)}, ` : '';
      for (const issue of parsed.error.issues) {
        problems.push(
          `${path}: ${where}articles[${i}]${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`,
        );
      }
      return;
    }
    const a = parsed.data;
    articles.push({
      id: a.id,
      title: a.title,
      body_html: a.body_html ?? a.body ?? '',
      ...(a.html_url ? { html_url: a.html_url } : {}),
      ...(a.locale ? { locale: a.locale } : {}),
    });
  });
  if (problems.length) throw new SuggestInputError(problems.slice(0, 20).join('\n'));
  if (articles.length === 0) throw new SuggestInputError(`${path}: no articles`);
  return articles;
}

/** One question per line; blank lines are skipped. */
export function readQuestionsFile(path: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new SuggestInputError(
      `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  const questions: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.includes('\u0000'))
        throw new SuggestInputError(`${path}: line ${i + 1}: binary data, not text`);
      if (line.length > 20_000)
        throw new SuggestInputError(`${path}: line ${i + 1}: longer than 20,000 characters`);
      if (line.trim()) questions.push(line.trim());
    });
  if (questions.length === 0) throw new SuggestInputError(`${path}: no questions (one per line)`);
  return questions;
}

export interface SuggestOptions {
  articles: string;
  questions: string;
  json?: boolean;
  locale?: string;
  k?: number;
}

/** The whole command: reads both files, answers each question, writes lines through `write`. */
export async function runSuggest(
  opts: SuggestOptions,
  write: (s: string) => void,
  provider: AiProvider = providerFromEnv(),
): Promise<void> {
  const articles = readArticlesFile(opts.articles);
  const questions = readQuestionsFile(opts.questions);
  const index = buildIndex(articles);
  for (const [n, question] of questions.entries()) {
    const s = await suggest(provider, index, question, opts.locale ?? guessLanguage(question), {
      k: opts.k ?? 3,
    });
    const ranked: Array<{ id: number; title: string; score: number }> = [];
    for (const p of s.passages) {
      if (!ranked.some((r) => r.id === p.articleId))
        ranked.push({ id: p.articleId, title: p.title, score: p.score });
    }
    if (opts.json) {
      write(
        `${JSON.stringify({ question, articles: ranked.map(({ id, score }) => ({ id, score })), reply: s.reply })}\n`,
      );
      continue;
    }
    const lines = [`${n + 1}. ${question}`];
    if (ranked.length === 0) lines.push('   no matching article');
    for (const r of ranked) lines.push(`   #${r.id}  ${r.title}  (${r.score.toFixed(2)})`);
    if (s.reply)
      lines.push(
        `   reply (${s.provider}, confidence ${s.confidence.toFixed(2)}): ${s.reply.replace(/\s*\n\s*/g, ' ')}`,
      );
    write(`${lines.join('\n')}\n\n`);
  }
}

/** The provider the environment asks for; a bad variable is named in the error. */
export function providerFromEnv(env: NodeJS.ProcessEnv = process.env): AiProvider {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = z.object(aiConfigShape).safeParse(cleaned);
  if (!parsed.success) {
    throw new AiConfigError(
      `Invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return createProvider(parsed.data);
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 50) throw new InvalidArgumentError('a whole number from 1 to 50');
  return n;
};

/** Adds `concierge suggest` to the program (server/cli/main.ts wires it). */
export function suggestCommand(program: Command): Command {
  return program
    .command('suggest')
    .description('offline suggestions: the best Help Center articles and a reply for each question')
    .requiredOption('--articles <file>', 'Help Center API articles list, {"articles":[...]}')
    .requiredOption('--questions <file>', 'one customer question per line')
    .option('--json', 'one JSON line per question: {"question","articles":[{"id","score"}],"reply"}')
    .option('--locale <locale>', "the customers' locale (default: guessed per question)")
    .option('-k, --top <n>', 'articles per question (default 3)', positiveInt)
    .action(
      async (o: { articles: string; questions: string; json?: boolean; locale?: string; top?: number }) => {
        await runSuggest(
          {
            articles: o.articles,
            questions: o.questions,
            ...(o.json ? { json: true } : {}),
            ...(o.locale ? { locale: o.locale } : {}),
            ...(o.top ? { k: o.top } : {}),
          },
          (s) => process.stdout.write(s),
        );
      },
    );
}
