/**
 * Installing Concierge into a Zendesk account without the CLI: an admin opens the app, is sent through
 * Zendesk's OAuth authorization-code flow (state + PKCE), and comes back to a page with the app's shared
 * secret, the ingest key and the EventBridge steps. The service creates the tenant with the OAuth token
 * (encrypted) and sets up the billing webhook and triggers.
 *
 * Uninstalling (the app's Disconnect, `concierge tenant uninstall`) or a token Zendesk no longer accepts
 * suspends the tenant: all work stops at once; its data is purged after the grace period.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../store/db';
import { sameDigest, sha256, type SecretBox } from '../store/crypto';
import { AppError, BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../errors';
import {
  resolveZendeskUrl,
  subdomainSchema,
  type CreatedTenant,
  type Tenant,
  type TenantRepo,
} from '../tenants/repo';
import type { TenantLifecycle, TenantState } from '../tenants/lifecycle';
import {
  authorizeUrl,
  checkCredentials,
  exchangeCode,
  newPkcePair,
  OauthExchangeError,
  type OauthClientConfig,
} from '../zendesk/oauth';
import type { ZendeskApi } from '../zendesk/types';
import type { SetupResult } from '../billing/setup';

export interface InstallDeps {
  db: Db;
  box: SecretBox;
  tenants: TenantRepo;
  lifecycle: TenantLifecycle;
  /** Null when CONCIERGE_ZENDESK_OAUTH_CLIENT_ID/SECRET are not set: the flow is then off (404). */
  oauth: OauthClientConfig | null;
  allowLocalZendesk: boolean;
  publicUrl: string;
  /** A Zendesk client for the tenant as stored now (not a cached one with older credentials). */
  zendeskFor(tenant: Tenant): Promise<ZendeskApi>;
  /** Drops the process's cached tenant and Zendesk client, so a change takes effect at once. */
  forget(tenantId: string): void;
  setupWebhooks(tenantId: string, webhookSecret: string, zendesk: ZendeskApi): Promise<SetupResult>;
  logger: Logger;
  attemptTtlMs?: number;
  fetchImpl?: typeof fetch;
}

export interface InstallResult {
  created: CreatedTenant;
  reconnected: boolean;
  webhooks: { ok: true; webhookId: string; triggers: number } | { ok: false; error: string };
  eventBridge: {
    endpoint: string;
    authorizationHeader: string;
    eventPattern: { source: string[]; 'detail-type': string[] };
  };
}

const DEFAULT_TTL_MS = 10 * 60_000;
const MAX_OPEN_PER_ACCOUNT = 20;
const MAX_OPEN_TOTAL = 10_000;

export class InstallError extends AppError {}

const refuse = (code: string, message: string, status = 400) => new InstallError(code, message, status);

export class InstallService {
  private readonly checking = new Set<string>();

  constructor(private readonly deps: InstallDeps) {}

  get enabled(): boolean {
    return this.deps.oauth !== null;
  }

  private client(): OauthClientConfig {
    if (!this.deps.oauth)
      throw new NotFoundError(
        'The install flow is off: CONCIERGE_ZENDESK_OAUTH_CLIENT_ID and _SECRET are not set',
        'install_disabled',
      );
    return this.deps.oauth;
  }

  async status(subdomain: unknown): Promise<{ subdomain: string } & TenantState> {
    const id = parseSubdomain(subdomain);
    return { subdomain: id, ...(await this.deps.lifecycle.state(id)) };
  }

