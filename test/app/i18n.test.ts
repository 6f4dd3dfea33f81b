/**
 * Translations: per-key fallback, and coverage. Fails when a key used in app code is missing from
 * English, when a locale has keys English lacks, or when placeholders differ between languages.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createTranslator, LOCALES, loadMessages, resolveLocale, type MessageKey } from '../../app/i18n/i18n';
import en from '../../app/i18n/locales/en.json';

const ROOT = path.resolve(__dirname, '../..');
const APP = path.join(ROOT, 'app');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'public' ? [] : sourceFiles(full);
    return /\.(ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

const enKeys = Object.keys(en) as MessageKey[];
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();
const source = sourceFiles(APP).map((f) => ({ file: path.relative(ROOT, f), text: readFileSync(f, 'utf8') }));
/** String literals in app code that look like message keys: `t('softphone.action.call')`, key maps, … */
const usedKeys = new Map<string, string>();
for (const { file, text } of source) {
  for (const m of text.matchAll(
    /['"`]((?:common|config|softphone|sidebar|nav|resolutions|knowledge|account)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)['"`]/g,
  )) {
    if (!/\.(ts|tsx|json)$/.test(m[1]!)) usedKeys.set(m[1]!, file);
  }
}

describe('translations', () => {
  it('when a key is used in app code, then English has it', () => {
    const missing = [...usedKeys].filter(([k]) => !(k in en)).map(([k, f]) => `${k} (${f})`);
    expect(missing).toEqual([]);
  });

  it('when English has a key, then the app uses it (no dead strings)', () => {
    expect(enKeys.filter((k) => !usedKeys.has(k))).toEqual([]);
  });

  it.each(LOCALES.filter((l) => l !== 'en'))(
    'when %s is loaded, then it has no key English lacks and the same placeholders',
    async (locale) => {
      const messages = await loadMessages(locale);
      const extra = Object.keys(messages).filter((k) => !(k in en));
      expect(extra).toEqual([]);
      for (const [key, text] of Object.entries(messages)) {
        expect([key, placeholders(text as string)]).toEqual([key, placeholders(en[key as MessageKey])]);
      }
    },
  );

  it.each(LOCALES.filter((l) => l !== 'en'))(
    '%s translates every key (report, fallback covers gaps)',
    async (locale) => {
      const messages = await loadMessages(locale);
      expect(enKeys.filter((k) => !(k in messages))).toEqual([]);
    },
  );

  it('when a locale lacks a key, then that key falls back to English and the rest stays translated', () => {
    const t = createTranslator({ 'softphone.action.call': 'Anrufen' });
    expect(t('softphone.action.call')).toBe('Anrufen');
    expect(t('softphone.action.hangup')).toBe('Hang up');
  });

  it('when variables are given, then placeholders are filled; unknown ones stay visible', () => {
    const t = createTranslator({});
    expect(t('softphone.call.queue', { queue: 'Billing' })).toBe('Queue: Billing');
    expect(t('softphone.call.queue')).toBe('Queue: {{queue}}');
  });

  it.each([
    ['de', 'de'],
    ['de-AT', 'de'],
    ['pt-BR', 'pt-BR'],
    ['pt', 'pt-BR'],
    ['es-419', 'es'],
    ['fr-CA', 'fr'],
    ['ja', 'ja'],
    ['en-GB', 'en'],
    ['nl', 'en'],
    [undefined, 'en'],
  ])('Zendesk locale %s → %s', (input, expected) => {
    expect(resolveLocale(input)).toBe(expected);
  });

  it('when the Marketplace listing is read, then every translation file is valid and English has the listing and parameter labels', () => {
    const dir = path.join(ROOT, 'translations');
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'manifest.json'), 'utf8')) as {
      parameters: { name: string }[];
    };
    const files = readdirSync(dir);
    expect(files.sort()).toEqual(LOCALES.map((l) => `${l}.json`).sort());
    for (const file of files) {
      const json = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { app: Record<string, unknown> };
      for (const key of ['name', 'short_description', 'long_description', 'installation_instructions']) {
        expect([file, key, typeof json.app[key]]).toEqual([file, key, 'string']);
      }
      const params = json.app.parameters as Record<string, { label?: string }>;
      for (const p of manifest.parameters)
        expect([file, p.name, typeof params[p.name]?.label]).toEqual([file, p.name, 'string']);
    }
  });
});
