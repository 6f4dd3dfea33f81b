import path from 'node:path';
import { loadBitext, responseToHtml, rng, titleOf, type BitextRow } from '../suggestions/bitext';

/**
 * Zendesk-shaped tickets and Help Center articles built from the labeled Bitext dataset: each
 * utterance is a customer's first message, its response the agent's answer. Articles are written for
 * the covered intents only; the hidden intents are the gaps the analysis must find. The noisy variant
 * adds what real e-mail tickets carry: greetings and signatures in several languages, quoted earlier
 * replies about other topics, personal data, typos, and questions written in Spanish, German, French.
 */

export const BITEXT_CSV = path.resolve(
  __dirname,
  '../../../shared/datasets/bitext/customer_support_train.csv',
);

/** Intents with no article. Several have a covered neighbour (refund, delivery, contact, address). */
export const HIDDEN_INTENTS = [
  'track_refund',
  'delivery_period',
  'recover_password',
  'check_cancellation_fee',
  'newsletter_subscription',
  'contact_human_agent',
  'change_shipping_address',
  'review',
  'delete_account',
];

export interface Labeled<T> {
  value: T;
  intent: string;
}

export interface CorpusOptions {
  seed?: number;
  /** Tickets to build; rows are reused (with fresh noise) when more are asked for than exist. */
  count?: number;
  noisy?: boolean;
  /** Share of tickets written in another language (noisy only). */
  foreignShare?: number;
  firstId?: number;
  /** Latest created_at; tickets spread over the 12 weeks before it. */
  end?: number;
}

export interface TicketJson {
  id: number;
  subject: string;
  description: string;
  status: string;
  created_at: string;
  updated_at: string;
  requester_id: number;
  submitter_id: number;
  assignee_id: number;
  tags: string[];
  via: { channel: string };
  comments: Array<{ id: number; author_id: number; public: boolean; body: string; created_at: string }>;
  metric_set: {
    reopens: number;
    replies: number;
    full_resolution_time_in_minutes: { calendar: number; business: number };
  };
}

