/**
 * What the browser tests (test/e2e) and bench/app.ts add to the ZAF host emulator
 * (server/demo/host/emulator.ts: the apps origin, the panes page on zaf.js, Zendesk's request proxy),
 * on local ports:
 *   service  a stand-in for the /v1/app routes, guarded by the real server/http/app-auth.ts
 *   connect  an Amazon Connect CCP that refuses to be framed, as for an origin that is not approved
 * and the defaults of a test page: the account, the agent and settings pointing at these.
 */
import http from 'node:http';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ContactView } from '../../../server/contacts/live';
import {
  serverGroup,
  startZafHost,
  type AppSpec,
  type SignedCall,
  type ZafUser,
} from '../../../server/demo/host/emulator';
import { AppError } from '../../../server/errors';
import {
  assertSameTenant,
  mintStreamToken,
  requireAppAuth,
  verifyStreamToken,
} from '../../../server/http/app-auth';

export type { AppSpec, ContactView, SignedCall };

const ASSETS = path.resolve(__dirname, '../../../assets');

export interface HostConfig {
  subdomain?: string;
  user?: ZafUser;
  apps: AppSpec[];
  /** Non-secure settings as the admin saved them; defaults point at the local service and CCP. */
  settings?: Record<string, string>;
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
  const group = serverGroup();
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
  return {
    url: await group.listen(server),
    target: (url) => void (target = url),
    close: () => group.close(),
  };
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const group = serverGroup();

  // connect: a CCP that refuses framing from anywhere but an approved origin we are not.
  const connectUrl = await group.listen(
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

  // service: the /v1/app contract behind the real token verification.
  const contacts = new Map<string, { tenant: string; contact: ContactView }>();
  const streams = new Map<string, Set<Response>>();
  const service = express();
  const standInUrl = await group.listen(http.createServer(service));
  const serviceUrl = opts.serviceUrl ?? standInUrl;
  let appOrigin = ''; // the emulator's, once it runs
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

  // host: the apps origin, the page and Zendesk's request proxy.
  const secureSettings: Record<string, string> = { shared_secret: APP_SECRET };
  const signedCalls: SignedCall[] = [];
  const host = await startZafHost({
    assets: ASSETS,
    page: 'panes',
    proxy: { serviceUrl, secureSettings, onSigned: (call) => void signedCalls.push(call) },
  }).catch(async (err: unknown) => {
    await group.close();
    throw err;
  });
  appOrigin = host.appOrigin;

  return {
    appOrigin,
    serviceUrl,
    connectUrl,
    secureSettings,
    signedCalls,
    hostUrl: (config) =>
      host.panesUrl({
        subdomain: TENANT,
        user: { id: 7, name: 'Alex Agent', locale: 'en-US' },
        ...config,
        settings: {
          service_url: serviceUrl,
          connect_instance_url: connectUrl,
          connect_region: 'us-east-1',
          ...config.settings,
        },
      }),
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
      await Promise.all([host.close(), group.close()]);
    },
  };
}
