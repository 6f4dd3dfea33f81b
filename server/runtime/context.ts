import os from 'node:os';
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { PGlite } from '@electric-sql/pglite';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { openDb, type Db } from '../store/db';
import { migrate } from '../store/migrate';
import { SecretBox, loadEncryptionKey } from '../store/crypto';
import { TenantRepo, type Tenant } from '../tenants/repo';
import { Inbox } from '../contacts/inbox';
import { ContactRepo } from '../contacts/repo';
import { UserDirectory } from '../contacts/directory';
import { Queues } from '../queues/contracts';
import { createRedis } from '../queues/redis';
import { createMetrics, type Metrics } from '../metrics';
import { createConnectClient } from '../connect/client';
import type { ConnectApi } from '../connect/types';
import { createZendeskClient } from '../zendesk/client';
import { RedisZendeskLimiter } from '../zendesk/rate-limit';
import type { ZendeskApi } from '../zendesk/types';
import type { SyncDeps } from '../contacts/sync';
import { ContactNews } from '../contacts/live';
import { HelpCenterRepo } from '../helpcenter/repo';
import { createProvider } from '../ai/index';
import type { AiProvider } from '../ai/types';
import { Suggestions } from '../suggestions/service';
import { createBilling, type Billing } from '../billing/service';
import type { MeteringApi } from '../billing/marketplace';
import { createContactLensClient, type ContactLensApi } from '../connect/contact-lens';
import { SentimentRepo } from '../sentiment/repo';
import { SentimentService } from '../sentiment/service';
import { sentimentOptions, type SentimentOptions, type SentimentScorer } from '../sentiment/types';
import { KnowledgeRepo } from '../knowledge/repo';
import { ReviewQueue } from '../knowledge/review';
import { KnowledgeAccess } from '../knowledge/access';

/** Everything a process of the service needs, built once from the config. */
export interface Context {
  config: Config;
  logger: Logger;
  db: Db;
  box: SecretBox;
  tenants: TenantRepo;
  inbox: Inbox;
  contacts: ContactRepo;
  users: UserDirectory;
  /** Fail-fast connection for producers used from HTTP handlers. */
  redis: Redis;
  queues: Queues;
  metrics: Metrics;
  connect: ConnectApi;
  zendeskFor(tenant: Tenant): Promise<ZendeskApi>;
  syncDeps(): SyncDeps;
  news: ContactNews;
  helpCenter: HelpCenterRepo;
  ai: AiProvider;
  suggestions: Suggestions;
  /** Resolution billing: ticket event inbox, ledger, reports, AWS Marketplace export. */
  billing: Billing;
  /** Live sentiment: Contact Lens segments → timeline, trend, alert → app; final sentiment → ticket. */
  sentiment: SentimentService;
  /** Knowledge gaps: runs, versioned gaps, drafts' review queue, who may approve. */
  knowledge: KnowledgeRepo;
  review: ReviewQueue;
  knowledgeAccess: KnowledgeAccess;
  /** Server-only key for the app's short-lived stream tokens. */
  streamKey: Uint8Array;
  /** A process-unique name, for leases and logs. */
  instanceId: string;
  close(): Promise<void>;
}

export interface ContextOverrides {
  connect?: ConnectApi;
  metrics?: Metrics;
  schema?: string;
  inMemoryDb?: boolean;
  pglite?: PGlite;
  /** AWS Marketplace Metering (tests pass one bound to nock). */
  metering?: MeteringApi;
  contactLens?: ContactLensApi;
  /** Scores customer utterances Contact Lens left without sentiment (default: the AI provider). */
  sentimentScorer?: SentimentScorer;
  sentiment?: Partial<SentimentOptions>;
}

