import en from './locales/en.json';

export type MessageKey = keyof typeof en;
export type Messages = Partial<Record<MessageKey, string>>;
export type Vars = Record<string, string | number>;
export type Translate = (key: MessageKey, vars?: Vars) => string;

/** Locales shipped with the app; English is bundled, the others load on demand. */
export const LOCALES = ['en', 'de', 'es', 'fr', 'ja', 'pt-BR'] as const;
export type Locale = (typeof LOCALES)[number];

const loaders: Record<Exclude<Locale, 'en'>, () => Promise<{ default: Messages } | Messages>> = {
  de: () => import('./locales/de.json'),
  es: () => import('./locales/es.json'),
  fr: () => import('./locales/fr.json'),
  ja: () => import('./locales/ja.json'),
  'pt-BR': () => import('./locales/pt-BR.json'),
};

/** Zendesk locale (`de`, `en-US`, `pt-BR`, `es-419`, `fr-CA`…) → a shipped locale; English otherwise. */
export function resolveLocale(requested: string | undefined | null): Locale {
  if (!requested) return 'en';
  const wanted = requested.replace('_', '-').toLowerCase();
  const exact = LOCALES.find((l) => l.toLowerCase() === wanted);
  if (exact) return exact;
  const language = wanted.split('-')[0];
  if (language === 'pt') return 'pt-BR';
  return LOCALES.find((l) => l === language) ?? 'en';
}

export async function loadMessages(locale: Locale): Promise<Messages> {
  if (locale === 'en') return en;
  const mod = await loaders[locale]();
  return ('default' in mod ? mod.default : mod) as Messages;
}

function interpolate(template: string, vars: Vars | undefined): string {
  if (!vars) return template;
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (match, name: string) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : match,
  );
}

/** A translator that falls back to English key by key (never throws on a missing key). */
export function createTranslator(messages: Messages): Translate {
  return (key, vars) => interpolate(messages[key] ?? en[key] ?? key, vars);
}

export const englishTranslate = createTranslator(en);
