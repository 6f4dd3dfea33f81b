import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { startHarness, type Harness } from '../helpers/harness';
import { scriptCall } from '../helpers/calls';
import { startZendeskOauthDouble, type ZendeskOauthDouble } from '../../doubles/zendesk-oauth-double';
import { loadConfig, ConfigError } from '../../server/config';

const CLIENT_ID = 'zdg-concierge-test';
const CLIENT_SECRET = 'test-client-secret-0123456789';
const PUBLIC = 'https://concierge.test';

interface Started {
  cookie: string;
  authorizeUrl: URL;
}

describe('Install flow: a Zendesk admin connects the account through OAuth', () => {
  let h: Harness;
  let oauth: ZendeskOauthDouble;
  let subdomain: string;

  beforeEach(async () => {
    h = await startHarness({
      env: {
        CONCIERGE_ZENDESK_OAUTH_CLIENT_ID: CLIENT_ID,
        CONCIERGE_ZENDESK_OAUTH_CLIENT_SECRET: CLIENT_SECRET,
        CONCIERGE_TENANT_GRACE_DAYS: '30',
      },
    });
    oauth = await startZendeskOauthDouble({
      apiUrl: h.zendesk.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    subdomain = `acme-${randomUUID().slice(0, 8)}`;
  });
  afterEach(async () => {
    await oauth.close();
    await h.stop();
  });

  /** The app's "Connect this account" link: the service sets the cookie and sends the browser to Zendesk. */
  async function start(sub = subdomain): Promise<Started> {
    const res = await fetch(
      `${h.url}/v1/install/start?subdomain=${sub}&zendesk_url=${encodeURIComponent(oauth.url)}`,
      { redirect: 'manual' },
    );
    expect(res.status).toBe(302);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/concierge_install=[\w-]+;.*HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Secure/);
    return {
      cookie: setCookie.split(';')[0]!,
      authorizeUrl: new URL(res.headers.get('location')!),
    };
  }

  /** The admin approves on Zendesk's page; Zendesk redirects the browser to our callback. */
  async function approve(s: Started): Promise<URL> {
    const res = await fetch(s.authorizeUrl, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(back.origin).toBe(PUBLIC);
    return new URL(`${back.pathname}${back.search}`, h.url);
  }

  async function callback(url: URL | string, cookie?: string, accept = 'application/json') {
    const res = await fetch(url, { headers: { accept, ...(cookie ? { cookie } : {}) } });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* html */
    }
    return { status: res.status, body, text, headers: res.headers };
  }

  const tenantRows = async (id: string) =>
    h.running.ctx.db.query<{ id: string; status: string; zendesk_credentials: string }>(
      `SELECT id, status, zendesk_credentials FROM tenants WHERE id = $1`,
      [id],
    );
  const status = async (sub = subdomain) =>
    (await (await fetch(`${h.url}/v1/install/status?subdomain=${sub}`)).json()) as Record<string, unknown>;

  test('when the admin approves, then the tenant is created with the token encrypted, webhooks are set up, and the secrets work', async () => {
    expect(await status()).toMatchObject({ status: 'not_connected', install: true });
    const s = await start();
    const q = s.authorizeUrl.searchParams;
    expect(s.authorizeUrl.pathname).toBe('/oauth/authorizations/new');
    expect(Object.fromEntries(q)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: `${PUBLIC}/v1/install/callback`,
      scope: 'read write',
      code_challenge_method: 'S256',
    });
    expect(q.get('state')).toMatch(/^[\w-]{43}$/);
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/);

    const r = await callback(await approve(s), s.cookie);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const created = r.body.created as Record<string, string>;
    expect(created.tenant).toBe(subdomain);
    expect(created.appSecret).toMatch(/^cas_/);
    expect(created.ingestKey).toMatch(/^cik_/);
    expect(r.body.eventBridge).toEqual({
      endpoint: `${PUBLIC}/v1/connect/events`,
      authorizationHeader: `Bearer ${created.ingestKey}`,
      eventPattern: { source: ['aws.connect'], 'detail-type': ['Amazon Connect Contact Event'] },
    });
    expect(r.body.webhooks).toMatchObject({ ok: true, triggers: 3 });

    // The token exchange carried the verifier and the client secret, as Zendesk requires.
    const exchange = oauth.tokenRequests.at(-1)!;
    expect(exchange.status).toBe(200);
    expect(exchange.body).toMatchObject({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: `${PUBLIC}/v1/install/callback`,
    });
    const token = [...oauth.tokens][0]!;
    const [row] = await tenantRows(subdomain);
    expect(row!.status).toBe('active');
    expect(row!.zendesk_credentials).not.toContain(token);
    expect(await h.running.ctx.tenants.credentials(subdomain)).toEqual({ kind: 'oauth', token });

    // Webhook and triggers exist in Zendesk, made with the new token, pointing at this tenant.
    const hooks = [...h.zendesk.webhooks.values()];
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.endpoint).toBe(`${PUBLIC}/v1/zendesk/webhooks/${subdomain}`);
    expect(h.zendesk.triggers.size).toBe(3);
    expect(h.zendesk.specViolations).toEqual([]);

    // The ingest key is accepted; the app secret signs app calls.
    const call = scriptCall(h.connect, 'abandoned', '+14155550199');
    expect((await h.post(call.events, created.ingestKey)).status).toBe(202);
    await h.until(() => [...h.zendesk.tickets.values()].some((t) => t.external_id === call.initialContactId));
    expect(await status()).toMatchObject({ status: 'active' });

    // The HTML page of a second install shows the secrets escaped, once.
    const other = `beta-${randomUUID().slice(0, 8)}`;
    const s2 = await start(other);
    const page = await callback(await approve(s2), s2.cookie, 'text/html');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toMatch(/data-secret="appSecret">cas_[\w-]+</);
    expect(page.text).toContain('/v1/connect/events');
  });

  test('when the callback comes without the cookie of the browser that started it, then 400 state_mismatch and nothing is created', async () => {
    const s = await start();
    const back = await approve(s);
    const none = await callback(back);
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ error: { code: 'state_mismatch' } });
    const other = await start(); // another browser's cookie, for the same account
    const wrong = await callback(back, other.cookie);
    expect(wrong.body).toMatchObject({ error: { code: 'state_mismatch' } });
    expect(oauth.tokenRequests).toHaveLength(0); // the code was never redeemed
    expect(await tenantRows(subdomain)).toHaveLength(0);
    // The rightful browser can still finish.
    expect((await callback(back, s.cookie)).status).toBe(200);
  });

  test('when the state is unknown or tampered with, then 400 invalid_state', async () => {
    const s = await start();
    const back = await approve(s);
    back.searchParams.set('state', `${back.searchParams.get('state')!.slice(0, -2)}xx`);
    const r = await callback(back, s.cookie);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'invalid_state' } });
    const missing = await callback(new URL('/v1/install/callback?code=abc', h.url), s.cookie);
    expect(missing.body).toMatchObject({ error: { code: 'invalid_state' } });
    expect(await tenantRows(subdomain)).toHaveLength(0);
  });

  test('when a callback is replayed, then 400 state_used; a code redeemed again is refused by Zendesk', async () => {
    const s = await start();
    const back = await approve(s);
    expect((await callback(back, s.cookie)).status).toBe(200);
    const again = await callback(back, s.cookie);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: { code: 'state_used' } });
    expect(oauth.tokenRequests).toHaveLength(1);

    // The same code smuggled into a fresh attempt: Zendesk has spent it.
    const other = `beta-${randomUUID().slice(0, 8)}`;
    const s2 = await start(other);
    const back2 = await approve(s2);
    back2.searchParams.set('code', back.searchParams.get('code')!);
    const replay = await callback(back2, s2.cookie);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: { code: 'code_refused' } });
    expect(oauth.tokenRequests.at(-1)).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(await tenantRows(other)).toHaveLength(0);
  });

  test('when a code issued for one attempt is redeemed with another attempt (wrong PKCE verifier), then Zendesk refuses it and nothing is created', async () => {
    const victim = await start();
    const victimBack = await approve(victim);
    const attacker = await start();
    const attackerBack = await approve(attacker);
    // The attacker's callback carries the victim's code: the verifier it holds does not match.
    attackerBack.searchParams.set('code', victimBack.searchParams.get('code')!);
    const r = await callback(attackerBack, attacker.cookie);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'code_refused' } });
    const refused = oauth.tokenRequests.at(-1)!;
    expect(refused).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(refused.body.code_verifier).toEqual(expect.any(String));
    expect(oauth.tokens.size).toBe(0);
    expect(await tenantRows(subdomain)).toHaveLength(0);
  });

  test('when the admin declines, then the page says so and nothing is created', async () => {
    oauth.declineNext();
    const s = await start();
    const back = await approve(s);
    expect(back.searchParams.get('error')).toBe('access_denied');
    const r = await callback(back, s.cookie, 'text/html');
    expect(r.status).toBe(400);
    expect(r.text).toContain('Zendesk did not authorize Concierge (access_denied)');
    expect(await tenantRows(subdomain)).toHaveLength(0);
  });

  test('when the account is already connected, then a second install is refused with 409 and the secrets stay', async () => {
    const s = await start();
    const first = await callback(await approve(s), s.cookie);
    const appSecret = (first.body.created as Record<string, string>).appSecret;
    const s2 = await start();
    const second = await callback(await approve(s2), s2.cookie);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: { code: 'tenant_already_connected' } });
    expect(await h.running.ctx.tenants.appSecret(subdomain)).toBe(appSecret);
  });

  test('when Zendesk revokes the token, then the next 401 stops all work for the tenant; after the grace period its data is purged', async () => {
    const s = await start();
    const r = await callback(await approve(s), s.cookie);
    const created = r.body.created as Record<string, string>;
    const first = scriptCall(h.connect, 'abandoned', '+14155550111');
    expect((await h.post(first.events, created.ingestKey)).status).toBe(202);
    await h.until(() =>
      [...h.zendesk.tickets.values()].some((t) => t.external_id === first.initialContactId),
    );

    oauth.revoke([...oauth.tokens][0]!);
    const second = scriptCall(h.connect, 'abandoned', '+14155550112');
    expect((await h.post(second.events, created.ingestKey)).status).toBe(202);
    await h.until(async () => (await status()).status === 'suspended');
    expect(await status()).toMatchObject({ status: 'suspended', reason: 'token_revoked' });
    const purgeAfter = Date.parse((await status()).purgeAfter as string);
    expect(purgeAfter - Date.now()).toBeGreaterThan(29.9 * 86_400_000);

    // Work has stopped: app calls refused, nothing more reaches Zendesk. (Ingest keeps a 30-second key
    // cache per API process: an event may still be stored in that window, and is then never worked.)
    const third = scriptCall(h.connect, 'abandoned', '+14155550113');
    expect([202, 401]).toContain((await h.post(third.events, created.ingestKey)).status);
    const app = await fetch(`${h.url}/v1/app/contacts/${first.initialContactId}`, {
      headers: { authorization: `Bearer ${await appToken(subdomain, created.appSecret!)}` },
    });
    expect(app.status).toBe(401);
    await new Promise((res) => setTimeout(res, 2500)); // a sweep interval and more
    const refusedBefore = oauth.refused;
    await new Promise((res) => setTimeout(res, 2000));
    expect(oauth.refused).toBe(refusedBefore);
    for (const c of [second, third])
      expect([...h.zendesk.tickets.values()].some((t) => t.external_id === c.initialContactId)).toBe(false);
    expect(await h.running.ctx.tenants.list()).not.toContainEqual(expect.objectContaining({ id: subdomain }));

    // Before the grace period ends nothing is deleted; after it, every row of the tenant goes.
    const lifecycle = h.running.ctx.lifecycle;
    expect(await lifecycle.dueForPurge(new Date())).not.toContain(subdomain);
    const later = new Date(purgeAfter + 1000);
    expect(await lifecycle.dueForPurge(later)).toContain(subdomain);
    const purged = await lifecycle.purge(subdomain);
    expect(purged.deleted.contact_events).toBeGreaterThan(0);
    expect(purged.deleted.zendesk_webhooks).toBe(1);
    expect(await tenantRows(subdomain)).toHaveLength(0);
    const left = await h.running.ctx.db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM contact_events WHERE tenant_id = $1) + (SELECT count(*) FROM contacts WHERE tenant_id = $1) AS n`,
      [subdomain],
    );
    expect(Number(left[0]!.n)).toBe(0);
    // The harness's own tenant is untouched.
    expect(await h.running.ctx.tenants.get(h.tenant.tenant)).not.toBeNull();
    expect(await status()).toMatchObject({ status: 'not_connected' });
  });

  test('when an admin disconnects from the app, then work stops; reconnecting within the grace period restores the tenant with new secrets and its data', async () => {
    const s = await start();
    const created = (await callback(await approve(s), s.cookie)).body.created as Record<string, string>;
    const call = scriptCall(h.connect, 'abandoned', '+14155550121');
    await h.post(call.events, created.ingestKey);
    await h.until(() => [...h.zendesk.tickets.values()].some((t) => t.external_id === call.initialContactId));

    const disconnect = async (role: string, sub: number) =>
      fetch(`${h.url}/v1/app/install/disconnect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await appToken(subdomain, created.appSecret!, role, sub)}` },
      });
    const agentUser = h.zendesk.addUser({ name: 'Ann Agent', email: 'ann@example.com', role: 'agent' });
    expect((await disconnect('agent', agentUser.id)).status).toBe(403);
    // The role claim is only the first gate: Zendesk (asked with the tenant's token) must list an admin.
    expect((await disconnect('admin', agentUser.id)).status).toBe(403);
    expect(await status()).toMatchObject({ status: 'active' });
    const res = await disconnect('admin', 1); // the double's account owner, an admin
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'suspended', purgeAfter: expect.any(String) });
    expect(await status()).toMatchObject({ status: 'suspended', reason: 'uninstalled' });
    expect((await h.post(call.events, created.ingestKey)).status).toBe(401);

    const s2 = await start();
    const again = await callback(await approve(s2), s2.cookie);
    expect(again.status).toBe(200);
    expect(again.body.reconnected).toBe(true);
    const renewed = again.body.created as Record<string, string>;
    expect(renewed.ingestKey).not.toBe(created.ingestKey);
    expect((await h.post(call.events, created.ingestKey)).status).toBe(401);
    expect((await h.post(call.events, renewed.ingestKey)).status).toBe(202);
    expect(await h.running.ctx.contacts.get(subdomain, call.initialContactId)).not.toBeNull();
    // The existing webhook got the new bearer secret instead of a second webhook.
    expect(h.zendesk.webhooks.size).toBe(1);
    expect(await status()).toMatchObject({ status: 'active' });
  });

  test('when one account has 20 authorizations in progress, then a 21st is refused with 429', async () => {
    for (let i = 0; i < 20; i++) await start();
    const res = await fetch(`${h.url}/v1/install/start?subdomain=${subdomain}`, { redirect: 'manual' });
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ error: { code: 'too_many_attempts' } });
    // Another account is not affected.
    await start(`other-${randomUUID().slice(0, 8)}`);
  });

  test('when the subdomain is not a Zendesk subdomain or the Zendesk URL is foreign, then 400 before anything is stored', async () => {
    const bad = await fetch(`${h.url}/v1/install/start?subdomain=Not_Valid`, { redirect: 'manual' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_subdomain' } });
    const status400 = await fetch(`${h.url}/v1/install/status?subdomain=..%2F`);
    expect(status400.status).toBe(400);
  });
});

describe('Install flow configuration', () => {
  test('when the OAuth client is not configured, then /v1/install/start is 404 and status says install is off', async () => {
    const h = await startHarness();
    try {
      const res = await fetch(`${h.url}/v1/install/start?subdomain=acme`, { redirect: 'manual' });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'install_disabled' } });
      const st = (await (await fetch(`${h.url}/v1/install/status?subdomain=acme`)).json()) as Record<
        string,
        unknown
      >;
      expect(st).toMatchObject({ status: 'not_connected', install: false });
    } finally {
      await h.stop();
    }
  });

  test('when only one of the OAuth client id and secret is set, then the configuration is refused naming both', () => {
    expect(() => loadConfig({ CONCIERGE_ZENDESK_OAUTH_CLIENT_ID: CLIENT_ID })).toThrow(ConfigError);
    expect(() => loadConfig({ CONCIERGE_ZENDESK_OAUTH_CLIENT_ID: CLIENT_ID })).toThrow(
      /CONCIERGE_ZENDESK_OAUTH_CLIENT_ID and CONCIERGE_ZENDESK_OAUTH_CLIENT_SECRET/,
    );
  });
});

async function appToken(subdomain: string, secret: string, role?: string, sub?: number): Promise<string> {
  const jwt = new SignJWT(role ? { role } : {});
  if (sub !== undefined) jwt.setSubject(String(sub));
  return jwt
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(`https://${subdomain}.zendesk.com`)
    .setAudience(PUBLIC)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
    .sign(new TextEncoder().encode(secret));
}
