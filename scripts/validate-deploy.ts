/**
 * Validates deploy/ offline (no Docker engine, no AWS): `npx tsx scripts/validate-deploy.ts`.
 * Prints each problem and exits 1 when there is one; says which checks could not run here.
 */
import path from 'node:path';
import { validateDeploy } from './deploy-check';

const root = path.resolve(__dirname, '..');
const result = validateDeploy({ root });
for (const p of result.problems) process.stderr.write(`✗ ${p}\n`);
for (const s of result.skipped) process.stdout.write(`- skipped ${s}\n`);
process.stdout.write(
  `deploy: ${result.ran.join(', ')}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}\n`,
);
process.exitCode = result.problems.length ? 1 : 0;
