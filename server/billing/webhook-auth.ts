import crypto, { type KeyObject } from 'node:crypto';
import type { Db } from '../store/db';
import { newSecret, sameDigest, sha256, type SecretBox } from '../store/crypto';

export interface WebhookSetup {
  webhookId: string;
  endpoint: string;
  bearerHash: string;
  triggerIds: Record<string, number>;
  apiUserId: number | null;
}

/** What the webhook endpoint checks a delivery against. */
export interface WebhookVerifier {
  /** Whether the bearer token is the tenant's webhook secret (constant time). */
  acceptsBearer(token: string): boolean;
  /** The webhook's signing secret, as an HMAC key. */
  signingKey: KeyObject;
}

/**
 * Checks bearer tokens against the stored hash. The first token that matches is kept (in memory, for as
 * long as the verifier is cached), so later deliveries compare its bytes in constant time instead of
 * hashing again; another length fails at once (the secrets' length is not the secret).
 */
export function bearerCheck(bearerHash: string): (token: string) => boolean {
  let known: Buffer | undefined;
  return (token) => {
    const given = Buffer.from(token, 'utf8');
    if (known) return given.length === known.length && crypto.timingSafeEqual(given, known);
    if (!sameDigest(bearerHash, sha256(token))) return false;
    known = given;
    return true;
  };
}

interface SetupRow {
  webhook_id: string;
  endpoint: string;
  bearer_hash: string;
  trigger_ids: Record<string, number> | string;
  api_user_id: string | number | null;
  signing_secret: string;
}

/**
 * The tenant's webhook secrets: the bearer token Zendesk sends (tenants.webhook_secret, encrypted, with
 * its hash in tenants.webhook_secret_hash) and the webhook's signing secret (zendesk_webhooks, encrypted).
 * Both ciphertexts are bound to the tenant id, so a row copied to another tenant does not decrypt.
 */
export class WebhookAuthRepo {
  private cache = new Map<string, { value: WebhookVerifier | null; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly cacheMs = 30_000,
  ) {}

  async bearerSecret(tenantId: string): Promise<string | null> {
    const rows = await this.db.query<{ webhook_secret: string | null }>(
      `SELECT webhook_secret FROM tenants WHERE id = $1`,
      [tenantId],
    );
    const box = rows[0]?.webhook_secret;
    return box ? this.box.decrypt(box, tenantId) : null;
  }

  /** Keeps the secret printed by `tenant create` (checked against its hash); false when it does not match. */
  async adoptSecret(tenantId: string, secret: string): Promise<boolean> {
    const rows = await this.db.query<{ webhook_secret_hash: string }>(
      `SELECT webhook_secret_hash FROM tenants WHERE id = $1`,
      [tenantId],
    );
    if (!rows[0] || !sameDigest(rows[0].webhook_secret_hash, sha256(secret))) return false;
    await this.db.query(`UPDATE tenants SET webhook_secret = $2 WHERE id = $1`, [
      tenantId,
      this.box.encrypt(secret, tenantId),
    ]);
    return true;
  }

  /** A new bearer secret, hash and ciphertext written together; the previous one stops working. */
  async rotateSecret(tenantId: string): Promise<string> {
    const secret = newSecret('cwh');
    await this.db.query(`UPDATE tenants SET webhook_secret = $2, webhook_secret_hash = $3 WHERE id = $1`, [
      tenantId,
      this.box.encrypt(secret, tenantId),
      sha256(secret),
    ]);
    this.cache.delete(tenantId);
    return secret;
  }

  async setup(tenantId: string): Promise<WebhookSetup | null> {
    const rows = await this.db.query<SetupRow>(`SELECT * FROM zendesk_webhooks WHERE tenant_id = $1`, [
      tenantId,
    ]);
    const r = rows[0];
    if (!r) return null;
    return {
      webhookId: r.webhook_id,
      endpoint: r.endpoint,
      bearerHash: r.bearer_hash,
      triggerIds:
        typeof r.trigger_ids === 'string'
          ? (JSON.parse(r.trigger_ids) as Record<string, number>)
          : r.trigger_ids,
      apiUserId: r.api_user_id === null ? null : Number(r.api_user_id),
    };
  }

  async saveSetup(tenantId: string, s: WebhookSetup & { signingSecret: string }): Promise<void> {
    await this.db.query(
      `INSERT INTO zendesk_webhooks (tenant_id, webhook_id, endpoint, signing_secret, bearer_hash, trigger_ids, api_user_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id) DO UPDATE SET webhook_id = EXCLUDED.webhook_id, endpoint = EXCLUDED.endpoint,
         signing_secret = EXCLUDED.signing_secret, bearer_hash = EXCLUDED.bearer_hash,
         trigger_ids = EXCLUDED.trigger_ids, api_user_id = EXCLUDED.api_user_id, updated_at = now()`,
      [
        tenantId,
        s.webhookId,
        s.endpoint,
        this.box.encrypt(s.signingSecret, tenantId),
        s.bearerHash,
        JSON.stringify(s.triggerIds),
        s.apiUserId,
      ],
    );
    this.cache.delete(tenantId);
  }

  /** Null when the tenant is unknown or its webhook was never set up: every delivery is refused then. */
  async verifier(tenantId: string): Promise<WebhookVerifier | null> {
    const hit = this.cache.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.value;
    const rows = await this.db.query<{ webhook_secret_hash: string; signing_secret: string | null }>(
      `SELECT t.webhook_secret_hash, w.signing_secret
         FROM tenants t LEFT JOIN zendesk_webhooks w ON w.tenant_id = t.id WHERE t.id = $1 AND t.status = 'active'`,
      [tenantId],
    );
    const r = rows[0];
    const value =
      r && r.signing_secret
        ? {
            acceptsBearer: bearerCheck(r.webhook_secret_hash),
            signingKey: crypto.createSecretKey(
              Buffer.from(this.box.decrypt(r.signing_secret, tenantId), 'utf8'),
            ),
          }
        : null;
    // Unknown tenant names are cached too (a flood of them must not reach the database), within a bound.
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(tenantId, { value, until: Date.now() + this.cacheMs });
    return value;
  }
}
