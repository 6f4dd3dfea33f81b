/**
 * Trust between the Zendesk app and the service.
 *
 * App calls arrive through Zendesk's request proxy with `Authorization: Bearer <jwt>`, where the JWT is
 * HS256-signed by Zendesk with the installation's secure `shared_secret` (the tenant's appSecret). Claims
 * are chosen by the app (`iss` = https://<subdomain>.zendesk.com, `aud` = service URL) but only someone
 * holding that tenant's secret can sign them, so the tenant is taken from `iss` *after* the signature
 * checks out with that tenant's secret.
 *
 * Server-Sent Events cannot carry headers, so a signed call mints a stream token: 60 s, scope "stream",
 * bound to one tenant and one contact, signed with a server key that never leaves the service.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { SignJWT, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { ForbiddenError, UnauthorizedError } from '../errors';

export type SecretMaterial = Uint8Array | string;

export interface AppAuth {
  tenantId: string;
  /** As asserted by the app (`sub` claim); authentic to the tenant, not to a particular agent. */
  userId?: string;
  claims: Record<string, unknown>;
}

export interface VerifyAppTokenOptions {
  /** The service's public base URL, exactly as the app sends it in `aud`. */
  audience: string;
  now?: Date;
  secretFor: (tenantId: string) => Promise<SecretMaterial | null>;
  /** Seconds of clock skew tolerated on exp/nbf/iat. */
  clockToleranceSeconds?: number;
  /** Tokens valid for longer than this (exp − now) are refused: ZAF asks for 300 s. */
  maxLifetimeSeconds?: number;
  /** Maps a verified-shape `iss` to a tenant id; defaults to the Zendesk subdomain. */
  tenantFromIssuer?: (iss: string) => string | null;
}

const DEFAULT_CLOCK_TOLERANCE_S = 15;
const DEFAULT_MAX_LIFETIME_S = 900;
const STREAM_TTL_S = 60;
const STREAM_ISSUER = 'concierge';
const STREAM_AUDIENCE = 'concierge:stream';
const ZENDESK_ISSUER = /^https:\/\/([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.zendesk\.com\/?$/;

/** `https://acme.zendesk.com` → `acme`; anything else → null. */
export function zendeskSubdomainFromIssuer(iss: string): string | null {
  const match = ZENDESK_ISSUER.exec(iss.toLowerCase());
  return match?.[1] ?? null;
}

function keyBytes(secret: SecretMaterial): Uint8Array {
  return typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
}

function invalid(message = 'Invalid app token'): UnauthorizedError {
  return new UnauthorizedError(message, 'invalid_token');
}

/** Reads the header and claims without trusting them; throws 401 on anything that is not a compact HS256 JWT. */
function peek(token: string): { claims: Record<string, unknown> } {
  if (typeof token !== 'string' || token.split('.').length !== 3) throw invalid();
  let alg: unknown;
  let claims: Record<string, unknown>;
  try {
    alg = decodeProtectedHeader(token).alg;
    claims = decodeJwt(token);
  } catch {
    throw invalid();
  }
  // Refuse alg "none", RS*/ES* (key-confusion) and anything else before any key is looked up.
  if (alg !== 'HS256') throw invalid('Unsupported token algorithm');
  return { claims };
}

function mapJoseError(err: unknown): UnauthorizedError {
  if (err instanceof joseErrors.JWTExpired) return new UnauthorizedError('Token expired', 'token_expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return invalid(`Token claim "${err.claim}" is invalid`);
  }
  return invalid();
}

function normaliseAudience(aud: string): string {
  return aud.replace(/\/+$/, '');
}

export async function verifyAppToken(token: string, opts: VerifyAppTokenOptions): Promise<AppAuth> {
  const { claims: unverified } = peek(token);
  if (unverified.scope === 'stream') throw invalid('Stream tokens cannot call the API');
  const iss = unverified.iss;
  if (typeof iss !== 'string') throw invalid('Token claim "iss" is missing');
  const tenantId = (opts.tenantFromIssuer ?? zendeskSubdomainFromIssuer)(iss);
  if (!tenantId) throw invalid('Token issuer is not a Zendesk account');

  const secret = await opts.secretFor(tenantId);
  if (!secret || (typeof secret === 'string' ? secret.length === 0 : secret.byteLength === 0)) {
    throw invalid('Unknown tenant');
  }

  const now = opts.now ?? new Date();
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keyBytes(secret), {
      algorithms: ['HS256'],
      issuer: iss,
      audience: [opts.audience, normaliseAudience(opts.audience)],
      requiredClaims: ['exp', 'iss', 'aud'],
      clockTolerance: opts.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_S,
      currentDate: now,
    }));
  } catch (err) {
    throw mapJoseError(err);
  }

  const exp = payload.exp as number;
  const maxLifetime = opts.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_S;
  if (exp - Math.floor(now.getTime() / 1000) > maxLifetime) throw invalid('Token lifetime too long');

  const sub = payload.sub;
  return {
    tenantId,
    ...(typeof sub === 'string' && sub.length > 0 ? { userId: sub } : {}),
    claims: payload,
  };
}