export async function createContext(
  config: Config,
  logger: Logger,
  redisUrl: string,
  overrides: ContextOverrides = {},
): Promise<Context> {
  const db = await openDb({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    schema: overrides.schema,
    poolSize: config.CONCIERGE_DB_POOL_SIZE,
    inMemory: overrides.inMemoryDb,
    pglite: overrides.pglite,
  });
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  const key = loadEncryptionKey(config.CONCIERGE_ENCRYPTION_KEY, config.dataDir);
  const box = new SecretBox(key);
  const tenants = new TenantRepo(db, box);
  const inbox = new Inbox(db);
  const contacts = new ContactRepo(db);
  // Phone numbers are cached under an HMAC derived from the encryption key, never in clear.
  const users = new UserDirectory(db, crypto.createHmac('sha256', key).update('caller-lookup').digest());
  const redis = createRedis(redisUrl, 'producer');
  const queues = new Queues(redis, config.CONCIERGE_QUEUE_PREFIX);
  const metrics = overrides.metrics ?? createMetrics();
  const connect = overrides.connect ?? createConnectClient({ logger });
  const limiterRedis = createRedis(redisUrl, 'worker');
  const limiter = new RedisZendeskLimiter(limiterRedis, {
    prefix: `${config.CONCIERGE_QUEUE_PREFIX}:zd-budget`,
  });

  const zendeskCache = new Map<string, { api: ZendeskApi; until: number }>();
  const zendeskFor = async (tenant: Tenant): Promise<ZendeskApi> => {
    const hit = zendeskCache.get(tenant.id);
    if (hit && hit.until > Date.now()) return hit.api;
    const api = createZendeskClient({
      tenantId: tenant.id,
      baseUrl: tenant.zendeskUrl,
      credentials: await tenants.credentials(tenant.id),
      limiter,
      rpm: tenant.zendeskRpm,
      logger,
      onRequest: ({ kind, status, ms }) => {
        metrics.zendeskRequests.inc({ kind, status: String(status) });
        metrics.zendeskLatency.observe({ kind }, ms / 1000);
      },
    });
    // Credentials are re-read now and then so a rotated token takes effect without a restart.
    zendeskCache.set(tenant.id, { api, until: Date.now() + 5 * 60_000 });
    return api;
  };

  const tenantCache = new Map<string, { tenant: Tenant | null; until: number }>();
  const tenantById = async (id: string) => {
    const hit = tenantCache.get(id);
    if (hit && hit.until > Date.now()) return hit.tenant;
    const tenant = await tenants.get(id);
    tenantCache.set(id, { tenant, until: Date.now() + 60_000 });
    return tenant;
  };

  const subscribers: Redis[] = [];
  const subscriber = () => {
    const sub = createRedis(redisUrl, 'worker');
    subscribers.push(sub);
    return sub;
  };
  const news = new ContactNews(redis, subscriber, `${config.CONCIERGE_QUEUE_PREFIX}:contact-news`);
  const helpCenter = new HelpCenterRepo(db);
  const ai = createProvider(config);
  const streamKey = crypto.createHmac('sha256', key).update('stream-tokens').digest();

  const instanceId = `${os.hostname()}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const billing = createBilling({
    db,
    box,
    logger,
    tenant: tenantById,
    zendesk: zendeskFor,
    contactOf: async (tenantId, ticketId) => {
      const c = await contacts.byTicket(tenantId, ticketId);
      return c ? { initialContactId: c.initialContactId, outcome: c.outcome } : null;
    },
    registry: metrics.registry,
    ...(overrides.metering ? { metering: overrides.metering } : {}),
  });
  const ownContactLens = overrides.contactLens ? undefined : createContactLensClient({ logger });
  const contactLens = overrides.contactLens ?? ownContactLens!;
  const sentiment = new SentimentService({
    repo: new SentimentRepo(db),
    contacts,
    queues,
    // Its own channel: sentiment news is frequent and must not make streams re-send the call state.
    news: new ContactNews(redis, subscriber, `${config.CONCIERGE_QUEUE_PREFIX}:sentiment-news`),
    contactLens,
    // When Contact Lens gives no sentiment, the AI provider scores the customer's utterances.
    scorer: overrides.sentimentScorer ?? ai,
    tenant: tenantById,
    zendesk: zendeskFor,
    logger,
    redis,
    prefix: config.CONCIERGE_QUEUE_PREFIX,
    options: sentimentOptions(overrides.sentiment),
    instanceId,
  });
  const suggestions = new Suggestions(db, helpCenter, ai, logger);
  const knowledge = new KnowledgeRepo(db);
  const zendeskOf = async (tenantId: string): Promise<ZendeskApi> => {
    const tenant = await tenantById(tenantId);
    if (!tenant) throw new Error(`unknown tenant ${tenantId}`);
    return zendeskFor(tenant);
  };
  const review = new ReviewQueue({
    db,
    repo: knowledge,
    helpCenter,
    zendesk: zendeskOf,
    onPublished: (tenantId) => suggestions.invalidate(tenantId),
    logger,
  });
  return {
    config,
    logger,
    db,
    box,
    tenants,
    inbox,
    contacts,
    users,
    redis,
    queues,
    metrics,
    connect,
    zendeskFor,
    news,
    helpCenter,
    ai,
    suggestions,
    knowledge,
    review,
    knowledgeAccess: new KnowledgeAccess(knowledge, zendeskOf),
    billing,
    sentiment,
    streamKey,
    instanceId,
    syncDeps: () => ({
      inbox,
      contacts,
      users,
      connect,
      tenant: tenantById,
      zendesk: zendeskFor,
      logger,
      leaseMs: config.CONCIERGE_JOB_LOCK_MS,
      notify: (tenantId, initialContactId) => news.publish(tenantId, initialContactId),
      onContactState: (tenantId, initialContactId, events) =>
        sentiment.onContactEvents(tenantId, initialContactId, events),
    }),
    async close() {
      await queues.close().catch(() => undefined);
      redis.disconnect();
      limiterRedis.disconnect();
      for (const sub of subscribers) sub.disconnect();
      billing.close();
      ownContactLens?.destroy();
      await db.close();
    },
  };
}
