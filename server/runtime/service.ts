import http from 'node:http';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { ALL_QUEUES, type QueueName } from '../queues/contracts';
import { createApp } from '../http/app';
import { createContext, type Context, type ContextOverrides } from './context';
import { ensureRedis, type RedisHandle } from './embedded-redis';
import { startWorkers, type RunningWorkers } from './workers';

export interface RunOptions {
  api: boolean;
  /** Queues to work; empty for none. */
  queues: QueueName[];
  overrides?: ContextOverrides;
  /** Port to listen on (0 = any); defaults to config.PORT. */
  port?: number;
}

export interface Running {
  ctx: Context;
  server?: http.Server;
  url?: string;
  workers?: RunningWorkers;
  redis: RedisHandle;
  stop(): Promise<void>;
}

/** Starts the API and/or workers in this process. `stop()` closes in order: HTTP, workers, queues, Redis, DB. */
export async function run(config: Config, logger: Logger, opts: RunOptions): Promise<Running> {
  const redis = await ensureRedis(config.REDIS_URL, config.dataDir);
  if (redis.child)
    logger.info(
      { url: redis.url },
      'started a private redis-server (no REDIS_URL and nothing on 127.0.0.1:6379)',
    );
  let ctx: Context;
  try {
    ctx = await createContext(config, logger, redis.url, opts.overrides);
  } catch (err) {
    await redis.stop();
    throw err;
  }
  const workers = opts.queues.length ? await startWorkers(ctx, redis.url, opts.queues) : undefined;
  let server: http.Server | undefined;
  let url: string | undefined;
  if (opts.api) {
    const app = createApp({
      ...ctx,
      bodyLimit: config.CONCIERGE_BODY_LIMIT,
      publicUrl: config.publicUrl,
      prefix: config.CONCIERGE_QUEUE_PREFIX,
      ...(config.CONCIERGE_ADMIN_TOKEN ? { adminToken: config.CONCIERGE_ADMIN_TOKEN } : {}),
      // An inserted or copied suggestion is the evidence of an AI-assisted resolution.
      onAssisted: (tenantId, ticketId, use) => ctx.billing.recordSuggestionUse(tenantId, ticketId, use),
    });
    server = http.createServer(app);
    server.keepAliveTimeout = 65_000; // longer than typical load balancer idle timeouts
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(opts.port ?? config.PORT, config.HOST, () => resolve());
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
    url = `http://127.0.0.1:${port}`;
  }
  let stopping: Promise<void> | undefined;
  return {
    ctx,
    server,
    url,
    workers,
    redis,
    stop() {
      stopping ??= (async () => {
        if (server) {
          server.closeIdleConnections();
          await new Promise<void>((resolve) => server!.close(() => resolve()));
        }
        await workers?.close();
        await ctx.close();
        await redis.stop();
      })();
      return stopping;
    },
  };
}

/** SIGTERM/SIGINT: stop cleanly, with a forced exit if something hangs (timer unref'd so it never keeps us alive). */
export function stopOnSignals(running: Running, logger: Logger, graceMs = 15_000): void {
  const handler = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, graceMs).unref();
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

export const allQueues = (): QueueName[] => [...ALL_QUEUES];
