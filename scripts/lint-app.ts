/**
 * `npm run lint:app [zip]`: validates the app package offline (see scripts/app-lint.ts for the rules).
 * Checks dist/concierge-app.zip by default, so run `npm run package` first.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import JSZip from 'jszip';
import { lintPackage } from './app-lint';
import { ZIP_PATH } from './package-app';

export async function readZip(file: string): Promise<{ files: Map<string, Buffer>; symlinks: string[] }> {
  const zip = await JSZip.loadAsync(readFileSync(file));
  const files = new Map<string, Buffer>();
  const symlinks: string[] = [];
  for (const entry of Object.values(zip.files)) {
    if (entry.dir) continue;
    // Unix mode in the upper 16 bits of the external attributes: 0o120000 is a symlink.
    const mode = typeof entry.unixPermissions === 'number' ? entry.unixPermissions : 0;
    if ((mode & 0o170000) === 0o120000) symlinks.push(entry.name);
    files.set(entry.name, await entry.async('nodebuffer'));
  }
  return { files, symlinks };
}

async function main(): Promise<void> {
  const file = path.resolve(process.argv[2] ?? ZIP_PATH);
  if (!existsSync(file)) {
    console.error(`${path.relative(process.cwd(), file)} not found: run \`npm run package\` first.`);
    process.exit(2);
  }
  const { files, symlinks } = await readZip(file);
  const { errors, warnings } = lintPackage(files, { symlinks });
  for (const w of warnings) console.log(`warning  ${w.file}: ${w.message}`);
  for (const e of errors) console.log(`error    ${e.file}: ${e.message}`);
  console.log(
    `${path.relative(process.cwd(), file)}: ${files.size} files, ${errors.length} errors, ${warnings.length} warnings`,
  );
  if (errors.length) process.exit(1);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
