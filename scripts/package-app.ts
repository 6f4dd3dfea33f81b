/**
 * `npm run package`: builds app/ into assets/ and writes dist/concierge-app.zip holding only
 * manifest.json, assets/, translations/ (and requirements.json when there is one), ready to upload
 * (Admin Center → Apps → Upload private app, `zcli apps:create`, or Marketplace submission).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import JSZip from 'jszip';
import { build } from 'vite';

export const ROOT = path.resolve(__dirname, '..');
export const ZIP_PATH = path.join(ROOT, 'dist', 'concierge-app.zip');
// Fixed timestamps keep the zip byte-identical for identical inputs.
const FIXED_DATE = new Date('2000-01-01T00:00:00Z');

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(full, base);
    return entry.isFile() ? [path.relative(base, full).split(path.sep).join('/')] : [];
  });
}

export async function buildApp(): Promise<void> {
  await build({ configFile: path.join(ROOT, 'app/vite.config.mts'), logLevel: 'warn' });
}

export function packageFiles(): string[] {
  const files = ['manifest.json'];
  if (existsSync(path.join(ROOT, 'requirements.json'))) files.push('requirements.json');
  for (const dir of ['assets', 'translations']) {
    files.push(
      ...listFiles(path.join(ROOT, dir))
        .map((f) => `${dir}/${f}`)
        .filter((f) => !path.basename(f).startsWith('.')),
    );
  }
  return files.sort();
}

export async function writeZip(): Promise<{ path: string; files: string[]; bytes: number }> {
  const zip = new JSZip();
  const files = packageFiles();
  for (const file of files) {
    zip.file(file, readFileSync(path.join(ROOT, file)), { date: FIXED_DATE, createFolders: false });
  }
  const data = await zip.generateAsync({
    type: 'nodebuffer',
    compression: 'DEFLATE',
    compressionOptions: { level: 9 },
  });
  mkdirSync(path.dirname(ZIP_PATH), { recursive: true });
  writeFileSync(ZIP_PATH, data);
  return { path: ZIP_PATH, files, bytes: statSync(ZIP_PATH).size };
}

async function main(): Promise<void> {
  await buildApp();
  const { path: zipPath, files, bytes } = await writeZip();
  console.log(`${path.relative(ROOT, zipPath)}: ${files.length} files, ${(bytes / 1024).toFixed(1)} KiB`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
