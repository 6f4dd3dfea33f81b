/**
 * Personal data out of any text before it leaves for Bedrock: emails, card numbers (Luhn-checked),
 * IBANs (ISO 13616 mod-97 checked), phone numbers, street addresses where the shape is clear. Each
 * value becomes a placeholder like `[EMAIL_1]` (the same value, the same placeholder), and the
 * Redactor keeps the map so the model's answer can be restored for the agent, and only there.
 */

export type PiiKind = 'EMAIL' | 'CARD' | 'IBAN' | 'PHONE' | 'ADDRESS';

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** IBAN lengths per country (ISO 13616 registry), for the countries a support desk meets most. */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23,
  GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28,
  LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15,
  PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SE: 24, SI: 19, SK: 24, SM: 27, TN: 24,
  TR: 26, UA: 29, VG: 24, XK: 20,
}; // prettier-ignore

export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected !== undefined && iban.length !== expected) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    rem = (v > 9 ? rem * 100 + v : rem * 10 + v) % 97;
  }
  return rem === 1;
}

interface Detector {
  kind: PiiKind;
  re: RegExp;
  /** The part of the match to replace (a capture group), and a check that it really is that kind. */
  group?: number;
  valid?: (value: string) => boolean;
  /** Try shorter prefixes (whole groups) of a match that fails `valid`. */
  shrink?: boolean;
}

/** Street types, lower-case and capitalised (names around them must be capitalised: no `i` flag). */
const STREET_EN =
  'street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|parkway|pkwy|circle|cir|highway|hwy|square|sq|close|crescent'
    .split('|')
    .flatMap((s) => [s, s[0]!.toUpperCase() + s.slice(1)])
    .join('|');
const UNIT = String.raw`(?:,?\s+(?:apt|apartment|suite|ste|unit|flat|#)\.?\s*[\w-]+)?`;

