import fs from 'node:fs';
import type { ArticleInput } from './index';

/**
 * Evaluation data from the Bitext customer-support dataset (CDLA-Sharing-1.0): Help Center-like
 * articles written from the agents' responses of each intent, and held-out labeled questions whose
 * responses were not used for any article. Used by tests and the benchmark only; the path to the CSV
 * is always given by the caller, the product never reads it.
 */

export interface BitextRow {
  instruction: string;
  intent: string;
  category: string;
  response: string;
}

export interface LabeledArticle extends ArticleInput {
  intent: string;
}

export interface LabeledQuestion {
  text: string;
  intent: string;
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new Error('CSV ends inside a quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export function loadBitext(csvPath: string): BitextRow[] {
  const [header, ...rows] = parseCsv(fs.readFileSync(csvPath, 'utf8'));
  if (!header) throw new Error(`${csvPath}: empty`);
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${csvPath}: no column "${name}"`);
    return i;
  };
  const [ins, int, cat, res] = [col('instruction'), col('intent'), col('category'), col('response')];
  return rows
    .filter((r) => r.length === header.length)
    .map((r) => ({ instruction: r[ins]!, intent: r[int]!, category: r[cat]!, response: r[res]! }));
}

/** Titles a knowledge manager would give; unknown intents get their name in words. */
const TITLES: Record<string, string> = {
  cancel_order: 'How to cancel an order',
  change_order: 'Changing the items in an order',
  change_shipping_address: 'Changing the shipping address of an order',
  check_cancellation_fee: 'Cancellation fees',
  check_invoice: 'Viewing your invoices',
  check_payment_methods: 'Accepted payment methods',
  check_refund_policy: 'Our refund policy',
  complaint: 'How to file a complaint',
  contact_customer_service: 'Contacting customer service',
  contact_human_agent: 'Talking to a human agent',
  create_account: 'Creating an account',
  delete_account: 'Deleting your account',
  delivery_options: 'Delivery options',
  delivery_period: 'Delivery times',
  edit_account: 'Editing your account details',
  get_invoice: 'Getting a copy of your invoice',
  get_refund: 'How to request a refund',
  newsletter_subscription: 'Subscribing to the newsletter',
  payment_issue: 'Problems with a payment',
  place_order: 'Placing an order',
  recover_password: 'Recovering your password',
  registration_problems: 'Problems signing up',
  review: 'Leaving a review or feedback',
  set_up_shipping_address: 'Setting up a shipping address',
  switch_account: 'Switching between accounts',
  track_order: 'Tracking your order',
  track_refund: 'Tracking your refund',
};

export const titleOf = (intent: string): string =>
  TITLES[intent] ?? intent.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** A small seeded PRNG (mulberry32): the same seed always builds the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A response as Help Center HTML: `{{Placeholder}}` → its words, numbered lines → an ordered list. */
export function responseToHtml(response: string): string {
  const lines = response
    .replace(/\{\{\s*([^}]+?)\s*\}\}/g, '$1')
    .split(/\n+/)
    .map((l) => l.trim())
    .filter(Boolean);
  let html = '';
  let inList = false;
  for (const line of lines) {
    const item = /^(?:\d+[.)]|[-*•])\s+(.*)$/.exec(line);
    if (item) {
      if (!inList) html += '<ol>';
      inList = true;
      html += `<li>${escapeHtml(item[1]!)}</li>`;
    } else {
      if (inList) html += '</ol>';
      inList = false;
      html += `<p>${escapeHtml(line)}</p>`;
    }
  }
  return inList ? `${html}</ol>` : html;
}

export interface EvaluationSet {
  articles: LabeledArticle[];
  questions: LabeledQuestion[];
}

export interface EvaluationOptions {
  seed?: number;
  /** Held-out questions per intent (their responses are never used in articles). */
  questionsPerIntent?: number;
  /** Articles to build in all (spread evenly over intents); one per intent by default. */
  articles?: number;
  /** Responses per article, at most. */
  responsesPerArticle?: number;
}

const VARIANTS: Array<(title: string, category: string) => string> = [
  (t) => t,
  (t) => `${t}: frequently asked questions`,
  (t, c) => `${c}: ${t.toLowerCase()}`,
  (t) => `${t}, step by step`,
  (t) => `Help with ${t.toLowerCase()}`,
  (t, c) => `${t} (${c.toLowerCase()})`,
];
const SECTION_HEADINGS = ['Before you start', 'What to do', 'Good to know', 'Need more help?'];

/**
 * Splits rows by intent into article material and held-out questions, then writes the articles.
 * With more articles than intents, each intent gets several articles made of different responses,
 * titles and section layouts (the benchmark's 10,000-article Help Center).
 */
export function buildEvaluationSet(rows: BitextRow[], opts: EvaluationOptions = {}): EvaluationSet {
  const rand = rng(opts.seed ?? 42);
  const perIntentQ = opts.questionsPerIntent ?? 20;
  const byIntent = new Map<string, BitextRow[]>();
  for (const r of rows) byIntent.set(r.intent, [...(byIntent.get(r.intent) ?? []), r]);
  const intents = [...byIntent.keys()].sort();
  const total = Math.max(opts.articles ?? intents.length, intents.length);
  const perArticle = opts.responsesPerArticle ?? 4;

  const questions: LabeledQuestion[] = [];
  const material = new Map<string, BitextRow[]>();
  for (const intent of intents) {
    const mixed = shuffle(byIntent.get(intent)!, rand);
    for (const r of mixed.slice(0, perIntentQ)) questions.push({ text: r.instruction, intent });
    material.set(intent, mixed.slice(perIntentQ));
  }

  const articles: LabeledArticle[] = [];
  for (let n = 0; n < total; n++) {
    const intent = intents[n % intents.length]!;
    const round = Math.floor(n / intents.length);
    const pool = material.get(intent)!;
    const picked =
      round === 0 ? pool.slice(0, perArticle) : shuffle(pool, rand).slice(0, 1 + (n % perArticle));
    const base = titleOf(intent);
    const category = picked[0]?.category.replace(/_/g, ' ').toLowerCase() ?? 'help';
    const title =
      round === 0
        ? base
        : VARIANTS[round % VARIANTS.length]!(
            base,
            category.replace(/^./, (c) => c.toUpperCase()),
          );
    const withHeadings = round > 0 && round % 3 === 1;
    const body = picked
      .map(
        (r, i) =>
          (withHeadings ? `<h2>${SECTION_HEADINGS[i % SECTION_HEADINGS.length]}</h2>` : '') +
          responseToHtml(r.response),
      )
      .join('\n');
    articles.push({
      id: 1000 + n,
      title,
      body_html: body,
      html_url: `https://example.zendesk.com/hc/en-us/articles/${1000 + n}`,
      locale: 'en-us',
      intent,
    });
  }
  return { articles, questions: shuffle(questions, rand) };
}
