import { SignJWT } from 'jose';

/** What Zendesk's proxy sends for a `secure: true` request with the `jwt` option (HS256, tenant's appSecret). */
export function zafToken(
  subdomain: string,
  secret: string,
  opts: { aud?: string; expSeconds?: number; sub?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(`https://${subdomain}.zendesk.com`)
    .setAudience(opts.aud ?? 'https://concierge.test')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (opts.expSeconds ?? 300));
  if (opts.sub) jwt.setSubject(opts.sub);
  return jwt.sign(new TextEncoder().encode(secret));
}
