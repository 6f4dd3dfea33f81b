import { Redis, type RedisOptions } from 'ioredis';

/**
 * Producers used from HTTP handlers fail fast (no offline queue, one retry): a down Redis becomes a 503,
 * not a hung request. Workers wait for Redis as long as it takes (maxRetriesPerRequest: null, as BullMQ requires).
 */
export function createRedis(url: string, role: 'producer' | 'worker', extra: RedisOptions = {}): Redis {
  const common: RedisOptions = { lazyConnect: false, connectTimeout: 3000, ...extra };
  const options: RedisOptions =
    role === 'producer'
      ? { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1 }
      : { ...common, maxRetriesPerRequest: null, enableReadyCheck: false };
  const redis = new Redis(url, options);
  // ioredis emits 'error' on every failed reconnect; without a listener that would crash the process.
  redis.on('error', () => undefined);
  return redis;
}

/** Resolves once the connection is ready, or rejects after timeoutMs. */
export async function waitForRedis(redis: Redis, timeoutMs = 3000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/**
 * Deletes every key under `<prefix>:` (a tenant-neutral queue prefix: tests, benchmarks, the demo), as if
 * Redis were new for that prefix. SCAN-based, so it never blocks Redis the way KEYS would.
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
