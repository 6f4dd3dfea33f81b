import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * `npm run build` in a child process (Vite is ESM-only; Jest runs tests as CommonJS), into assets/ or
 * into `outDir` (emptied first).
 */
export function buildAppAssets(outDir?: string): void {
  const result = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'app/vite.config.mts',
      ...(outDir ? ['--outDir', outDir, '--emptyOutDir'] : []),
      '--logLevel',
      'warn',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
}
