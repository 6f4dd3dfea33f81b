/**
 * Zendesk's side of a Zendesk app, on local origins: the one emulator of the ZAF host, used by the demo
 * (server/demo/host.ts, `concierge demo`), the browser tests and the app benchmark
 * (test/e2e/support/zaf-host.ts, bench/app.ts).
 *
 *   apps   the built assets/ on an origin of their own, like <app id>.apps.zdusercontent.com; a caller
 *          may run a script in a location's page before the app's own (the demo's simulated Streams).
 *   host   the page around the apps and Zendesk's request proxy. The pages (this directory) share
 *          zaf.js, the ZAF postMessage protocol, and zendesk.css: panes.html puts the locations of its
 *          `config` query parameter side by side (tests, benchmark), workspace.html is the demo's agent
 *          workspace (its data from the demo's own routes). /__proxy does what Zendesk's proxy does
 *          with client.request: fills `{{setting.…}}` of `secure: true` requests from the
 *          installation's secure settings, signs the `jwt` option (HS256) into `{{jwt.token}}`, and
 *          forwards, to the service only (its domain whitelist) or, for relative /api/v2 URLs, to the
 *          Zendesk account.
 */
import { existsSync, readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { SignJWT } from 'jose';
import { z } from 'zod';

const PAGES_DIR = __dirname;

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export type AppLocation = 'top_bar' | 'ticket_sidebar' | 'nav_bar';

export interface ZafUser {
  id: number;
  name: string;
  locale: string;
  role?: string;
  email?: string;
}

/** What zaf.js needs to play Zendesk for the apps (the panes page reads it from its URL). */
export interface ZafHostConfig {
  subdomain: string;
  user: ZafUser;
  /** The installation's non-secure settings, as app.registered hands them to the app. */
  settings: Record<string, string>;
  appOrigin: string;
}

/** One app location on the panes page. */
export interface AppSpec {
  location: AppLocation;
  /** iframe width in px (default: per location, see panes.html). */
  width?: number;
  guid: string;
  ticketId?: number;
}

export interface PanesConfig extends Omit<ZafHostConfig, 'appOrigin'> {
  apps: AppSpec[];
}

/** A `jwt` request the proxy signed: where it went and the claims the app asked for. */
export interface SignedCall {
  url: string;
  claims: Record<string, unknown>;
}

export interface ProxySettings {
  /** The app's service: the only origin the proxy forwards to (the manifest's domainWhitelist). */
  serviceUrl: string;
  /** The installation's secure settings; read at each request, so a caller may change them. */
  secureSettings: Record<string, string>;
  /** Zendesk's API for relative /api/v2 URLs, with the account's Authorization header. */
  zendesk?: { url: string; authorization: string };
  onSigned?: (call: SignedCall) => void;
}

export interface Origins {
  /** The host page's origin. */
  origin: string;
  appOrigin: string;
}

export interface ZafHostOptions {
  /** Port of the host page (default 0: any free one). */
  port?: number;
  /** The built app. */
  assets: string;
  /** What `/` shows (either page is served under its own name too). */
  page: 'panes' | 'workspace';
  proxy: ProxySettings;
  /** Scripts to run in a location's page before the app's own, served from the apps origin. */
  beforeApp?: Partial<Record<AppLocation, (origins: Origins) => string>>;
  /** The page's own routes, after the emulator's; must answer (404 for what they do not know). */
  routes?: (req: IncomingMessage, res: ServerResponse, url: URL, origins: Origins) => Promise<void> | void;
}

export interface ZafHost extends Origins {
  /** `${origin}/` */
  url: string;
  /** The panes page with these apps. */
  panesUrl(config: PanesConfig): string;
  close(): Promise<void>;
}

/** Local HTTP servers that close together, open connections (event streams) included. */
export function serverGroup() {
  const servers: http.Server[] = [];
  const sockets = new Set<Socket>();
  return {
    /** Listens on 127.0.0.1 and resolves with `http://localhost:<port>`. */
    listen(server: http.Server, port = 0): Promise<string> {
      servers.push(server);
      server.on('connection', (sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
      });
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () =>
          resolve(`http://localhost:${(server.address() as AddressInfo).port}`),
        );
      });
    },
    async close(): Promise<void> {
      sockets.forEach((s) => s.destroy());
      await Promise.all(servers.filter((s) => s.listening).map((s) => new Promise((r) => s.close(r))));
    },
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

export function serveFile(res: ServerResponse, file: string, transform?: (html: string) => string): void {
  if (!existsSync(file)) {
    res.writeHead(404).end('not found');
    return;
  }
  const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(transform ? transform(readFileSync(file, 'utf8')) : readFileSync(file));
}

/** `file` under `dir` for a URL path, or null when the path leaves it. */
function within(dir: string, pathname: string): string | null {
  const rel = path.normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = path.join(dir, rel);
  return file.startsWith(dir) ? file : null;
}

