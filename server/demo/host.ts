/**
 * The page the demo prints: Zendesk's side of the ZAF protocol around the real built app, on local
 * origins, as the browser tests do (test/e2e/support/zaf-host.ts), but wired to the running service and
 * the Zendesk double instead of stand-ins:
 *
 *   host   http://localhost:<port>/   the agent workspace (host/host.html + host.js): ticket list,
 *          ticket view with the reply editor, the app's locations. Zendesk's request proxy (/__proxy)
 *          signs `secure: true` requests with the installation's shared secret (the tenant's app
 *          secret) and sends relative /api/v2 requests to the Zendesk double with the account's
 *          credentials. /demo/* are the workspace's own data: tickets of the double, the agent's
 *          current call, the simulated softphone's event stream.
 *   apps   the built assets/ on their own origin (like <app id>.apps.zdusercontent.com); the top bar
 *          page gets a simulated Amazon Connect Streams (doubles/streams-double.ts) before its scripts.
 */
import { existsSync, readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { AppError } from '../errors';
import { installFakeConnect } from '../../doubles/streams-double';
import type { DoubleTicket, DoubleUser, ZendeskDouble } from '../../doubles/zendesk-double';
import type { AgentCall, SoftphoneEvent } from './replay';

const ROOT = path.resolve(__dirname, '../..');
/** The built app (`npm run build` / `npm run package` output); the browser check builds its own copy. */
const ASSETS = path.resolve(process.env.CONCIERGE_DEMO_ASSETS || path.join(ROOT, 'assets'));
const HOST_DIR = path.join(__dirname, 'host');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface HostOptions {
  /** Port of the printed page (0 = any). */
  port: number;
  serviceUrl: string;
  subdomain: string;
  appSecret: string;
  /** Authorization header of the account's API credentials, for the proxy's /api/v2 requests. */
  zendeskAuthorization: string;
  zendesk: ZendeskDouble;
  agent: DoubleUser;
  /** The ledger counts for the page's header (from the service's own reports). */
  status(): Promise<Record<string, unknown>>;
}

export interface DemoHost {
  url: string;
  appOrigin: string;
  softphone(event: SoftphoneEvent): void;
  agentCall(call: AgentCall): void;
  /** Whether the person at the page has started a reply on this ticket (the replay then leaves it to them). */
  drafting(ticketId: number): boolean;
  close(): Promise<void>;
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

function serveFile(res: ServerResponse, file: string, transform?: (html: string) => string): void {
  if (!existsSync(file)) {
    res.writeHead(404).end('not found');
    return;
  }
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(transform ? transform(readFileSync(file, 'utf8')) : readFileSync(file));
}

function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
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

const replySchema = z.object({
  body: z.string().trim().min(1, 'the reply is empty').max(20_000),
  public: z.boolean().default(true),
  status: z.enum(['open', 'pending', 'solved']).optional(),
});

/** Locations the built app has (nav_bar appears once the Knowledge/Resolutions views are built). */
export function builtLocations(): string[] {
  return ['top_bar', 'ticket_sidebar', 'nav_bar'].filter((l) => existsSync(path.join(ASSETS, `${l}.html`)));
}

/** The simulated Streams for the top bar: the Streams double, driven by the demo's softphone events. */
function simulatedStreamsScript(hostOrigin: string): string {
  return `(function () {
  var __name = function (f) { return f; };
  var control = (${installFakeConnect.toString()})(window, { autoInit: true, agentName: 'Alex Agent' });
  window.__conciergeDemoSimulatedSoftphone = true;
  // Calls are announced once the app is listening: after Streams initialised and the app subscribed.
  window.connect.core.onInitialized(function () {
    setTimeout(listen, 1000);
  });
  function listen() {
  var source = new EventSource(${JSON.stringify(`${hostOrigin}/demo/softphone`)});
  source.addEventListener('softphone', function (e) {
    var ev = JSON.parse(e.data);
    if (ev.type === 'ring') control.ring(ev.contactId, ev.phone, ev.queue);
    else if (ev.type === 'connected') control.setContactState(ev.contactId, 'connected');
    else if (ev.type === 'ended') {
      control.setContactState(ev.contactId, 'ended');
      setTimeout(function () { control.destroyContact(ev.contactId); }, 8000);
    }
  });
  }
})();`;
}

export async function startDemoHost(opts: HostOptions): Promise<DemoHost> {
  const sockets = new Set<Socket>();
  const servers: http.Server[] = [];
  const track = (s: http.Server) => {
    s.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    servers.push(s);
    return s;
  };
  const softphoneStreams = new Set<ServerResponse>();
  // Calls on the softphone now, so a page opened mid-call shows it too.
  const onSoftphone = new Map<string, SoftphoneEvent[]>();
  const sendSoftphone = (res: ServerResponse, event: SoftphoneEvent) =>
    res.write(`event: softphone\ndata: ${JSON.stringify(event)}\n\n`);
  let current: AgentCall | null = null;
  const drafts = new Set<number>();
  let hostOrigin = '';

  // apps: the built assets, on an origin of their own.
  const appsServer = track(
    http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/__demo/simulated-streams.js') {
        res.writeHead(200, { 'Content-Type': TYPES['.js']!, 'Cache-Control': 'no-store' });
        res.end(simulatedStreamsScript(hostOrigin));
        return;
      }
      const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
      const file = path.join(ASSETS, rel);
      if (!file.startsWith(ASSETS)) return void res.writeHead(404).end();
      if (rel === '/top_bar.html')
        // Before the app's own scripts, so the app finds a Streams on the page and uses it.
        return serveFile(res, file, (html) =>
          html.replace(/<head>/i, '<head><script src="./__demo/simulated-streams.js"></script>'),
        );
      serveFile(res, file);
    }),
  );
  const appPort = await listen(appsServer, 0);
  const appOrigin = `http://localhost:${appPort}`;

  const ticketJson = (t: DoubleTicket) => {
    const userOf = (id: number) => {
      const u = opts.zendesk.users.get(id);
      return { id, name: u?.name ?? `User ${id}`, role: u?.role ?? 'end-user' };
    };
    return {
      id: t.id,
      subject: t.subject ?? `Call ${t.external_id ?? ''}`.trim(),
      status: t.status,
      externalId: t.external_id ?? null,
      tags: t.tags,
      requester: userOf(t.requester_id),
      assignee: t.assignee_id ? userOf(t.assignee_id) : null,
      createdAt: t.created_at,
      updatedAt: t.updated_at,
      comments: t.comments.map((c) => ({
        author: userOf(c.author_id ?? 1),
        public: c.public,
        body: c.body ?? '',
        voice: c.voice_comment ?? null,
        createdAt: c.created_at,
      })),
    };
  };

  const hostServer = track(
    http.createServer((req, res) => {
      handleHost(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, { error: { code: 'internal', message: String(err) } });
      });
    }),
  );

  async function handleHost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    if (url.pathname === '/' || url.pathname === '/index.html')
      return serveFile(res, path.join(HOST_DIR, 'host.html'));
    if (url.pathname === '/host.js') return serveFile(res, path.join(HOST_DIR, 'host.js'));
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    if (url.pathname === '/demo/config')
      return send(res, 200, {
        subdomain: opts.subdomain,
        user: {
          id: opts.agent.id,
          name: opts.agent.name,
          email: opts.agent.email,
          role: opts.agent.role,
          locale: 'en-US',
        },
        appOrigin,
        locations: builtLocations(),
        settings: {
          service_url: opts.serviceUrl,
          // The CCP is simulated: Streams on the page never loads this URL.
          connect_instance_url: 'https://demo.my.connect.aws',
          connect_region: 'us-west-2',
        },
      });
    if (url.pathname === '/demo/state')
      return send(res, 200, {
        agentCall: current,
        tickets: [...opts.zendesk.tickets.values()]
          .filter((t) => t.tags.includes('concierge'))
          .sort((a, b) => b.id - a.id)
          .slice(0, 12)
          .map((t) => ({
            id: t.id,
            subject: t.subject ?? '',
            status: t.status,
            tags: t.tags,
            updatedAt: t.updated_at,
          })),
        ...(await opts.status()),
      });
    const ticketMatch = /^\/demo\/tickets\/(\d+)(\/reply|\/drafting)?$/.exec(url.pathname);
    if (ticketMatch) {
      const ticket = opts.zendesk.tickets.get(Number(ticketMatch[1]));
      if (!ticket) return send(res, 404, { error: { code: 'not_found', message: 'No such ticket' } });
      if (!ticketMatch[2]) return send(res, 200, { ticket: ticketJson(ticket) });
      if (ticketMatch[2] === '/drafting' && method === 'POST') {
        drafts.add(ticket.id);
        return send(res, 200, { drafting: true });
      }
      if (method !== 'POST') return send(res, 405, { error: { code: 'method', message: 'POST only' } });
      let parsed;
      try {
        parsed = replySchema.safeParse(JSON.parse(await readBody(req)));
      } catch {
        return send(res, 400, { error: { code: 'invalid_json', message: 'Body is not JSON' } });
      }
      if (!parsed.success)
        return send(res, 400, {
          error: { code: 'invalid_reply', message: parsed.error.issues.map((i) => i.message).join('; ') },
        });
      drafts.delete(ticket.id);
      // The agent submits from the ticket view: Zendesk stores it and fires the account's triggers.
      const updated = opts.zendesk.updateTicket(ticket.id, {
        authorId: opts.agent.id,
        comment: { body: parsed.data.body, public: parsed.data.public },
        ...(parsed.data.status ? { status: parsed.data.status } : {}),
      });
      return send(res, 200, { ticket: ticketJson(updated) });
    }
    if (url.pathname === '/demo/softphone') {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'Access-Control-Allow-Origin': appOrigin,
      });
      res.write(': simulated softphone\n\n');
      for (const events of onSoftphone.values()) for (const e of events) sendSoftphone(res, e);
      softphoneStreams.add(res);
      req.on('close', () => softphoneStreams.delete(res));
      return;
    }
    if (url.pathname === '/__proxy' && method === 'POST') {
      let result;
      try {
        const body = z.object({ options: proxyOptions }).parse(JSON.parse(await readBody(req)));
        result = await proxy(body.options);
      } catch (err) {
        result = { status: 502, text: String(err), body: null };
      }
      return send(res, 200, result);
    }
    res.writeHead(404).end();
  }

  /** What Zendesk's proxy does: secure placeholders and JWT for the service, the account's auth for /api/v2. */
  async function proxy(o: ProxyOptions) {
    const zendeskApi = o.url.startsWith('/api/v2/');
    if (!zendeskApi && !o.url.startsWith(`${opts.serviceUrl}/`))
      return { status: 403, text: 'domain not whitelisted', body: null };
    const fill = (s: string) =>
      s.replace(/\{\{setting\.(\w+)\}\}/g, (_m, k: string) =>
        o.secure && k === 'shared_secret' ? opts.appSecret : '',
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
    }
    const put = (s: string) => fill(s).replace(/\{\{jwt\.token\}\}/g, token);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) headers[k] = put(v);
    if (o.contentType) headers['Content-Type'] = o.contentType;
    if (zendeskApi) headers.Authorization = opts.zendeskAuthorization;
    const target = zendeskApi ? `${opts.zendesk.url}${o.url}` : put(o.url);
    const res = await fetch(target, {
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

  let hostPort: number;
  try {
    hostPort = await listen(hostServer, opts.port);
  } catch (err) {
    await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new AppError(
        'port_in_use',
        `Port ${opts.port} is in use: pass --port <another> (0 = any free port).`,
      );
    throw err;
  }
  hostOrigin = `http://localhost:${hostPort}`;

  return {
    url: `${hostOrigin}/`,
    appOrigin,
    softphone(event) {
      if (event.type === 'ended') onSoftphone.delete(event.contactId);
      else onSoftphone.set(event.contactId, [...(onSoftphone.get(event.contactId) ?? []), event]);
      for (const res of softphoneStreams) sendSoftphone(res, event);
    },
    agentCall(call) {
      current = call;
    },
    drafting: (ticketId) => drafts.has(ticketId),
    async close() {
      for (const res of softphoneStreams) res.end();
      sockets.forEach((s) => s.destroy());
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