const DETECTORS: Detector[] = [
  { kind: 'EMAIL', re: /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.\p{L}{2,}/gu },
  // IBAN: country, check digits, then 11–30 letters/digits, optionally in groups of four.
  {
    kind: 'IBAN',
    re: /\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{1,4}){3,8}\b/gi,
    valid: ibanValid,
    shrink: true,
  },
  // Cards: 13–19 digits, optionally grouped by spaces or dashes; only Luhn-valid runs count.
  {
    kind: 'CARD',
    re: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    // Issuer numbers start with 2–6 (Mastercard, Visa, Amex, Discover, UnionPay, JCB…).
    valid: (v) => /^[2-6]/.test(v) && luhnValid(v.replace(/\D/g, '')),
  },
  // International: +CC then 6–14 more digits with common separators.
  {
    kind: 'PHONE',
    re: /(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?!\d)/g,
    valid: (v) => {
      const n = v.replace(/\D/g, '').replace(/^00/, '').length;
      return n >= 8 && n <= 15;
    },
  },
  // National with separators: (555) 123-4567, 555-123-4567, 020 7946 0958, 06 12 34 56 78.
  {
    kind: 'PHONE',
    re: /(?<![\w+-])(?:\(\d{2,5}\)\s?|\d{2,5}[ .-])\d{2,4}(?:[ .-]\d{2,4}){1,3}(?![\w-])/g,
    valid: (v) => {
      const n = v.replace(/\D/g, '').length;
      return n >= 9 && n <= 12;
    },
  },
  // Bare digit runs after a word that says "phone": "call me on 5551234567".
  {
    kind: 'PHONE',
    re: /\b(?:phone|tel|telephone|mobile|cell|call(?: me)?(?: at| on)?|whatsapp|number is|teléfono|móvil|téléphone|portable|telefon|handy|telefone|celular|telefono|cellulare)[:\s]+(\d{7,15})\b/giu,
    group: 1,
  },
  // Street addresses: "221B Baker Street", "1600 Amphitheatre Pkwy, Suite 4".
  {
    kind: 'ADDRESS',
    re: new RegExp(
      String.raw`\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][\p{L}'.-]*\s+){1,4}(?:${STREET_EN})\b\.?${UNIT}`,
      'gu',
    ),
  },
  // "Hauptstraße 5", "Kirchweg 12a", "Marktplatz 3".
  {
    kind: 'ADDRESS',
    re: /\b[\p{Lu}][\p{L}-]*(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer)\s+\d{1,4}[a-z]?\b/gu,
  },
  // "12 rue de la Paix", "3, avenue Victor Hugo", "Calle Mayor 5", "Rua Augusta 10", "Via Roma 1".
  {
    kind: 'ADDRESS',
    re: /\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|allée|place|chemin|impasse|quai|route)\s+(?:[\p{L}'-]+\s?){1,5}/giu,
  },
  {
    kind: 'ADDRESS',
    re: /\b(?:calle|c\/|avenida|avda\.?|plaza|paseo|carrer|rua|avenida|travessa|via|viale|piazza|corso)\s+(?:[\p{Lu}][\p{L}'-]*\s?){1,4},?\s*(?:n[ºo°.]\s*)?\d{1,4}\b/giu,
  },
];

export interface Redaction {
  text: string;
  /** Puts the original values back into a text that may contain this redaction's placeholders. */
  restore(s: string): string;
  /** Placeholders created, by kind (counts only: safe to log). */
  counts: Partial<Record<PiiKind, number>>;
}

/**
 * One redaction session: every text redacted through it shares one placeholder numbering, so a
 * conversation and the passages sent with it can be restored together.
 */
export class Redactor {
  private readonly byValue = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly next: Record<PiiKind, number> = { EMAIL: 0, CARD: 0, IBAN: 0, PHONE: 0, ADDRESS: 0 };

  redact(text: string): string {
    let out = text;
    for (const d of DETECTORS) {
      out = out.replace(d.re, (...args: unknown[]) => {
        const whole = args[0] as string;
        let value = d.group ? (args[d.group] as string | undefined) : whole;
        if (!value || value.includes('[')) return whole;
        // A match that ran into the next word ("DE89… bitte") may still hold a valid value: drop
        // trailing space-separated groups until it checks out.
        while (d.valid && !d.valid(value)) {
          const cut = value.search(/[ -][^ -]*$/);
          if (!d.shrink || cut <= 0) return whole;
          value = value.slice(0, cut);
        }
        const placeholder = this.placeholder(d.kind, value);
        return whole.replace(value, placeholder);
      });
    }
    return out;
  }

  private placeholder(kind: PiiKind, value: string): string {
    const key = `${kind}:${value}`;
    let p = this.byValue.get(key);
    if (!p) {
      p = `[${kind}_${++this.next[kind]}]`;
      this.byValue.set(key, p);
      this.byPlaceholder.set(p, value);
    }
    return p;
  }

  restore(s: string): string {
    return s.replace(/\[(?:EMAIL|CARD|IBAN|PHONE|ADDRESS)_\d+\]/g, (p) => this.byPlaceholder.get(p) ?? p);
  }

  get counts(): Partial<Record<PiiKind, number>> {
    return Object.fromEntries(Object.entries(this.next).filter(([, n]) => n > 0));
  }

  /**
   * Restores a streamed text piece by piece: a placeholder split across pieces ("[EMA" + "IL_1]") is
   * held back until it is complete, so the agent never sees half a placeholder.
   */
  streamRestorer(): { push(piece: string): string; end(): string } {
    let pending = '';
    return {
      push: (piece) => {
        pending += piece;
        const open = pending.lastIndexOf('[');
        if (open >= 0 && !pending.includes(']', open) && pending.length - open <= 16) {
          const ready = pending.slice(0, open);
          pending = pending.slice(open);
          return this.restore(ready);
        }
        const ready = pending;
        pending = '';
        return this.restore(ready);
      },
      end: () => {
        const rest = pending;
        pending = '';
        return this.restore(rest);
      },
    };
  }
}

/** Redacts one text on its own. */
export function redact(text: string): Redaction {
  const r = new Redactor();
  const out = r.redact(text);
  return { text: out, restore: (s) => r.restore(s), counts: r.counts };
}
