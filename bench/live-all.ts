/**
 * `bench live`: both halves of the live-sidebar benchmark in one run and one JSON document —
 * segment → sidebar over 500 open event streams (bench/live.ts) and local suggestions over 10,000
 * articles beside PostgreSQL full-text search (bench/suggest.ts). They run one after the other so
 * neither measures the other's load.
 *
 * Options go to the half that knows them: --articles, --questions-per-intent and --csv to the
 * suggestions; everything else (--streams, --duration-s, --gap-ms, --seed, --pglite) to the streams.
 */
import { benchLive } from './live';
import { benchSuggest } from './suggest';

const SUGGEST_OPTIONS = new Set(['--articles', '--questions-per-intent', '--csv']);

export function splitLiveArgs(args: string[]): { live: string[]; suggest: string[] } {
  const live: string[] = [];
  const suggest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name] = arg.split('=');
    if (!SUGGEST_OPTIONS.has(name!)) live.push(arg);
    else if (arg.includes('=')) suggest.push(name!, arg.slice(name!.length + 1));
    else suggest.push(arg, ...(i + 1 < args.length ? [args[++i]!] : []));
  }
  return { live, suggest };
}

export async function benchLiveAndSuggest(args: string[]): Promise<Record<string, unknown>> {
  const split = splitLiveArgs(args);
  const streams = await benchLive(split.live);
  const suggestions = await benchSuggest(split.suggest);
  const met = (r: Record<string, unknown>) =>
    Object.values((r.targetsMet ?? {}) as Record<string, boolean>).every(Boolean);
  return {
    benchmark: 'live',
    command: `npm run bench -- live${args.length ? ` ${args.join(' ')}` : ''}`,
    streams,
    suggestions,
    targetsMet: { streams: met(streams), suggestions: met(suggestions) },
  };
}
