import { InvalidArgumentError, type Command } from 'commander';

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port, 0 to 65535');
  return n;
};
const speed = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0.25 || n > 20) throw new InvalidArgumentError('a number from 0.25 to 20');
  return n;
};

/**
 * `concierge demo [--keep] [--port N] [--speed X]`: prints one URL, runs until SIGINT/SIGTERM, then
 * stops everything it started. The demo's modules (and the doubles' spec checker) load only here.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the whole product on this machine with no accounts: prints one URL to open')
    .option('--keep', 'continue from the last demo run instead of starting clean')
    .option('--port <n>', 'port of the demo page (0 = any free port)', port, 3100)
    .option('--speed <x>', 'replay speed of the recorded calls (1 = real time)', speed, 1)
    .action(async (o: { keep?: boolean; port: number; speed: number }) => {
      let startDemo: (typeof import('../demo/index'))['startDemo'];
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, like the runtime
        ({ startDemo } = require('../demo/index') as typeof import('../demo/index'));
      } catch (err) {
        // The production image leaves out the doubles and dev packages the demo needs (see deploy/).
        if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
        process.stderr.write(
          'concierge demo: this installation has no demo files (the production image leaves them out); ' +
            'run it from a clone of the repository: npm ci && npm run demo\n',
        );
        process.exitCode = 2;
        return;
      }
      const demo = await startDemo({
        keep: o.keep === true,
        port: o.port,
        speed: o.speed,
        env: process.env,
        out: process.stdout,
        progress: (line) => process.stderr.write(`concierge demo: ${line}\n`),
      });
      process.stderr.write('concierge demo: running; Ctrl-C stops it.\n');
      const stop = (signal: NodeJS.Signals) => {
        process.stderr.write(`concierge demo: ${signal}, stopping…\n`);
        setTimeout(() => {
          process.stderr.write('concierge demo: stopping took too long; exiting\n');
          process.exit(1);
        }, 20_000).unref();
        demo.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`concierge demo: error while stopping: ${String(err)}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
