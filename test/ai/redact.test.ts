import { ibanValid, luhnValid, redact, Redactor } from '../../server/ai/redact';

/** Each text with the personal values that must not survive redaction. */
const LABELED: Array<[string, string[]]> = [
  ['Write to jane.doe+orders@example.co.uk please', ['jane.doe+orders@example.co.uk']],
  ['my email is JOSÉ.garcía@correo.es', ['JOSÉ.garcía@correo.es']],
  ['Call me on +44 20 7946 0958 after 5', ['+44 20 7946 0958', '7946 0958']],
  ['US number: +1 (555) 123-4567', ['+1 (555) 123-4567', '123-4567']],
  ['mi número es +34 612 34 56 78', ['+34 612 34 56 78', '612 34 56 78']],
  ['appelez le 06 12 34 56 78', ['06 12 34 56 78']],
  ['call (555) 987-6543 today', ['(555) 987-6543', '987-6543']],
  ['phone: 5551234567', ['5551234567']],
  ['tel 0049 30 1234567', ['0049 30 1234567', '1234567']],
  ['card 4111 1111 1111 1111 exp 12/27', ['4111 1111 1111 1111', '4111111111111111']],
  ['my Visa is 4012888888881881', ['4012888888881881']],
  ['Amex 3782-822463-10005', ['3782-822463-10005']],
  ['pay to GB82 WEST 1234 5698 7654 32', ['GB82 WEST 1234 5698 7654 32', 'WEST 1234']],
  ['IBAN DE89370400440532013000 bitte', ['DE89370400440532013000']],
  ['FR14 2004 1010 0505 0001 3M02 606', ['FR14 2004 1010 0505 0001 3M02 606']],
  ['ship to 221B Baker Street, London', ['221B Baker Street']],
  ['I live at 1600 Amphitheatre Pkwy, Suite 4', ['1600 Amphitheatre Pkwy']],
  ['Lieferung an Hauptstraße 12 in Berlin', ['Hauptstraße 12']],
  ['envoyez à 12 rue de la Paix', ['rue de la Paix']],
  ['mi dirección es Calle Mayor 5, Madrid', ['Calle Mayor 5']],
  [
    'I am Ann (ann@example.com, +1 415 555 0100), card 5555 5555 5555 4444, at 742 Evergreen Terrace',
    ['ann@example.com', '+1 415 555 0100', '5555 5555 5555 4444', '742 Evergreen Terrace'],
  ],
];

/** Texts that look like personal data but are not: they must pass unchanged. */
const CLEAN = [
  'order 113542617735902 has not arrived', // an order id, Luhn-invalid
  'card 4111 1111 1111 1112 was declined', // Luhn-invalid
  'reference GB82 WEST 1234 5698 7654 33', // IBAN with a wrong check
  'it costs 1,299.99 dollars and weighs 12.5 kg',
  'meeting on 2024-01-15 at 10:30',
  'version 3.1.4 of the app',
  'I ordered 3 items and 2 were missing',
];

describe('redaction', () => {
  test('when labeled texts are redacted, then no personal value survives (zero leaks)', () => {
    const leaks: string[] = [];
    for (const [text, values] of LABELED) {
      const out = redact(text).text;
      for (const v of values) if (out.includes(v)) leaks.push(`${v} in "${out}"`);
    }
    expect(leaks).toEqual([]);
  });

  test('when texts only look like personal data, then they are left as they are', () => {
    for (const text of CLEAN) expect(redact(text).text).toBe(text);
  });

  test('when a redacted text is restored, then the original comes back exactly', () => {
    for (const [text] of LABELED) {
      const r = redact(text);
      expect(r.restore(r.text)).toBe(text);
    }
  });

  test('when the same value appears twice, then it gets the same placeholder', () => {
    const r = redact('a@b.io wrote, then a@b.io again, and c@d.io');
    expect(r.text).toBe('[EMAIL_1] wrote, then [EMAIL_1] again, and [EMAIL_2]');
    expect(r.counts).toEqual({ EMAIL: 2 });
  });

  test('when a placeholder arrives split across streamed pieces, then the agent only sees the restored value', () => {
    const redactor = new Redactor();
    redactor.redact('reach me at bob@example.com');
    const s = redactor.streamRestorer();
    const shown = ['We will write to [EMA', 'IL_', '1] today.'].map((p) => s.push(p)).join('') + s.end();
    expect(shown).toBe('We will write to bob@example.com today.');
  });

  test('when check digits are computed, then Luhn and mod-97 accept good numbers and refuse altered ones', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 23')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 3')).toBe(false); // wrong length for GB
  });
});