/** 403 when an authenticated tenant reaches for another tenant's resource. */
export function assertSameTenant(auth: Pick<AppAuth, 'tenantId'>, resourceTenantId: string): void {
  if (auth.tenantId !== resourceTenantId) {
    throw new ForbiddenError('This resource belongs to another account', 'other_tenant');
  }
}

export interface MintStreamTokenOptions {
  key: SecretMaterial;
  tenantId: string;
  contactId: string;
  now?: Date;
  ttlSeconds?: number;
}

export interface StreamToken {
  token: string;
  expiresAt: string;
}

export async function mintStreamToken(opts: MintStreamTokenOptions): Promise<StreamToken> {
  const ttl = Math.min(opts.ttlSeconds ?? STREAM_TTL_S, STREAM_TTL_S);
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const exp = iat + ttl;
  const token = await new SignJWT({ scope: 'stream', tid: opts.tenantId, cid: opts.contactId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(STREAM_ISSUER)
    .setAudience(STREAM_AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(keyBytes(opts.key));
  return { token, expiresAt: new Date(exp * 1000).toISOString() };
}

export interface VerifyStreamTokenOptions {
  key: SecretMaterial;
  /** The contact the request is for (from the URL); a token for another contact is 403. */
  contactId: string;
  now?: Date;
  clockToleranceSeconds?: number;
  /**
   * Single use: return false when this jti was already seen (then 401). Keep entries until `expiresAt`.
   * Without it, a token can be reused until it expires (60 s).
   */
  consume?: (jti: string, expiresAt: Date) => boolean | Promise<boolean>;
}

export interface StreamGrant {
  tenantId: string;
  contactId: string;
  jti: string;
  expiresAt: Date;
}

export async function verifyStreamToken(token: string, opts: VerifyStreamTokenOptions): Promise<StreamGrant> {
  peek(token);
  const now = opts.now ?? new Date();
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keyBytes(opts.key), {
      algorithms: ['HS256'],
      issuer: STREAM_ISSUER,
      audience: STREAM_AUDIENCE,
      requiredClaims: ['exp', 'iat', 'jti'],
      clockTolerance: opts.clockToleranceSeconds ?? 5,
      currentDate: now,
    }));
  } catch (err) {
    throw mapJoseError(err);
  }
  const { scope, tid, cid, jti, exp, iat } = payload as Record<string, unknown>;
  if (scope !== 'stream' || typeof tid !== 'string' || typeof cid !== 'string' || typeof jti !== 'string') {
    throw invalid('Not a stream token');
  }
  if (typeof exp !== 'number' || typeof iat !== 'number' || exp - iat > STREAM_TTL_S) {
    throw invalid('Token lifetime too long');
  }
  if (cid !== opts.contactId)
    throw new ForbiddenError('This stream token is for another contact', 'other_contact');
  const expiresAt = new Date(exp * 1000);
  if (opts.consume && !(await opts.consume(jti, expiresAt))) {
    throw new UnauthorizedError('Stream token already used', 'token_replayed');
  }
  return { tenantId: tid, contactId: cid, jti, expiresAt };
}

export interface RequireAppAuthDeps {
  audience: string;
  secretFor: (tenantId: string) => Promise<SecretMaterial | null>;
  now?: () => Date;
  clockToleranceSeconds?: number;
  tenantFromIssuer?: (iss: string) => string | null;
}

/** Express middleware: verifies the bearer JWT, then sets `res.locals.tenant` and `res.locals.appAuth`. */
export function requireAppAuth(deps: RequireAppAuthDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new UnauthorizedError('Missing bearer token', 'missing_token');
    const auth = await verifyAppToken(match[1], {
      audience: deps.audience,
      secretFor: deps.secretFor,
      ...(deps.now ? { now: deps.now() } : {}),
      ...(deps.clockToleranceSeconds !== undefined
        ? { clockToleranceSeconds: deps.clockToleranceSeconds }
        : {}),
      ...(deps.tenantFromIssuer ? { tenantFromIssuer: deps.tenantFromIssuer } : {}),
    });
    res.locals.tenant = auth.tenantId;
    res.locals.appAuth = auth;
    next();
  };
}
