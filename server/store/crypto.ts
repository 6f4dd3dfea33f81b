import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** AES-256-GCM for secrets at rest. Format: v1.<iv b64>.<tag b64>.<ciphertext b64>. */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('encryption key must be 32 bytes');
    this.key = key;
  }

  encrypt(plaintext: string, aad = ''): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(
      '.',
    );
  }

  /** `aad` binds a ciphertext to its row (the tenant id), so it cannot be copied to another tenant. */
  decrypt(box: string, aad = ''): string {
    const [v, iv, tag, ct] = box.split('.');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('not a v1 secret box');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
  }
}

/**
 * The key from CONCIERGE_ENCRYPTION_KEY, or (embedded default) one generated once under the data
 * folder with mode 0600. Production sets the variable: a key on the same disk as the data protects little.
 */
export function loadEncryptionKey(envKey: string | undefined, dataDir: string): Buffer {
  if (envKey) return Buffer.from(envKey, 'base64');
  const file = path.join(dataDir, 'encryption.key');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
  return key;
}

export const sha256 = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');

/** A random secret printed once to the operator: 32 bytes, URL-safe. */
export const newSecret = (prefix: string): string =>
  `${prefix}_${crypto.randomBytes(32).toString('base64url')}`;

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