/** Hand-written questions in other languages for a few intents (3 covered, 3 hidden). */
export const FOREIGN: Record<string, Record<string, string[]>> = {
  es: {
    cancel_order: [
      '¿Cómo cancelo mi pedido?',
      'quiero cancelar el pedido que hice ayer',
      'necesito anular mi pedido, por favor',
      'cancelar pedido',
    ],
    track_order: [
      '¿Dónde está mi pedido?',
      'quiero rastrear mi pedido',
      'no sé dónde está mi paquete, ¿pueden rastrear el envío?',
      'seguimiento del pedido',
    ],
    get_refund: [
      'quiero que me devuelvan el dinero',
      '¿cómo solicito un reembolso?',
      'necesito un reembolso de mi compra',
      'pedir reembolso',
    ],
    recover_password: [
      'olvidé mi contraseña',
      'no puedo entrar, perdí la contraseña',
      '¿cómo recupero mi contraseña?',
      'restablecer contraseña',
    ],
    track_refund: [
      '¿cuándo llega mi reembolso?',
      'todavía no he recibido el reembolso',
      'estado de mi reembolso',
      '¿dónde está mi reembolso?',
    ],
    delivery_period: [
      '¿cuánto tarda el envío?',
      '¿cuántos días tarda en llegar el pedido?',
      'plazo de entrega',
      '¿cuándo llegará mi paquete?',
    ],
  },
  de: {
    cancel_order: [
      'Wie storniere ich meine Bestellung?',
      'ich möchte meine Bestellung stornieren',
      'Bestellung stornieren bitte',
      'kann ich die Bestellung noch stornieren',
    ],
    track_order: [
      'Wo ist meine Bestellung?',
      'ich möchte meine Bestellung verfolgen',
      'Sendungsverfolgung für meine Bestellung',
      'Status meiner Bestellung',
    ],
    get_refund: [
      'ich möchte mein Geld zurück',
      'wie beantrage ich eine Rückerstattung?',
      'Rückerstattung für meinen Kauf',
      'Erstattung beantragen',
    ],
    recover_password: [
      'Passwort vergessen',
      'ich habe mein Passwort vergessen und komme nicht rein',
      'wie setze ich mein Passwort zurück?',
      'Passwort zurücksetzen',
    ],
    track_refund: [
      'wann kommt meine Rückerstattung?',
      'Rückerstattung noch nicht erhalten',
      'Status meiner Rückerstattung',
      'wo bleibt meine Rückerstattung',
    ],
    delivery_period: [
      'wie lange dauert die Lieferung?',
      'wann kommt mein Paket an?',
      'Lieferzeit für Deutschland',
      'wie viele Tage dauert der Versand',
    ],
  },
  fr: {
    cancel_order: [
      'Comment annuler ma commande ?',
      'je veux annuler ma commande',
      'annulation de commande',
      'puis-je encore annuler la commande',
    ],
    track_order: [
      'Où est ma commande ?',
      'je voudrais suivre ma commande',
      'suivi de commande',
      'statut de ma commande',
    ],
    get_refund: [
      'je veux être remboursé',
      'comment demander un remboursement ?',
      'remboursement de mon achat',
      'demande de remboursement',
    ],
    recover_password: [
      "j'ai oublié mon mot de passe",
      'réinitialiser le mot de passe',
      'comment récupérer mon mot de passe ?',
      'mot de passe perdu',
    ],
    track_refund: [
      'quand vais-je recevoir mon remboursement ?',
      "je n'ai toujours pas reçu le remboursement",
      'suivi du remboursement',
      'où en est mon remboursement',
    ],
    delivery_period: [
      'combien de temps prend la livraison ?',
      'délai de livraison',
      'quand mon colis va-t-il arriver ?',
      'combien de jours pour la livraison',
    ],
  },
};

const FOREIGN_ARTICLES: Record<string, Record<string, [string, string]>> = {
  es: {
    cancel_order: [
      'Cómo cancelar un pedido',
      '<p>Para cancelar un pedido, abre Mis pedidos y pulsa Cancelar pedido. Puedes cancelar el pedido mientras no se haya enviado.</p>',
    ],
    track_order: [
      'Seguimiento de tu pedido',
      '<p>Para rastrear tu pedido abre Mis pedidos: verás dónde está el paquete y el estado del envío.</p>',
    ],
    get_refund: [
      'Cómo solicitar un reembolso',
      '<p>Para pedir un reembolso de una compra, abre el pedido y pulsa Solicitar reembolso; te devolvemos el dinero al mismo medio de pago.</p>',
    ],
  },
  de: {
    cancel_order: [
      'Bestellung stornieren',
      '<p>Um eine Bestellung zu stornieren, öffne Meine Bestellungen und wähle Stornieren. Das geht, solange die Bestellung nicht versandt ist.</p>',
    ],
    track_order: [
      'Bestellung verfolgen',
      '<p>Unter Meine Bestellungen siehst du den Status deiner Bestellung und die Sendungsverfolgung des Pakets.</p>',
    ],
    get_refund: [
      'Rückerstattung beantragen',
      '<p>So beantragst du eine Rückerstattung: Bestellung öffnen, Erstattung beantragen wählen. Das Geld geht an dein Zahlungsmittel zurück.</p>',
    ],
  },
  fr: {
    cancel_order: [
      'Annuler une commande',
      '<p>Pour annuler une commande, ouvrez Mes commandes et choisissez Annuler la commande, tant que la commande n’est pas expédiée.</p>',
    ],
    track_order: [
      'Suivre votre commande',
      '<p>Le suivi de commande se trouve dans Mes commandes : vous y voyez le statut de votre commande et du colis.</p>',
    ],
    get_refund: [
      'Demander un remboursement',
      '<p>Pour une demande de remboursement, ouvrez la commande et choisissez Remboursement ; vous êtes remboursé sur votre moyen de paiement.</p>',
    ],
  },
};

