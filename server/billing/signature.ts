import crypto, { type KeyObject } from 'node:crypto';

/** Zendesk webhook signatures: base64(HMAC-SHA256(secret, timestamp + raw body)), no separator. */

export const SIGNATURE_HEADER = 'x-zendesk-webhook-signature';
export const TIMESTAMP_HEADER = 'x-zendesk-webhook-signature-timestamp';
export const MAX_SIGNATURE_AGE_MS = 5 * 60_000;

export type SignatureProblem = 'missing' | 'stale' | 'mismatch';

export function signZendeskWebhook(
  secret: string | KeyObject,
  timestamp: string,
  rawBody: Buffer | string,
): string {
  return crypto
    .createHmac('sha256', typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret)
    .update(timestamp, 'utf8')
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .digest('base64');
}

/**
 * Checks a delivery. The timestamp must be within 5 minutes of now (either side: a clock far ahead is as
 * suspect as a replay). The comparison is constant-time over the base64 text, so a hex digest, a digest
 * over "timestamp.body" or over the body alone, and any altered byte all fail the same way.
 */
export function verifyZendeskSignature(input: {
  secret: string | KeyObject;
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: Buffer;
  now?: number;
  maxAgeMs?: number;
}): SignatureProblem | null {
  const { signature, timestamp } = input;
  if (!signature || !timestamp) return 'missing';
  const at = Date.parse(timestamp);
  const now = input.now ?? Date.now();
  if (Number.isNaN(at) || Math.abs(now - at) > (input.maxAgeMs ?? MAX_SIGNATURE_AGE_MS)) return 'stale';
  const expected = Buffer.from(signZendeskWebhook(input.secret, timestamp, input.rawBody), 'utf8');
  const given = Buffer.from(signature.trim(), 'utf8');
  return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? null : 'mismatch';
}
