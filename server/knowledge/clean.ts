/**
 * Cleaning of customer messages before they are compared: quoted earlier replies, signatures,
 * greetings and sign-offs are cut, and personal data is replaced by placeholders. Works line by line
 * with patterns for several languages; a line that matches nothing is kept, so an unknown language
 * loses nothing but its noise.
 */

/** A line that introduces a quoted earlier message: everything from it on is dropped. */
const QUOTE_HEADER = new RegExp(
  [
    String.raw`^\s*on\b.{0,200}\bwrote:?\s*$`, // On Mon, 3 Jan 2025, Jane <j@x.com> wrote:
    String.raw`^\s*el\b.{0,200}\bescribi[oó]:?\s*$`,
    String.raw`^\s*le\b.{0,200}\ba [ée]crit\s*:?\s*$`,
    String.raw`^\s*am\b.{0,200}\bschrieb\b.{0,100}:?\s*$`,
    String.raw`^\s*em\b.{0,200}\bescreveu:?\s*$`,
    String.raw`^\s*il giorno\b.{0,200}\bha scritto:?\s*$`,
    String.raw`^\s*op\b.{0,200}\bschreef\b.{0,100}:?\s*$`,
    String.raw`^.{0,200}\bпишет:?\s*$`,
    String.raw`^\s*-{2,}\s*(original message|mensaje original|message d'origine|ursprüngliche nachricht|forwarded message)\s*-{2,}\s*$`,
    String.raw`^\s*(from|de|von|van|da):\s.{1,200}$`, // Outlook-style header block
    String.raw`^\s*_{8,}\s*$`,
    String.raw`^\s*##-\s*please type your reply above this line\s*-##`,
  ].join('|'),
  'iu',
);

/** Every quote header has one of these; most lines have none, so the big pattern rarely runs. */
const MAYBE_HEADER = /[:_]|--|wrote|пишет/i;

/** A line that starts a signature or a sign-off: everything from it on is dropped. */
const SIGNATURE = new RegExp(
  [
    String.raw`^--\s*$`,
    String.raw`^(sent from my|get outlook for|enviado desde mi|envoyé de mon|von meinem .* gesendet|inviato da)(?![\p{L}\p{N}])`,
    String.raw`^(best|kind|warm|many)?\s*(regards|wishes)(?![\p{L}\p{N}]).{0,30}$`,
    String.raw`^(thanks|thank you|thx|cheers|sincerely|best|br|kr|regards|yours truly)(?![\p{L}\p{N}])[\s,.!a-z]{0,30}$`,
    String.raw`^(saludos|un saludo|atentamente|gracias|muchas gracias|cordialmente)(?![\p{L}\p{N}]).{0,30}$`,
    String.raw`^(cordialement|bien à vous|merci|merci beaucoup|bonne journée)(?![\p{L}\p{N}]).{0,30}$`,
    String.raw`^(mit freundlichen grüßen|viele grüße|liebe grüße|beste grüße|grüße|danke|vielen dank|mfg|lg)(?![\p{L}\p{N}]).{0,30}$`,
    String.raw`^(atenciosamente|obrigad[oa]|cumprimentos|abraços)(?![\p{L}\p{N}]).{0,30}$`,
    String.raw`^(cordiali saluti|distinti saluti|grazie|saluti)(?![\p{L}\p{N}]).{0,30}$`,
    String.raw`^(met vriendelijke groet|groeten|bedankt)(?![\p{L}\p{N}]).{0,30}$`,
    String.raw`^(с уважением|спасибо)(?![\p{L}\p{N}]).{0,30}$`,
  ].join('|'),
  'iu',
);

/**
 * A leading greeting, with up to three name words when punctuation or a line break follows ("Hi John,",
 * "Hola equipo:"); otherwise only the greeting word goes ("Hello I need…" keeps "I need…").
 */
const GREETING = new RegExp(
  String.raw`^\s*(hi|hello|hey|dear|good (morning|afternoon|evening)|greetings|hola|buenos días|buenas( tardes)?|estimad[oa]s?|bonjour|bonsoir|salut|hallo|guten (tag|morgen)|sehr geehrte[rs]?|liebe[rs]?|olá|oi|bom dia|boa tarde|ciao|buongiorno|salve|hoi|goedemiddag|здравствуйте|привет|добрый день|こんにちは|您好|你好)(?:(?:[ \t]+[\p{L}\p{M}.'-]+){0,3}[ \t]*(?:[,:;!]|\n)|[ \t]*[,:;!.]?)\s*`,
  'iu',
);

const SIGN_OFF = /[\s,.;!-]*\b(thanks|thank you|thx|cheers|gracias|merci|danke|obrigad[oa]|grazie)[\s!.]*$/iu;

/** Drops quoted replies and everything after a signature marker; strips a greeting at the start. */
export function stripReplyNoise(text: string): string {
  const kept: string[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim();
    if (MAYBE_HEADER.test(line) && QUOTE_HEADER.test(line)) break;
    if (line.startsWith('>')) continue; // quoted line inside the message
    if (kept.some((l) => l !== '') && SIGNATURE.test(line)) break;
    kept.push(line);
  }
  let out = kept.join('\n').trim();
  // "Hi team, how do I …" — the greeting may share its line with the question.
  const greeting = GREETING.exec(out);
  if (greeting && greeting[0].length < out.length) out = out.slice(greeting[0].length);
  // A trailing sign-off on the question's own line ("…my invoice? Thanks!"); only the tail is searched.
  const tail = out.slice(-40);
  const signOff = SIGN_OFF.exec(tail);
  return (signOff ? out.slice(0, out.length - tail.length + signOff.index) : out).trim();
}

/** Luhn check, so that only plausible card numbers are treated as such. */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** [pattern, replacement, cheap pre-check]: the check skips a costly Unicode scan on most texts. */
const REDACTIONS: Array<[RegExp, string | ((m: string) => string), (t: string) => boolean]> = [
  [/\b[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.\p{L}{2,}\b/gu, '[email]', (t) => t.includes('@')],
  [/\bhttps?:\/\/\S+|\bwww\.\S+/giu, '[url]', (t) => /https?:|www\./i.test(t)],
  [/\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g, '[iban]', (t) => /[A-Z]{2}\d\d/.test(t)],
  [/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, '[ip]', (t) => /\d\.\d/.test(t)],
  [
    /\b(?:\d[ -]?){12,18}\d\b/g,
    (m) => (luhn(m.replace(/\D/g, '')) ? '[card]' : m.replace(/\d[\d -]*\d/, '[number]')),
    (t) => /\d{4}/.test(t),
  ],
  [
    /(?:\+|\b00)\d[\d ().-]{7,}\d\b|\(\d{2,4}\)[\d .-]{6,}\d\b|\b\d{3}[ .-]\d{3}[ .-]\d{4}\b/g,
    '[phone]',
    (t) => /\d{2}/.test(t),
  ],
  [/\b\d{6,}\b/g, '[number]', (t) => /\d{6}/.test(t)], // order, account, ticket numbers: no topic, maybe personal
];

/** Replaces e-mail addresses, URLs, IBANs, IPs, card, phone and long reference numbers. */
export function redact(text: string): string {
  let out = text;
  for (const [re, by, worth] of REDACTIONS) {
    if (!worth(out)) continue;
    out = typeof by === 'string' ? out.replace(re, by) : out.replace(re, by);
  }
  return out;
}

/** The part of a customer message worth comparing: noise stripped, personal data redacted. */
export function cleanMessage(text: string): string {
  return redact(stripReplyNoise(text))
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/\n{2,}/g, '\n')
    .trim();
}
