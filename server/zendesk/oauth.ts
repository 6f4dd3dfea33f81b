/**
 * Zendesk's OAuth authorization-code grant with PKCE (developer.zendesk.com: "Using PKCE to make Zendesk
 * OAuth access tokens more secure"; "OAuth Tokens for Grant Types"): the browser goes to
 * `https://<subdomain>.zendesk.com/oauth/authorizations/new`, comes back with a code valid 120 s, and the
 * service exchanges it at `POST /oauth/tokens` (JSON) with its client secret and the code_verifier.
 * A Marketplace app uses the vendor's global OAuth client (identifier `zdg-…`), accepted by every account.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { ZendeskCredentials } from './types';

export interface OauthClientConfig {
  clientId: string;
  clientSecret: string;
  scopes: string;
  /** Absolute callback URL, registered on the OAuth client. */
  redirectUri: string;
}

/** RFC 7636: 32 random bytes → 43-char base64url verifier; challenge = base64url(SHA-256(verifier)). */
export function newPkcePair(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier) };
}

export const pkceChallenge = (verifier: string): string =>
  crypto.createHash('sha256').update(verifier).digest('base64url');

export function authorizeUrl(
  zendeskUrl: string,
  client: OauthClientConfig,
  p: { state: string; challenge: string },
): string {
  const url = new URL('/oauth/authorizations/new', zendeskUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: client.scopes,
    state: p.state,
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  scope: z.string().optional(),
  refresh_token: z.string().optional(),
  expires_in: z.number().nullable().optional(),
});

export class OauthExchangeError extends Error {
  constructor(
    message: string,
    readonly status: number | 'network_error',
  ) {
    super(message);
    this.name = 'OauthExchangeError';
  }
}

const TIMEOUT_MS = 10_000;

/** Exchanges an authorization code; Zendesk refuses a wrong verifier, a used or expired code (4xx). */
export async function exchangeCode(
  zendeskUrl: string,
  client: OauthClientConfig,
  p: { code: string; verifier: string },
  fetchImpl: typeof fetch = fetch,
): Promise<{ accessToken: string; scope?: string }> {
  let res: Response;
  try {
    res = await fetchImpl(new URL('/oauth/tokens', zendeskUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        grant_type: 'authorization_code',
        code: p.code,
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uri: client.redirectUri,
        scope: client.scopes,
        code_verifier: p.verifier,
      }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new OauthExchangeError(
      `Zendesk did not answer the token request: ${(err as Error).message}`,
      'network_error',
    );
  }
  const text = await res.text();
  if (!res.ok) {
    // Zendesk answers {"error": "invalid_grant", "error_description": "..."}: no secret in it.
    const detail = safeError(text);
    throw new OauthExchangeError(
      `Zendesk refused the authorization code (${res.status}${detail})`,
      res.status,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OauthExchangeError('Zendesk answered the token request with an unreadable body', res.status);
  }
  const parsed = tokenResponse.safeParse(body);
  if (!parsed.success) throw new OauthExchangeError('Zendesk answered without an access token', res.status);
  return {
    accessToken: parsed.data.access_token,
    ...(parsed.data.scope ? { scope: parsed.data.scope } : {}),
  };
}

function safeError(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    return typeof e === 'string' && /^[\w.-]{1,60}$/.test(e) ? `: ${e}` : '';
  } catch {
    return '';
  }
}

const meResponse = z.object({
  user: z.object({ id: z.number().nullable().optional(), role: z.string().nullable().optional() }),
});

export type CredentialCheck = { ok: true; userId: number; role: string } | { ok: false; status: number };

export function authorizationHeader(credentials: ZendeskCredentials): string {
  return credentials.kind === 'oauth'
    ? `Bearer ${credentials.token}`
    : `Basic ${Buffer.from(`${credentials.email}/token:${credentials.token}`).toString('base64')}`;
}

/**
 * `GET /api/v2/users/me` with the given credentials: who they act as, or the refusal status (401 for a
 * revoked token). Throws on network errors and 5xx, which prove nothing about the token.
 */
export async function checkCredentials(
  zendeskUrl: string,
  credentials: ZendeskCredentials,
  fetchImpl: typeof fetch = fetch,
): Promise<CredentialCheck> {
  const res = await fetchImpl(new URL('/api/v2/users/me.json', zendeskUrl), {
    headers: { authorization: authorizationHeader(credentials), accept: 'application/json' },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (res.status >= 500 || res.status === 429) throw new Error(`Zendesk answered ${res.status}`);
  if (!res.ok) return { ok: false, status: res.status };
  const parsed = meResponse.safeParse(await res.json().catch(() => null));
  // An anonymous answer (no id) means the credentials were not accepted.
  if (!parsed.success || typeof parsed.data.user.id !== 'number') return { ok: false, status: 401 };
  return { ok: true, userId: parsed.data.user.id, role: parsed.data.user.role ?? 'unknown' };
}
