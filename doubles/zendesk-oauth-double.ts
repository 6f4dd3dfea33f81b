/**
 * Zendesk's OAuth side in front of the Zendesk API double: the authorization page (the admin approves
 * at once, or declines), `POST /oauth/tokens` with the checks Zendesk documents (client id and secret,
 * redirect_uri, a code valid 120 s and usable once, PKCE S256), and bearer tokens that can be revoked.
 * Every other request goes to the API double if its token is live, else 401 as Zendesk answers.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OauthDoubleOptions {
  /** The API double's URL, where /api/... requests are forwarded. */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface TokenRequest {
  body: Record<string, unknown>;
  status: number;
  error?: string;
}

export interface ZendeskOauthDouble {
  url: string;
  /** The next authorization is declined by the admin (error=access_denied). */
  declineNext(): void;
  /** Authorization requests as the browser brought them (query parameters). */
  authorizations: Array<Record<string, string>>;
  tokenRequests: TokenRequest[];
  /** Live access tokens. */
  tokens: Set<string>;
  revoke(token: string): void;
  /** API requests refused with 401 (revoked or unknown token). */
  refused: number;
  close(): Promise<void>;
}

const CODE_TTL_MS = 120_000;

export async function startZendeskOauthDouble(opts: OauthDoubleOptions): Promise<ZendeskOauthDouble> {
  const codes = new Map<
    string,
    { challenge: string; method: string; redirectUri: string; clientId: string; at: number; used: boolean }
  >();
  const tokens = new Set<string>();
  const authorizations: Array<Record<string, string>> = [];
  const tokenRequests: TokenRequest[] = [];
  let decline = false;
  const state = { refused: 0 };

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(payload);
  };

  const read = (req: http.IncomingMessage) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });

  async function serve(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://oauth.invalid');
    if (req.method === 'GET' && url.pathname === '/oauth/authorizations/new') {
      const q = Object.fromEntries(url.searchParams);
      authorizations.push(q);
      if (q.client_id !== opts.clientId || q.response_type !== 'code' || !q.redirect_uri)
        return json(res, 400, { error: 'invalid_request' });
      const back = new URL(q.redirect_uri);
      if (decline) {
        decline = false;
        back.searchParams.set('error', 'access_denied');
        back.searchParams.set(
          'error_description',
          'The end-user or authorization server denied the request.',
        );
      } else {
        const code = crypto.randomBytes(16).toString('hex');
        codes.set(code, {
          challenge: q.code_challenge ?? '',
          method: q.code_challenge_method ?? '',
          redirectUri: q.redirect_uri,
          clientId: q.client_id,
          at: Date.now(),
          used: false,
        });
        back.searchParams.set('code', code);
      }
      if (q.state !== undefined) back.searchParams.set('state', q.state);
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/oauth/tokens') {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse((await read(req)).toString('utf8')) as Record<string, unknown>;
      } catch {
        /* refused below */
      }
      const fail = (error: string, status = 400) => {
        tokenRequests.push({ body, status, error });
        json(res, status, { error, error_description: 'refused by the double' });
      };
      if (body.grant_type !== 'authorization_code') return fail('unsupported_grant_type');
      if (body.client_id !== opts.clientId || body.client_secret !== opts.clientSecret)
        return fail('invalid_client', 401);
      const grant = typeof body.code === 'string' ? codes.get(body.code) : undefined;
      if (!grant || grant.used || Date.now() - grant.at > CODE_TTL_MS) return fail('invalid_grant');
      grant.used = true; // a code is spent even by a failed redemption, as OAuth servers should
      if (grant.redirectUri !== body.redirect_uri || grant.clientId !== body.client_id)
        return fail('invalid_grant');
      const verifier = typeof body.code_verifier === 'string' ? body.code_verifier : '';
      const derived = crypto.createHash('sha256').update(verifier).digest('base64url');
      if (grant.method !== 'S256' || !/^[\w.~-]{43,128}$/.test(verifier) || derived !== grant.challenge)
        return fail('invalid_grant');
      const token = crypto.randomBytes(24).toString('hex');
      tokens.add(token);
      tokenRequests.push({ body, status: 200 });
      return json(res, 200, { access_token: token, token_type: 'bearer', scope: body.scope ?? 'read' });
    }
    // The API: only live tokens pass.
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!auth?.[1] || !tokens.has(auth[1])) {
      state.refused++;
      return json(res, 401, { error: "Couldn't authenticate you" });
    }
    const raw = await read(req);
    const headers: Record<string, string> = { authorization: 'Bearer double' };
    for (const h of ['content-type', 'idempotency-key', 'accept']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const forwarded = await fetch(`${opts.apiUrl}${url.pathname}${url.search}`, {
      method: req.method ?? 'GET',
      headers,
      ...(raw.length > 0 ? { body: raw } : {}),
    });
    const out: Record<string, string> = {};
    forwarded.headers.forEach((v, k) => {
      if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(k)) out[k] = v;
    });
    res.writeHead(forwarded.status, out);
    res.end(Buffer.from(await forwarded.arrayBuffer()));
  }

  const server = http.createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'DoubleFailure', description: String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    declineNext: () => {
      decline = true;
    },
    authorizations,
    tokenRequests,
    tokens,
    revoke: (token) => tokens.delete(token),
    get refused() {
      return state.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