const GREETINGS = [
  'Hi,',
  'Hello,',
  'Hi there,',
  'Dear Support,',
  'Hello team,',
  'Hey,',
  'Good morning,',
  'Hola,',
  'Bonjour,',
  'Hallo,',
  'Hi Anna,',
];
const CLOSINGS = [
  'Thanks',
  'Thank you!',
  'Best regards,',
  'Kind regards,',
  'Cheers,',
  'Saludos,',
  'Merci,',
  'Mit freundlichen Grüßen,',
  'Regards',
];
const NAMES = [
  'Jane Doe',
  'Carlos Pérez',
  'Jürgen Müller',
  'Amélie Dubois',
  'Sam Lee',
  'Priya Natarajan',
  'Олег Иванов',
];
const SUBJECTS = [
  'Question',
  'Help needed',
  'Support request',
  '(no subject)',
  'Urgent',
  'Re: your order',
  'Hello',
  'Issue',
];

function typo(word: string, rand: () => number): string {
  if (word.length < 5 || !/^\p{L}+$/u.test(word)) return word;
  const i = 1 + Math.floor(rand() * (word.length - 2));
  const kind = rand();
  if (kind < 0.34) return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2); // swap
  if (kind < 0.67) return word.slice(0, i) + word.slice(i + 1); // drop
  return word.slice(0, i) + word[i] + word.slice(i); // double
}

function pickOf<T>(list: readonly T[], rand: () => number): T {
  return list[Math.floor(rand() * list.length)]!;
}

export function loadRows(): BitextRow[] {
  return loadBitext(BITEXT_CSV);
}

/**
 * Builds `count` labeled tickets. Deterministic for a seed. A generator, so a benchmark can write
 * 200,000 of them to disk without holding them.
 */
export function* buildTickets(rows: BitextRow[], opts: CorpusOptions = {}): Generator<Labeled<TicketJson>> {
  const rand = rng(opts.seed ?? 7);
  const count = opts.count ?? rows.length;
  const noisy = opts.noisy ?? false;
  const foreignShare = noisy ? (opts.foreignShare ?? 0.06) : 0;
  const end = opts.end ?? Date.parse('2025-06-30T12:00:00Z');
  const WEEKS12 = 12 * 7 * 24 * 3600 * 1000;
  const langs = Object.keys(FOREIGN);
  for (let n = 0; n < count; n++) {
    const r = rows[n < rows.length ? n : Math.floor(rand() * rows.length)]!;
    let intent = r.intent;
    let question = r.instruction;
    let lang = 'en';
    if (rand() < foreignShare) {
      lang = pickOf(langs, rand);
      const table = FOREIGN[lang]!;
      intent = pickOf(Object.keys(table).sort(), rand);
      question = pickOf(table[intent]!, rand);
    }
    const answer = r.intent === intent ? r.response : '';
    if (noisy && lang === 'en')
      question = question.replace(/\p{L}+/gu, (w) => (rand() < 0.06 ? typo(w, rand) : w));
    const parts: string[] = [];
    if (noisy && rand() < 0.6) parts.push(pickOf(GREETINGS, rand));
    parts.push(question);
    if (noisy && rand() < 0.3)
      parts.push(
        `You can reach me at ${['jane.doe@example.com', '+1 415 555 0199', 'carlos@example.es'][n % 3]}.`,
      );
    if (noisy && rand() < 0.6) {
      parts.push(
        `${pickOf(CLOSINGS, rand)}\n${pickOf(NAMES, rand)}${rand() < 0.5 ? '\nAcme Corp · +44 20 7946 0958' : ''}`,
      );
    }
    if (noisy && rand() < 0.3) {
      const other = rows[Math.floor(rand() * rows.length)]!;
      const quoted = other.response
        .split('\n')
        .slice(0, 4)
        .map((l) => `> ${l}`)
        .join('\n');
      parts.push(`On Tue, 4 Mar 2025 at 09:12, Support <support@example.com> wrote:\n${quoted}`);
    }
    const body = parts.join('\n\n');
    const shortQ = question.length <= 60 && rand() < 0.5;
    const subject = shortQ
      ? question
      : rand() < 0.5
        ? pickOf(SUBJECTS, rand)
        : question.split(/\s+/).slice(0, 4).join(' ');
    const created = end - Math.floor(rand() * WEEKS12);
    const createdIso = new Date(created).toISOString();
    const requester = 100_000 + (n % 5000);
    const agent = 900 + (n % 12);
    const replies = 1 + Math.floor(rand() * 3);
    const id = (opts.firstId ?? 1) + n;
    yield {
      intent,
      value: {
        id,
        subject,
        description: body,
        status: 'solved',
        created_at: createdIso,
        updated_at: new Date(created + 3_600_000).toISOString(),
        requester_id: requester,
        submitter_id: requester,
        assignee_id: agent,
        tags: [lang],
        via: { channel: rand() < 0.7 ? 'email' : 'web' },
        comments: [
          { id: id * 10, author_id: requester, public: true, body, created_at: createdIso },
          {
            id: id * 10 + 1,
            author_id: agent,
            public: true,
            body: answer || 'Thanks for reaching out, we have taken care of it.',
            created_at: new Date(created + 1_800_000).toISOString(),
          },
        ],
        metric_set: {
          reopens: rand() < 0.1 ? 1 : 0,
          replies,
          full_resolution_time_in_minutes: { calendar: 30 + replies * 40, business: 20 + replies * 30 },
        },
      },
    };
  }
}

