import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../server/config';
import { SecretBox, loadEncryptionKey } from '../../server/store/crypto';
import { maskPhone } from '../../server/contacts/directory';
import { tmpDir } from '../helpers/env';

describe('config', () => {
  test('when nothing is set, then embedded defaults apply', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.dataDir).toBe(path.resolve('.data'));
    expect(c.CONCIERGE_ALLOW_LOCAL_ZENDESK).toBe(false);
  });

  test('when several variables are bad, then the error names each of them', () => {
    let err: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        CONCIERGE_ENCRYPTION_KEY: 'short',
        AI_PROVIDER: 'gpt',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const name of ['PORT', 'DATABASE_URL', 'CONCIERGE_ENCRYPTION_KEY', 'AI_PROVIDER'])
      expect(msg).toContain(name);
  });

  test('when a variable is empty, then it counts as unset', () => {
    expect(loadConfig({ PORT: '', CONCIERGE_ALLOW_LOCAL_ZENDESK: '1' })).toMatchObject({
      PORT: 3000,
      CONCIERGE_ALLOW_LOCAL_ZENDESK: true,
    });
  });
});

describe('secrets at rest', () => {
  const box = new SecretBox(crypto.randomBytes(32));

  test('when encrypted, then it decrypts only with the same associated data', () => {
    const sealed = box.encrypt('token-123', 'acme');
    expect(sealed).not.toContain('token-123');
    expect(box.decrypt(sealed, 'acme')).toBe('token-123');
    expect(() => box.decrypt(sealed, 'other')).toThrow();
  });

  test('when the ciphertext is tampered with, then decryption fails', () => {
    const [v, iv, tag, ct] = box.encrypt('token-123').split('.');
    const flipped = Buffer.from(ct!, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.decrypt([v, iv, tag, flipped.toString('base64')].join('.'))).toThrow();
  });

  test('when no key is configured, then one is generated once with mode 0600', () => {
    const dir = tmpDir();
    const k1 = loadEncryptionKey(undefined, dir);
    const k2 = loadEncryptionKey(undefined, dir);
    expect(k1.equals(k2)).toBe(true);
    expect(k1).toHaveLength(32);
    expect(fs.statSync(path.join(dir, 'encryption.key')).mode & 0o777).toBe(0o600);
  });

  test('when a phone number is masked, then only its last four digits remain', () => {
    expect(maskPhone('+14155550123')).toBe('+1 ••• ••• 0123');
    expect(maskPhone('+4930123456789')).not.toContain('3012345');
  });
});
