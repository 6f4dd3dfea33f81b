/**
 * The page the demo prints: the ZAF host emulator (host/emulator.ts, which the browser tests use too)
 * with its agent workspace page (host/workspace.html + workspace.js), wired to the running service and
 * the Zendesk double:
 *
 *   host   http://localhost:<port>/   the agent workspace: ticket list, ticket view with the reply
 *          editor, the app's locations. Zendesk's request proxy (/__proxy) signs `secure: true`
 *          requests with the installation's shared secret (the tenant's app secret) and sends relative
 *          /api/v2 requests to the Zendesk double with the account's credentials. /demo/* are the
 *          workspace's own data: tickets of the double, the agent's current call, the simulated
 *          softphone's event stream.
 *   apps   the built assets/ on their own origin; the top bar page gets a simulated Amazon Connect
 *          Streams (doubles/streams-double.ts) before its scripts.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors';
import { installFakeConnect } from '../../doubles/streams-double';
import type { DoubleTicket, DoubleUser, ZendeskDouble } from '../../doubles/zendesk-double';
import { readBody, sendJson as send, startZafHost, type Origins } from './host/emulator';
import type { AgentCall, SoftphoneEvent } from './replay';

const ROOT = path.resolve(__dirname, '../..');
/** The built app (`npm run build` / `npm run package` output); the browser check builds its own copy. */
const ASSETS = path.resolve(process.env.CONCIERGE_DEMO_ASSETS || path.join(ROOT, 'assets'));

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
  const softphoneStreams = new Set<ServerResponse>();
  // Calls on the softphone now, so a page opened mid-call shows it too.
  const onSoftphone = new Map<string, SoftphoneEvent[]>();
  const sendSoftphone = (res: ServerResponse, event: SoftphoneEvent) =>
    res.write(`event: softphone\ndata: ${JSON.stringify(event)}\n\n`);
  let current: AgentCall | null = null;
  const drafts = new Set<number>();

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

  /** The workspace's own data (/demo/*). */
  async function demoRoutes(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    { appOrigin }: Origins,
  ): Promise<void> {
    const method = req.method ?? 'GET';
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
    res.writeHead(404).end();
  }

  const host = await startZafHost({
    port: opts.port,
    assets: ASSETS,
    page: 'workspace',
    proxy: {
      serviceUrl: opts.serviceUrl,
      secureSettings: { shared_secret: opts.appSecret },
      zendesk: { url: opts.zendesk.url, authorization: opts.zendeskAuthorization },
    },
    beforeApp: { top_bar: ({ origin }) => simulatedStreamsScript(origin) },
    routes: demoRoutes,
  }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new AppError(
        'port_in_use',
        `Port ${opts.port} is in use: pass --port <another> (0 = any free port).`,
      );
    throw err;
  });

  return {
    url: host.url,
    appOrigin: host.appOrigin,
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
      await host.close();
    },
  };
}