export function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c: Buffer) => {
      data += c.toString('utf8');
      if (data.length > limit) reject(new Error('body too large'));
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** What the app may ask Zendesk's proxy to do (the ZAF client.request options). */
const proxyOptions = z.object({
  url: z.string().min(1),
  type: z.string().optional(),
  data: z.string().optional(),
  contentType: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  secure: z.boolean().optional(),
  jwt: z
    .object({
      algorithm: z.string(),
      secret_key: z.string(),
      expiry: z.number().optional(),
      claims: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});
type ProxyOptions = z.infer<typeof proxyOptions>;

/** What Zendesk's proxy does with a client.request; the result is what zaf.js hands to the app. */
export async function zafProxy(
  o: ProxyOptions,
  settings: ProxySettings,
): Promise<{ status: number; text: string; body: unknown }> {
  const zendesk = o.url.startsWith('/api/v2/') ? settings.zendesk : undefined;
  if (!zendesk && !o.url.startsWith(`${settings.serviceUrl}/`))
    return { status: 403, text: 'domain not whitelisted', body: null };
  const fill = (s: string) =>
    s.replace(/\{\{setting\.(\w+)\}\}/g, (_m, k: string) =>
      o.secure ? (settings.secureSettings[k] ?? '') : '',
    );
  let token = '';
  if (o.jwt) {
    if (o.jwt.algorithm !== 'HS256') return { status: 400, text: 'unsupported jwt algorithm', body: null };
    const now = Math.floor(Date.now() / 1000);
    token = await new SignJWT({ ...(o.jwt.claims ?? {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + (o.jwt.expiry ?? 3600))
      .sign(new TextEncoder().encode(fill(o.jwt.secret_key)));
    settings.onSigned?.({ url: o.url, claims: { ...(o.jwt.claims ?? {}) } });
  }
  const put = (s: string) => fill(s).replace(/\{\{jwt\.token\}\}/g, token);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) headers[k] = put(v);
  if (o.contentType) headers['Content-Type'] = o.contentType;
  if (zendesk) headers.Authorization = zendesk.authorization;
  const res = await fetch(zendesk ? `${zendesk.url}${o.url}` : put(o.url), {
    method: o.type ?? 'GET',
    headers,
    ...(o.data ? { body: o.data } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: handed over as text
  }
  return { status: res.status, text, body };
}

export async function startZafHost(opts: ZafHostOptions): Promise<ZafHost> {
  const group = serverGroup();
  const origins: Origins = { origin: '', appOrigin: '' };

  const beforeApp = (location: string | undefined) =>
    location && opts.beforeApp && Object.hasOwn(opts.beforeApp, location)
      ? opts.beforeApp[location as AppLocation]
      : undefined;
  const apps = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const script = beforeApp(/^\/__host\/before-(\w+)\.js$/.exec(url.pathname)?.[1]);
    if (script) {
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES['.js']!, 'Cache-Control': 'no-store' });
      return void res.end(script(origins));
    }
    const file = within(opts.assets, url.pathname);
    if (!file) return void res.writeHead(404).end();
    const location = /^\/(\w+)\.html$/.exec(url.pathname)?.[1];
    if (location && beforeApp(location))
      return serveFile(res, file, (html) =>
        html.replace(/<head>/i, `<head><script src="./__host/before-${location}.js"></script>`),
      );
    serveFile(res, file);
  });

  const host = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: String(err) } });
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/__proxy' && req.method === 'POST') {
      let result;
      try {
        const { options } = z
          .object({ options: proxyOptions })
          .parse(JSON.parse(await readBody(req, 1 << 20)));
        result = await zafProxy(options, opts.proxy);
      } catch (err) {
        result = { status: 502, text: String(err), body: null };
      }
      return sendJson(res, 200, result);
    }
    if (url.pathname === '/' || url.pathname === '/index.html')
      return serveFile(res, path.join(PAGES_DIR, `${opts.page}.html`));
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    const page = /^\/\w+\.(html|js|css)$/.test(url.pathname) ? within(PAGES_DIR, url.pathname) : null;
    if (page && existsSync(page)) return serveFile(res, page);
    if (opts.routes) return opts.routes(req, res, url, origins);
    res.writeHead(404).end();
  }

  try {
    origins.appOrigin = await group.listen(apps);
    origins.origin = await group.listen(host, opts.port ?? 0);
  } catch (err) {
    await group.close();
    throw err;
  }
  return {
    ...origins,
    url: `${origins.origin}/`,
    panesUrl: (config) =>
      `${origins.origin}/panes.html?config=${encodeURIComponent(JSON.stringify({ ...config, appOrigin: origins.appOrigin }))}`,
    close: () => group.close(),
  };
}