  /**
   * Starts an authorization: stores the attempt (state and browser nonce hashed, verifier encrypted)
   * and returns where to send the browser, with the nonce for the browser-binding cookie.
   */
  async start(input: { subdomain: unknown; zendeskUrl?: unknown }): Promise<{
    redirectUrl: string;
    browserNonce: string;
    expiresInMs: number;
  }> {
    const client = this.client();
    const subdomain = parseSubdomain(input.subdomain);
    if (input.zendeskUrl !== undefined && typeof input.zendeskUrl !== 'string')
      throw new BadRequestError('zendesk_url must be a URL', undefined, 'invalid_zendesk_url');
    let zendeskUrl: string;
    try {
      zendeskUrl = resolveZendeskUrl(subdomain, input.zendeskUrl, this.deps.allowLocalZendesk);
    } catch (err) {
      if (err instanceof ConflictError)
        throw new BadRequestError(err.message, undefined, 'zendesk_url_refused');
      throw err;
    }
    const state = crypto.randomBytes(32).toString('base64url');
    const browserNonce = crypto.randomBytes(32).toString('base64url');
    const pkce = newPkcePair();
    const ttl = this.deps.attemptTtlMs ?? DEFAULT_TTL_MS;
    await this.deps.db.query(`DELETE FROM install_attempts WHERE expires_at < now() - interval '1 day'`);
    // /start needs no credentials: bound what it can make us store.
    const [open] = await this.deps.db.query<{ total: string; mine: string }>(
      `SELECT count(*)::text AS total, count(*) FILTER (WHERE subdomain = $1)::text AS mine
         FROM install_attempts WHERE expires_at > now()`,
      [subdomain],
    );
    if (Number(open?.mine ?? 0) >= MAX_OPEN_PER_ACCOUNT || Number(open?.total ?? 0) >= MAX_OPEN_TOTAL)
      throw refuse(
        'too_many_attempts',
        'Too many authorizations in progress; try again in a few minutes.',
        429,
      );
    await this.deps.db.query(
      `INSERT INTO install_attempts (state_hash, browser_hash, subdomain, zendesk_url, code_verifier, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        sha256(state),
        sha256(browserNonce),
        subdomain,
        zendeskUrl,
        this.deps.box.encrypt(pkce.verifier, subdomain),
        new Date(Date.now() + ttl).toISOString(),
      ],
    );
    return {
      redirectUrl: authorizeUrl(zendeskUrl, client, { state, challenge: pkce.challenge }),
      browserNonce,
      expiresInMs: ttl,
    };
  }

  /**
   * The OAuth callback. The attempt is consumed (once) only by the browser that started it; then the
   * code is exchanged with the stored verifier, the token must act as an admin of that account, and the
   * tenant is created (or a suspended one reconnected).
   */
  async complete(input: {
    state: unknown;
    code?: unknown;
    error?: unknown;
    browserNonce: string | undefined;
  }): Promise<InstallResult> {
    const client = this.client();
    if (typeof input.state !== 'string' || !/^[\w-]{20,200}$/.test(input.state))
      throw refuse('invalid_state', 'The state parameter is missing or malformed. Start again from the app.');
    const attempt = await this.consume(input.state, input.browserNonce);
    if (input.error !== undefined) {
      const what =
        typeof input.error === 'string' && /^[\w.-]{1,60}$/.test(input.error) ? input.error : 'error';
      throw refuse('authorization_declined', `Zendesk did not authorize Concierge (${what}).`);
    }
    if (typeof input.code !== 'string' || !/^[\w.~+/=-]{1,512}$/.test(input.code))
      throw refuse('invalid_code', 'The code parameter is missing or malformed. Start again from the app.');

    let accessToken: string;
    try {
      ({ accessToken } = await exchangeCode(
        attempt.zendeskUrl,
        client,
        { code: input.code, verifier: attempt.verifier },
        this.deps.fetchImpl,
      ));
    } catch (err) {
      if (err instanceof OauthExchangeError) {
        const refused = typeof err.status === 'number' && err.status >= 400 && err.status < 500;
        throw refuse(refused ? 'code_refused' : 'zendesk_unavailable', err.message, refused ? 400 : 502);
      }
      throw err;
    }
    const credentials = { kind: 'oauth' as const, token: accessToken };
    const me = await checkCredentials(attempt.zendeskUrl, credentials, this.deps.fetchImpl).catch(
      (err: Error) => {
        throw refuse('zendesk_unavailable', `Zendesk did not answer: ${err.message}`, 502);
      },
    );
    if (!me.ok) throw refuse('code_refused', `Zendesk refused the new token (${me.status})`);
    if (me.role !== 'admin')
      throw new ForbiddenError('Only a Zendesk admin can connect the account', 'admin_required');

    const subdomain = attempt.subdomain;
    const before = await this.deps.lifecycle.state(subdomain);
    let created: CreatedTenant;
    if (before.status === 'active')
      throw new ConflictError(
        `${subdomain} is already connected. To get new secrets, disconnect it from the app first.`,
        'tenant_already_connected',
      );
    if (before.status === 'suspended') {
      created = await this.deps.lifecycle.reconnect(subdomain, credentials);
    } else {
      created = await this.deps.tenants.create(
        { subdomain, zendeskUrl: attempt.zendeskUrl, credentials },
        this.deps.allowLocalZendesk,
      );
      await this.deps.lifecycle.markInstalledViaOauth(subdomain);
    }
    this.deps.forget(subdomain);
    this.deps.logger.info(
      { tenantId: subdomain, reconnected: before.status === 'suspended', userId: me.userId },
      'tenant connected through OAuth',
    );

    let webhooks: InstallResult['webhooks'];
    try {
      const tenant = await this.deps.tenants.get(subdomain);
      if (!tenant) throw new Error('tenant vanished');
      const setup = await this.deps.setupWebhooks(
        subdomain,
        created.webhookSecret,
        await this.deps.zendeskFor(tenant),
      );
      webhooks = { ok: true, webhookId: setup.webhookId, triggers: setup.triggers.length };
    } catch (err) {
      // The secrets are shown only now: the page must still appear. The operator can re-run the setup.
      this.deps.logger.warn({ tenantId: subdomain, err: (err as Error).message }, 'webhook setup failed');
      webhooks = { ok: false, error: (err as Error).message };
    }
    return {
      created,
      reconnected: before.status === 'suspended',
      webhooks,
      eventBridge: {
        endpoint: `${this.deps.publicUrl}/v1/connect/events`,
        authorizationHeader: `Bearer ${created.ingestKey}`,
        eventPattern: { source: ['aws.connect'], 'detail-type': ['Amazon Connect Contact Event'] },
      },
    };
  }

  private async consume(
    state: string,
    browserNonce: string | undefined,
  ): Promise<{ subdomain: string; zendeskUrl: string; verifier: string }> {
    const rows = await this.deps.db.query<{
      subdomain: string;
      zendesk_url: string;
      code_verifier: string;
      browser_hash: string;
      consumed_at: unknown;
      expired: boolean;
    }>(
      `SELECT subdomain, zendesk_url, code_verifier, browser_hash, consumed_at, expires_at < now() AS expired
         FROM install_attempts WHERE state_hash = $1`,
      [sha256(state)],
    );
    const row = rows[0];
    if (!row) throw refuse('invalid_state', 'Unknown state: this authorization was not started here.');
    if (!browserNonce || !sameDigest(row.browser_hash, sha256(browserNonce)))
      throw refuse(
        'state_mismatch',
        'This authorization was started in another browser (or its cookie is gone). Start again from the app.',
      );
    if (row.consumed_at)
      throw refuse('state_used', 'This authorization was already used. Start again from the app.');
    if (row.expired) throw refuse('state_expired', 'This authorization expired. Start again from the app.');
    // Single use, even under concurrent callbacks: only one UPDATE finds consumed_at still empty.
    const taken = await this.deps.db.query(
      `UPDATE install_attempts SET consumed_at = now() WHERE state_hash = $1 AND consumed_at IS NULL RETURNING 1`,
      [sha256(state)],
    );
    if (taken.length === 0)
      throw refuse('state_used', 'This authorization was already used. Start again from the app.');
    return {
      subdomain: row.subdomain,
      zendeskUrl: row.zendesk_url,
      verifier: this.deps.box.decrypt(row.code_verifier, row.subdomain),
    };
  }

  /** The app's Disconnect (an admin) or the operator: stop all work now, purge after the grace period. */
  async uninstall(tenantId: string): Promise<TenantState> {
    await this.deps.lifecycle.suspend(tenantId, 'uninstalled');
    this.deps.forget(tenantId);
    this.deps.logger.warn(
      { tenantId },
      'tenant uninstalled: work stopped, data purged after the grace period',
    );
    return this.deps.lifecycle.state(tenantId);
  }

  /**
   * Called when Zendesk answered 401 to one of the tenant's requests. One check of the stored credentials
   * (GET /users/me) tells a revoked token from a passing hiccup; a revoked one suspends the tenant.
   */
  async zendeskRefused(tenant: Tenant): Promise<boolean> {
    if (this.checking.has(tenant.id)) return false;
    this.checking.add(tenant.id);
    try {
      const credentials = await this.deps.tenants.credentials(tenant.id);
      const check = await checkCredentials(tenant.zendeskUrl, credentials, this.deps.fetchImpl);
      if (check.ok || check.status !== 401) return false;
      const suspended = await this.deps.lifecycle.suspend(tenant.id, 'token_revoked');
      this.deps.forget(tenant.id);
      if (suspended)
        this.deps.logger.warn(
          { tenantId: tenant.id },
          'Zendesk no longer accepts the tenant token: work stopped, data purged after the grace period',
        );
      return suspended;
    } catch (err) {
      this.deps.logger.warn({ tenantId: tenant.id, err: (err as Error).message }, 'token check failed');
      return false;
    } finally {
      this.checking.delete(tenant.id);
    }
  }
}

function parseSubdomain(value: unknown): string {
  const r = subdomainSchema.safeParse(value);
  if (!r.success)
    throw new BadRequestError(
      'subdomain: a Zendesk subdomain (acme for acme.zendesk.com)',
      r.error.issues.map((i) => ({ path: 'subdomain', message: i.message })),
      'invalid_subdomain',
    );
  return r.data;
}