export interface ArticleJson {
  id: number;
  title: string;
  body: string;
  locale: string;
  html_url: string;
  section_id: number;
  draft: boolean;
}

/** Help Center articles for every intent not hidden (+ a few unrelated ones, + foreign ones when noisy). */
export function buildArticles(
  rows: BitextRow[],
  hidden: readonly string[],
  opts: { noisy?: boolean } = {},
): Labeled<ArticleJson>[] {
  const byIntent = new Map<string, BitextRow[]>();
  for (const r of rows) byIntent.set(r.intent, [...(byIntent.get(r.intent) ?? []), r]);
  const out: Labeled<ArticleJson>[] = [];
  let id = 5000;
  const add = (intent: string, title: string, body: string, locale: string) =>
    out.push({
      intent,
      value: {
        id: ++id,
        title,
        body,
        locale,
        html_url: `https://example.zendesk.com/hc/${locale}/articles/${id}`,
        section_id: 360000 + (id % 7),
        draft: false,
      },
    });
  for (const intent of [...byIntent.keys()].sort()) {
    if (hidden.includes(intent)) continue;
    // A knowledge manager's article: the title, then two of the agents' answers as its text.
    const picked = byIntent
      .get(intent)!
      .filter((_, i) => i % 37 === 3)
      .slice(0, 2);
    add(intent, titleOf(intent), picked.map((r) => responseToHtml(r.response)).join('\n'), 'en-us');
  }
  add(
    'none',
    'About our company',
    '<p>We were founded in 2009 and ship to 40 countries from three warehouses.</p>',
    'en-us',
  );
  add(
    'none',
    'Careers',
    '<p>We are hiring engineers, designers and support specialists. See the open positions.</p>',
    'en-us',
  );
  add(
    'none',
    'Gift cards',
    '<p>Gift cards can be bought in amounts from 10 to 500 and never expire.</p>',
    'en-us',
  );
  if (opts.noisy) {
    for (const [lang, table] of Object.entries(FOREIGN_ARTICLES)) {
      for (const [intent, [title, body]] of Object.entries(table)) {
        if (!hidden.includes(intent)) add(intent, title, body, lang);
      }
    }
  }
  return out;
}
