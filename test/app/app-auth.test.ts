import { generateKeyPairSync } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import fc from 'fast-check';
import { SignJWT, UnsecuredJWT } from 'jose';
import request from 'supertest';
import { AppError } from '../../server/errors';
import {
  assertSameTenant,
  mintStreamToken,
  requireAppAuth,
  verifyAppToken,
  verifyStreamToken,
  zendeskSubdomainFromIssuer,
} from '../../server/http/app-auth';

const SERVICE = 'https://concierge.example.com';
const NOW = new Date('2025-03-01T12:00:00Z');
const nowS = Math.floor(NOW.getTime() / 1000);
const SECRETS: Record<string, string> = {
  acme: 'acme-app-secret-0123456789',
  globex: 'globex-app-secret-987654',
};
const secretFor = async (tenant: string) => SECRETS[tenant] ?? null;
const SERVER_KEY = new TextEncoder().encode('server-stream-key-0123456789abcdef');

interface SignOpts {
  tenant?: string;
  secret?: string;
  claims?: Record<string, unknown>;
  iat?: number;
  exp?: number | null;
  aud?: string | null;
  iss?: string;
}

/** Signs the way the Zendesk proxy does for `jwt: { algorithm: 'HS256', secret_key, expiry, claims }`. */
async function zafToken(o: SignOpts = {}): Promise<string> {
  const tenant = o.tenant ?? 'acme';
  const iat = o.iat ?? nowS;
  const jwt = new SignJWT({ ...(o.claims ?? {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(o.iss ?? `https://${tenant}.zendesk.com`)
    .setIssuedAt(iat);
  if (o.aud !== null) jwt.setAudience(o.aud ?? SERVICE);
  if (o.exp !== null) jwt.setExpirationTime(o.exp ?? iat + 300);
  return jwt.sign(new TextEncoder().encode(o.secret ?? SECRETS[tenant] ?? 'x'));
}

const verify = (token: string, extra: Partial<Parameters<typeof verifyAppToken>[1]> = {}) =>
  verifyAppToken(token, { audience: SERVICE, secretFor, now: NOW, ...extra });

async function rejection(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('verifyAppToken', () => {
  it('when the token is signed with the tenant secret, then the tenant comes from iss', async () => {
    const auth = await verify(await zafToken({ claims: { sub: '4242' } }));
    expect(auth.tenantId).toBe('acme');
    expect(auth.userId).toBe('4242');
    expect(auth.claims.aud).toBe(SERVICE);
  });

  it('when the audience is configured with a trailing slash, then the same token still verifies', async () => {
    await expect(verify(await zafToken(), { audience: `${SERVICE}/` })).resolves.toMatchObject({
      tenantId: 'acme',
    });
  });

  it('when the token is forged with another secret, then 401', async () => {
    const r = await rejection(verify(await zafToken({ secret: 'guessed-secret' })));
    expect(r.status).toBe(401);
  });

  it('when a tenant signs a token claiming another tenant as issuer, then 401 (signature checked with that tenant secret)', async () => {
    const token = await zafToken({ iss: 'https://globex.zendesk.com', secret: SECRETS.acme });
    expect((await rejection(verify(token))).status).toBe(401);
  });

  it('when the payload is altered after signing, then 401', async () => {
    const token = await zafToken();
    const [h, , s] = token.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ iss: 'https://globex.zendesk.com', aud: SERVICE, exp: nowS + 60 }),
    ).toString('base64url');
    expect((await rejection(verify(`${h}.${forgedPayload}.${s}`))).status).toBe(401);
  });

  it('when alg is "none", then 401 before any secret is looked up', async () => {
    const lookups: string[] = [];
    const token = new UnsecuredJWT({ iss: 'https://acme.zendesk.com', aud: SERVICE })
      .setExpirationTime(nowS + 60)
      .encode();
    const r = await rejection(
      verify(token, {
        secretFor: async (t) => {
          lookups.push(t);
          return SECRETS[t] ?? null;
        },
      }),
    );
    expect(r.status).toBe(401);
    expect(lookups).toEqual([]);
  });

  it('when the token is RS256, then 401', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('https://acme.zendesk.com')
      .setAudience(SERVICE)
      .setExpirationTime(nowS + 60)
      .sign(privateKey);
    expect(await rejection(verify(token))).toMatchObject({
      status: 401,
      message: 'Unsupported token algorithm',
    });
  });

  it('when exp is missing, then 401', async () => {
    expect((await rejection(verify(await zafToken({ exp: null })))).status).toBe(401);
  });

  it('when the token expired beyond the clock tolerance, then 401 token_expired', async () => {
    const token = await zafToken({ iat: nowS - 400, exp: nowS - 60 });
    expect(await rejection(verify(token))).toMatchObject({ status: 401, code: 'token_expired' });
  });

  it('when the token expired a few seconds ago (clock skew), then it is accepted', async () => {
    const token = await zafToken({ iat: nowS - 305, exp: nowS - 5 });
    await expect(verify(token)).resolves.toMatchObject({ tenantId: 'acme' });
  });

  it('when the token was minted for another service (wrong aud), then 401', async () => {
    const token = await zafToken({ aud: 'https://other-service.example.com' });
    expect(await rejection(verify(token))).toMatchObject({
      status: 401,
      message: 'Token claim "aud" is invalid',
    });
  });

  it('when aud is missing, then 401', async () => {
    expect((await rejection(verify(await zafToken({ aud: null })))).status).toBe(401);
  });

  it('when the tenant is unknown, then 401', async () => {
    const token = await zafToken({ tenant: 'initech', secret: 'whatever' });
    expect(await rejection(verify(token))).toMatchObject({ status: 401, message: 'Unknown tenant' });
  });

  it('when iss is not a Zendesk account origin, then 401', async () => {
    const token = await zafToken({ iss: 'https://acme.zendesk.com.evil.example' });
    expect((await rejection(verify(token))).status).toBe(401);
  });

  it('when the token lives far longer than ZAF would sign, then 401', async () => {
    const token = await zafToken({ exp: nowS + 86_400 });
    expect(await rejection(verify(token))).toMatchObject({ status: 401, message: 'Token lifetime too long' });
  });

  it('when a stream token is presented as an app token, then 401', async () => {
    const { token } = await mintStreamToken({
      key: SERVER_KEY,
      tenantId: 'acme',
      contactId: 'c-1',
      now: NOW,
    });
    expect((await rejection(verify(token))).status).toBe(401);
  });

  it('when any character of a valid token changes, then it is refused', async () => {
    const token = await zafToken();
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: token.length - 1 }),
        fc.constantFrom('A', 'b', '0', '-', '_'),
        async (i, ch) => {
          fc.pre(token[i] !== ch && token[i] !== '.');
          const mutated = token.slice(0, i) + ch + token.slice(i + 1);
          // base64url's last char can carry unused bits; a mutation that decodes identically is not a change.
          const decodesSame = mutated
            .split('.')
            .every((part, n) =>
              Buffer.from(part, 'base64url').equals(Buffer.from(token.split('.')[n]!, 'base64url')),
            );
          fc.pre(!decodesSame);
          await expect(verify(mutated)).rejects.toBeInstanceOf(AppError);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('assertSameTenant', () => {
  it('when a valid token of one tenant asks for another tenant resource, then 403', async () => {
    const auth = await verify(await zafToken({ tenant: 'acme' }));
    expect(() => assertSameTenant(auth, 'acme')).not.toThrow();
    try {
      assertSameTenant(auth, 'globex');
      throw new Error('expected 403');
    } catch (err) {
      expect(err).toMatchObject({ status: 403, code: 'other_tenant' });
    }
  });
});

describe('zendeskSubdomainFromIssuer', () => {
  it.each([
    ['https://acme.zendesk.com', 'acme'],
    ['https://ACME.zendesk.com/', 'acme'],
    ['https://a-b-1.zendesk.com', 'a-b-1'],
    ['http://acme.zendesk.com', null],
    ['https://acme.zendesk.com/path', null],
    ['https://acme.zendesk.com.evil.example', null],
    ['https://-acme.zendesk.com', null],
    ['acme', null],
  ])('%s → %s', (iss, expected) => {
    expect(zendeskSubdomainFromIssuer(iss)).toBe(expected);
  });
});

describe('stream tokens', () => {
  const mint = (over: Partial<Parameters<typeof mintStreamToken>[0]> = {}) =>
    mintStreamToken({ key: SERVER_KEY, tenantId: 'acme', contactId: 'c-1', now: NOW, ...over });

  it('when minted, then it verifies for the same contact and expires in 60 s', async () => {
    const { token, expiresAt } = await mint();
    expect(expiresAt).toBe(new Date((nowS + 60) * 1000).toISOString());
    const grant = await verifyStreamToken(token, { key: SERVER_KEY, contactId: 'c-1', now: NOW });
    expect(grant).toMatchObject({ tenantId: 'acme', contactId: 'c-1' });
  });

  it('when a longer ttl is asked for, then it is capped at 60 s', async () => {
    const { expiresAt } = await mint({ ttlSeconds: 3600 });
    expect(new Date(expiresAt).getTime() - NOW.getTime()).toBe(60_000);
  });

  it('when used after it expired, then 401', async () => {
    const { token } = await mint();
    const later = new Date(NOW.getTime() + 70_000);
    expect(
      await rejection(verifyStreamToken(token, { key: SERVER_KEY, contactId: 'c-1', now: later })),
    ).toMatchObject({
      status: 401,
      code: 'token_expired',
    });
  });

  it('when used for another contact, then 403', async () => {
    const { token } = await mint();
    expect(
      (await rejection(verifyStreamToken(token, { key: SERVER_KEY, contactId: 'c-2', now: NOW }))).status,
    ).toBe(403);
  });

  it('when replayed with single-use tracking, then the second use is 401', async () => {
    const { token } = await mint();
    const seen = new Set<string>();
    const consume = (jti: string) => (seen.has(jti) ? false : (seen.add(jti), true));
    await verifyStreamToken(token, { key: SERVER_KEY, contactId: 'c-1', now: NOW, consume });
    expect(
      await rejection(verifyStreamToken(token, { key: SERVER_KEY, contactId: 'c-1', now: NOW, consume })),
    ).toMatchObject({ status: 401, code: 'token_replayed' });
  });

  it('when signed with another key, then 401', async () => {
    const { token } = await mint({ key: 'not-the-server-key' });
    expect(
      (await rejection(verifyStreamToken(token, { key: SERVER_KEY, contactId: 'c-1', now: NOW }))).status,
    ).toBe(401);
  });

  it('when an app token is presented as a stream token, then 401', async () => {
    const appToken = await zafToken({ secret: new TextDecoder().decode(SERVER_KEY) });
    expect(
      (await rejection(verifyStreamToken(appToken, { key: SERVER_KEY, contactId: 'c-1', now: NOW }))).status,
    ).toBe(401);
  });
});

describe('requireAppAuth', () => {
  function app() {
    const a = express();
    a.get('/v1/app/whoami', requireAppAuth({ audience: SERVICE, secretFor, now: () => NOW }), (_req, res) => {
      res.json({ tenant: res.locals.tenant, userId: res.locals.appAuth.userId ?? null });
    });
    a.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const e = err instanceof AppError ? err : new AppError('internal', 'Internal error');
      res.status(e.status).json({ error: { code: e.code, message: e.message } });
    });
    return a;
  }

  it('when the bearer token is valid, then res.locals.tenant is the verified tenant', async () => {
    const token = await zafToken({ tenant: 'globex', claims: { sub: '7' } });
    const res = await request(app()).get('/v1/app/whoami').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ tenant: 'globex', userId: '7' });
  });

  it('when the header is missing, then 401 missing_token', async () => {
    const res = await request(app()).get('/v1/app/whoami');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('missing_token');
  });

  it('when the token is expired, then 401 token_expired', async () => {
    const token = await zafToken({ iat: nowS - 1000, exp: nowS - 600 });
    const res = await request(app()).get('/v1/app/whoami').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
  });
});
