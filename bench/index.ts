import fs from 'node:fs';
import path from 'node:path';
import { benchSync } from './sync';
import { benchGaps } from './gaps';
import { benchLiveAndSuggest } from './live-all';
import { benchBilling } from './billing';
import { UsageError } from './usage';

/**
 * `bin/bench [name] [options]`: runs benchmarks and prints one JSON document per benchmark on stdout
 * (progress goes to stderr). With no name, every available benchmark runs with its defaults. Exit code
 * 0 unless a benchmark crashed; missed targets are reported in the JSON (`targetsMet`), not as failures.
 */

type Bench = (args: string[]) => Promise<unknown>;

interface AppBenchModule {
  benchApp?: (args?: string[]) => unknown;
}

const APP_FILES = ['app.ts', 'app.js'];

/** bench/app.ts is written separately; it is optional here, so it is required lazily rather than imported. */
function loadAppBench(): Bench | string {
  if (!APP_FILES.some((f) => fs.existsSync(path.join(__dirname, f)))) {
    return 'bench/app.ts does not exist yet, so there is no app benchmark to run';
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional module: a static import breaks the typecheck while it is absent
  const mod = require('./app') as AppBenchModule;
  if (typeof mod.benchApp !== 'function') return 'bench/app.ts does not export benchApp()';
  const benchApp = mod.benchApp;
  return async (args) => benchApp(args);
}

const BENCHES: Record<string, () => Bench | string> = {
  sync: () => benchSync,
  gaps: () => benchGaps,
  live: () => benchLiveAndSuggest,
  billing: () => benchBilling,
  app: loadAppBench,
};

const USAGE = `usage: bench [${Object.keys(BENCHES).join('|')}] [options]   (no name: run all available)`;

function print(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === '--help' || name === '-h') {
    process.stderr.write(`${USAGE}\n`);
    return finish(0);
  }
  const selected = name === undefined ? Object.keys(BENCHES) : [name];
  let code = 0;
  for (const key of selected) {
    const resolve = BENCHES[key];
    if (!resolve) {
      process.stderr.write(`unknown benchmark "${key}"\n${USAGE}\n`);
      return finish(2);
    }
    const bench = resolve();
    if (typeof bench === 'string') {
      process.stderr.write(`[bench ${key}] skipped: ${bench}\n`);
      if (name !== undefined) code = 2; // asked for by name: say so in the exit code too
      continue;
    }
    try {
      const result = await bench(rest);
      // A benchmark that printed its own JSON returns nothing.
      if (result !== undefined) print(result);
    } catch (err) {
      if (err instanceof UsageError) {
        process.stderr.write(`[bench ${key}] ${err.message}\n`);
        return finish(2);
      }
      process.stderr.write(
        `[bench ${key}] crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      code = 1;
    }
  }
  return finish(code);
}

/**
 * Sets the exit code and makes sure the process ends: normally it exits by itself once everything is
 * closed; a handle some library left open would otherwise keep it alive, so an unref'd timer forces it.
 */
function finish(code: number): number {
  process.exitCode = code;
  setTimeout(() => {
    process.stderr.write('[bench] a handle was still open 5 s after the benchmarks ended; exiting\n');
    process.exit(code);
  }, 5_000).unref();
  return code;
}
