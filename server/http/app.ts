import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../store/db';
import type { Inbox } from '../contacts/inbox';
import type { ContactRepo } from '../contacts/repo';
import { ALL_QUEUES, type Queues } from '../queues/contracts';
import { waitForRedis } from '../queues/redis';
import type { Tenant, TenantRepo } from '../tenants/repo';
import type { ZendeskApi } from '../zendesk/types';
import type { Metrics } from '../metrics';
import { connectEventsIntake } from './connect-events';
import { appRouter } from './app-routes';
import { webhookIntake } from './webhook-routes';
import { billingRouter } from './billing-routes';
import type { Billing } from '../billing/service';
import { liveRouter } from './live-routes';
import type { SentimentService } from '../sentiment/service';
import type { ContactNews } from '../contacts/live';
import { errorHandler, notFound } from './errors';
import { suggestionRouter, type SuggestionRoutesDeps } from './suggestion-routes';
import { requireAppAuth } from './app-auth';
import type { Suggestions } from '../suggestions/service';
import { knowledgeRouter } from './knowledge-routes';
import type { KnowledgeRepo } from '../knowledge/repo';
import type { ReviewQueue } from '../knowledge/review';
import type { KnowledgeAccess } from '../knowledge/access';
import type { InstallService } from '../install/service';
import { installRouter } from './install-routes';
import { adminQueuesRouter } from './admin-routes';

export interface AppDeps {
  db: Db;
  redis: Redis;
  tenants: TenantRepo;
  inbox: Inbox;
  contacts: ContactRepo;
  queues: Queues;
  metrics: Metrics;
  logger: Logger;
  bodyLimit: string;
  news: ContactNews;
  /** Resolution billing: Zendesk webhook intake and the admin endpoints. */
  billing?: Billing;
  /** Live sentiment (segment ingest, post-call, summary); its news also feeds the event stream. */
  sentiment?: SentimentService;
  /** AI suggestions for the sidebar (issue 4). */
  suggestions?: Suggestions;
  onAssisted?: SuggestionRoutesDeps['onAssisted'];
  /** Knowledge gaps and the drafts' review queue (issue 5). */
  knowledge?: KnowledgeRepo;
  review?: ReviewQueue;
  knowledgeAccess?: KnowledgeAccess;
  streamKey: Uint8Array;
  /** The OAuth install flow and the app's Disconnect (/v1/install/*, /v1/app/install/*). */
  install?: InstallService;
  /** CONCIERGE_ADMIN_TOKEN: when set, the queue dashboard at /admin/queues (else those routes are 404). */
  adminToken?: string;
  publicUrl: string;
  prefix: string;
  /** The tenant's Zendesk API (billing and knowledge check a user's role with Zendesk). */
  zendeskFor?: (tenant: Tenant) => Promise<ZendeskApi>;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out`)), ms).unref()),
  ]);

/** The caller's x-request-id when it is a plain token, else a new one; echoed in the response. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** Builds the express app; never listens (index/runtime does), so tests drive it with supertest. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 1);
  // Zendesk's webhook deliveries come first: machine-to-machine, thousands a second at peak (billing
  // bench). They need neither helmet's browser headers nor an access-log line each: deliveries are
  // counted in /metrics and a refused or failed one is logged with its request id by the error handler.
  if (deps.billing) app.use(webhookIntake({ ...deps, billing: deps.billing, requestId }));
  // Amazon Connect's contact events (EventBridge API destination) likewise: hundreds a second per busy
  // instance, counted in /metrics; a refused one is logged with its request id and reason.
  app.use(connectEventsIntake({ ...deps, requestId }));
  app.use(helmet());
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: requestId,
      autoLogging: {
        ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics',
      },
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const check = async (fn: () => Promise<unknown>, what: string) => {
      try {
        await withTimeout(fn(), 2000, what);
        return 'ok';
      } catch (err) {
        return `unavailable: ${(err as Error).message}`;
      }
    };
    const [database, redis] = await Promise.all([
      check(() => deps.db.ping(), 'database'),
      // A connection still being (re)established is given the probe's budget to become ready: "connecting"
      // is not "down", and the producer connection has no offline queue to hide it.
      check(async () => {
        if (deps.redis.status !== 'ready' && deps.redis.status !== 'end')
          await waitForRedis(deps.redis, 1500);
        return deps.redis.ping();
      }, 'redis'),
    ]);
    const ok = database === 'ok' && redis === 'ok';
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: { database, redis } });
  });

  app.get('/metrics', async (_req, res) => {
    await Promise.all([
      withTimeout(
        Promise.all(
          ALL_QUEUES.map(async (name) => {
            const counts = await deps.queues
              .get(name)
              .getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
            for (const [state, n] of Object.entries(counts))
              deps.metrics.queueDepth.set({ queue: name, state }, n);
          }),
        ),
        1000,
        'queue depth',
      ).catch(() => undefined),
      withTimeout(deps.inbox.counts(), 1000, 'inbox counts')
        .then((counts) => {
          for (const status of ['pending', 'done', 'failed'])
            deps.metrics.inbox.set({ status }, counts[status] ?? 0);
        })
        .catch(() => undefined),
    ]);
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  if (deps.adminToken) app.use(adminQueuesRouter({ queues: deps.queues, adminToken: deps.adminToken }));
  if (deps.install) app.use(installRouter({ ...deps, install: deps.install }));
  // Article bodies a reviewer edited are larger than anything else the app sends.
  app.use('/v1/app/knowledge', express.json({ limit: '512kb' }));
  app.use('/v1/app', express.json({ limit: '16kb' }));
  app.use(appRouter(deps));
  if (deps.suggestions) {
    app.use(
      '/v1/app/suggestions',
      requireAppAuth({ audience: deps.publicUrl, secretFor: (t) => deps.tenants.appSecret(t) }),
    );
    app.use(
      suggestionRouter({
        suggestions: deps.suggestions,
        ...(deps.onAssisted ? { onAssisted: deps.onAssisted } : {}),
        ...(deps.sentiment ? { conversation: deps.sentiment.conversationText.bind(deps.sentiment) } : {}),
      }),
    );
  }
  if (deps.knowledge && deps.review && deps.knowledgeAccess && deps.zendeskFor) {
    const zendeskFor = deps.zendeskFor;
    app.use(
      '/v1/app/knowledge',
      requireAppAuth({ audience: deps.publicUrl, secretFor: (t) => deps.tenants.appSecret(t) }),
    );
    app.use(
      knowledgeRouter({
        knowledge: deps.knowledge,
        review: deps.review,
        knowledgeAccess: deps.knowledgeAccess,
        queues: deps.queues,
        zendeskOf: async (tenantId) => {
          const tenant = await deps.tenants.get(tenantId);
          if (!tenant) throw new Error('unknown tenant');
          return zendeskFor(tenant);
        },
      }),
    );
  }
  if (deps.billing) app.use(billingRouter({ ...deps, billing: deps.billing }));
  if (deps.sentiment) app.use(liveRouter({ ...deps, sentiment: deps.sentiment }));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
