/**
 * Everything around the built app that a real Zendesk + Concierge + Amazon Connect would provide,
 * on local ports:
 *   host     the Zendesk page (host/host.html + host.js) and Zendesk's request proxy (/__proxy), which
 *            fills secure settings and signs the `jwt` option the way ZAF does
 *   apps     the built assets/ directory, on its own origin like <app id>.apps.zdusercontent.com
 *   service  a stand-in for the /v1/app routes, guarded by the real server/http/app-auth.ts
 *   connect  an Amazon Connect CCP that refuses to be framed, as for an origin that is not approved
 * Used by the browser tests (test/e2e) and by bench/app.ts.
 */
import { readFileSync, existsSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { SignJWT } from 'jose';
import { AppError } from '../../../server/errors';
import {
  assertSameTenant,
  mintStreamToken,
  requireAppAuth,
  verifyStreamToken,
} from '../../../server/http/app-auth';

const ROOT = path.resolve(__dirname, '../../..');
const ASSETS = path.join(ROOT, 'assets');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The contact view of the /v1/app contract (app/api.ts), kept here so Node-only code can use the harness. */
export interface ContactView {
  contactId: string;
  initialContactId: string;
  channel: string;
  state: 'queued' | 'connected' | 'ended';
  queue?: string;
  agentUsername?: string;
  callerMasked?: string;
  startedAt?: string;
  connectedAt?: string;
  endedAt?: string;
  ticketId?: number;
}

export interface AppSpec {
  location: 'top_bar' | 'ticket_sidebar' | 'nav_bar';
  /** iframe width in px (default: per location, see host.html). */
  width?: number;
  guid: string;
  ticketId?: number;
}

export interface HostConfig {
  subdomain?: string;
  user?: { id: number; name: string; locale: string; role?: string };
  apps: AppSpec[];
  /** Non-secure settings as the admin saved them; defaults point at the local service and CCP. */
  settings?: Record<string, string>;
}

export interface SignedCall {
  url: string;
  claims: Record<string, unknown>;
}

export interface Harness {
  hostUrl(config: HostConfig): string;
  appOrigin: string;
  serviceUrl: string;
  connectUrl: string;
  /** Secure settings of the installation (what Zendesk's proxy fills in); change to simulate a bad secret. */
  secureSettings: Record<string, string>;
  signedCalls: SignedCall[];
  service: {
    put(tenant: string, contact: ContactView): void;
    /** Sends a `state` event to every open stream of that contact. */
    push(contact: ContactView): void;
    streams(contactId: string): number;
  };
  close(): Promise<void>;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function serveFile(res: ServerResponse, file: string, extraHeaders: Record<string, string> = {}): void {
  if (!existsSync(file)) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'Cache-Control': 'no-store',
    ...extraHeaders,
  });
  res.end(readFileSync(file));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

export const TENANT = 'acme';
export const APP_SECRET = 'e2e-app-secret-7d0c1f9a3b5e';
const STREAM_KEY = 'e2e-server-stream-key-0123456789';

export interface HarnessOptions {
  /**
   * The real Concierge service (its CONCIERGE_PUBLIC_URL) instead of the stand-in: the proxy signs
   * and forwards to it, and the app's settings point at it.
   */
  serviceUrl?: string;
  /**
   * More service routes, mounted behind the stand-ins and before the error handler: e.g. the real
   * billing router over a real database (test/e2e/resolutions.e2e.test.ts). Gets the service URL the
   * app signs as `aud`.
   */
  routes?: (serviceUrl: string) => express.Router;
}

/**
 * A streaming pass-through on a port known before the service behind it starts: the real service
 * checks the JWT's `aud` against CONCIERGE_PUBLIC_URL, which must be set when it starts, while the
 * in-process service listens on a port the OS picks. Server-sent events pass through unbuffered.
 */
export async function startForwarder(): Promise<{
  url: string;
  target(url: string): void;
  close(): Promise<void>;
}> {
  let target = '';
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    if (!target) return void res.writeHead(503).end('no target yet');
    const to = new URL(req.url ?? '/', target);
    const out = http.request(
      to,
      { method: req.method, headers: { ...req.headers, host: to.host } },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      },
    );
    out.on('error', () => res.headersSent || res.writeHead(502).end());
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  server.on('connection', (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  const port = await listen(server);
  return {
    url: `http://localhost:${port}`,
    target: (url) => void (target = url),
    async close() {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    },
  };
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const servers: http.Server[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const track = (s: http.Server) => {
    s.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    servers.push(s);
    return s;
  };

  // apps: the built assets on their own origin.
  const appsServer = track(
    http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
      serveFile(res, path.join(ASSETS, rel));
    }),
  );
  const appPort = await listen(appsServer);
  const appOrigin = `http://localhost:${appPort}`;

  // connect: a CCP that refuses framing from anywhere but an approved origin we are not.
  const connectServer = track(
    http.createServer((_req, res) => {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': 'frame-ancestors https://approved.example.com',
        'X-Frame-Options': 'DENY',
      });
      res.end(
        '<!doctype html><title>Amazon Connect</title><p>Amazon Connect Contact Control Panel (test double)</p>',
      );
    }),
  );
  const connectPort = await listen(connectServer);
  const connectUrl = `http://localhost:${connectPort}`;

  // service: the /v1/app contract behind the real token verification.
  const contacts = new Map<string, { tenant: string; contact: ContactView }>();
  const streams = new Map<string, Set<Response>>();
  const service = express();
  const serviceServer = track(http.createServer(service));
  const servicePort = await listen(serviceServer);
  const serviceUrl = opts.serviceUrl ?? `http://localhost:${servicePort}`;
  const tenants: Record<string, string> = { [TENANT]: APP_SECRET };
  const auth = requireAppAuth({ audience: serviceUrl, secretFor: async (t) => tenants[t] ?? null });
  service.use((req, res, next) => {
    if (req.headers.origin === appOrigin) res.setHeader('Access-Control-Allow-Origin', appOrigin);
    next();
  });
  service.use(express.json());
  service.get('/v1/app/contacts/by-ticket/:ticketId', auth, (req, res) => {
    const found = [...contacts.values()].find(
      (c) => c.tenant === res.locals.tenant && c.contact.ticketId === Number(req.params.ticketId),
    );
    res.json({ contact: found?.contact ?? null });
  });
  service.get('/v1/app/contacts/:contactId/events', async (req, res) => {
    const grant = await verifyStreamToken(String(req.query.token ?? ''), {
      key: STREAM_KEY,
      contactId: req.params.contactId,
    });
    const entry = contacts.get(grant.contactId);
    if (entry) assertSameTenant(grant, entry.tenant);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    res.write(': open\n\n');
    const set = streams.get(grant.contactId) ?? new Set();
    set.add(res);
    streams.set(grant.contactId, set);
    req.on('close', () => set.delete(res));
  });
  service.get('/v1/app/contacts/:contactId', auth, (req, res) => {
    const found = contacts.get(String(req.params.contactId));
    res.json({ contact: found && found.tenant === res.locals.tenant ? found.contact : null });
  });
  service.post('/v1/app/stream-tokens', auth, async (req, res) => {
    const contactId = String(req.body?.contactId ?? '');
    const entry = contacts.get(contactId);
    if (entry) assertSameTenant({ tenantId: res.locals.tenant }, entry.tenant);
    res.json(await mintStreamToken({ key: STREAM_KEY, tenantId: res.locals.tenant, contactId }));
  });
  if (opts.routes) service.use(opts.routes(serviceUrl));
  service.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err instanceof AppError ? err : new AppError('internal', 'Internal error');
    res.status(e.status).json({ error: { code: e.code, message: e.message } });
  });

  // host: the Zendesk page and its request proxy.
  const secureSettings: Record<string, string> = { shared_secret: APP_SECRET };
  const signedCalls: SignedCall[] = [];
  const hostServer = track(
    http.createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/__proxy' && req.method === 'POST') {
        try {
          const { options } = JSON.parse(await readBody(req)) as { options: ProxyOptions };
          const result = await proxy(options, secureSettings, serviceUrl, signedCalls);
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(result));
        } catch (err) {
          res
            .writeHead(200, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ status: 502, text: String(err), body: null }));
        }
        return;
      }
      if (url.pathname === '/' || url.pathname === '/host.html')
        return serveFile(res, path.join(__dirname, 'host/host.html'));
      if (url.pathname === '/host.js') return serveFile(res, path.join(__dirname, 'host/host.js'));
      if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
      res.writeHead(404).end();
    }),
  );
  const hostPort = await listen(hostServer);
  const hostOrigin = `http://localhost:${hostPort}`;

  return {
    appOrigin,
    serviceUrl,
    connectUrl,
    secureSettings,
    signedCalls,
    hostUrl(config) {
      const full = {
        subdomain: TENANT,
        user: { id: 7, name: 'Alex Agent', locale: 'en-US' },
        ...config,
        settings: {
          service_url: serviceUrl,
          connect_instance_url: connectUrl,
          connect_region: 'us-east-1',
          ...config.settings,
        },
        appOrigin,
      };
      return `${hostOrigin}/host.html?config=${encodeURIComponent(JSON.stringify(full))}`;
    },
    service: {
      put: (tenant, contact) => void contacts.set(contact.contactId, { tenant, contact }),
      push(contact) {
        const entry = contacts.get(contact.contactId);
        if (entry) entry.contact = contact;
        for (const res of streams.get(contact.contactId) ?? [])
          res.write(`event: state\ndata: ${JSON.stringify(contact)}\n\n`);
      },
      streams: (contactId) => streams.get(contactId)?.size ?? 0,
    },
    async close() {
      for (const set of streams.values()) for (const res of set) res.end();
      sockets.forEach((s) => s.destroy());
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

interface ProxyOptions {
  url: string;
  type?: string;
  data?: string;
  contentType?: string;
  headers?: Record<string, string>;
  secure?: boolean;
  jwt?: { algorithm: string; secret_key: string; expiry?: number; claims?: Record<string, unknown> };
}

/** What Zendesk's proxy does with a `secure: true` request: placeholders, JWT signing, forwarding. */
async function proxy(
  o: ProxyOptions,
  secure: Record<string, string>,
  serviceUrl: string,
  signed: SignedCall[],
) {
  const fill = (s: string) =>
    s.replace(/\{\{setting\.(\w+)\}\}/g, (_m, k: string) => (o.secure ? (secure[k] ?? '') : ''));
  // domainWhitelist: secure settings only ever go to the service here.
  if (o.secure && !o.url.startsWith(`${serviceUrl}/`))
    return { status: 403, text: 'domain not whitelisted', body: null };
  let token = '';
  if (o.jwt) {
    if (o.jwt.algorithm !== 'HS256') return { status: 400, text: 'unsupported jwt algorithm', body: null };
    const now = Math.floor(Date.now() / 1000);
    token = await new SignJWT({ ...(o.jwt.claims ?? {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + (o.jwt.expiry ?? 3600))
      .sign(new TextEncoder().encode(fill(o.jwt.secret_key)));
    signed.push({ url: o.url, claims: { ...(o.jwt.claims ?? {}) } });
  }
  const put = (s: string) => fill(s).replace(/\{\{jwt\.token\}\}/g, token);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) headers[k] = put(v);
  if (o.contentType) headers['Content-Type'] = o.contentType;
  const res = await fetch(put(o.url), {
    method: o.type ?? 'GET',
    headers,
    ...(o.data ? { body: o.data } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: hand the text over as is
  }
  return { status: res.status, text, body };
}
