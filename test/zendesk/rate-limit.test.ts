import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  bucketShape,
  InMemoryZendeskLimiter,
  RedisZendeskLimiter,
  type LimiterOptions,
  type ZendeskLimiter,
} from '../../server/zendesk/rate-limit';
import { RateLimitedError } from '../../server/zendesk/types';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const connections: Redis[] = [];
let prefix: string;

function redis(): Redis {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  connections.push(r);
  return r;
}

async function refusal(p: Promise<unknown>): Promise<RateLimitedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RateLimitedError) return err;
    throw err;
  }
  throw new Error('expected RateLimitedError');
}

async function take(limiter: ZendeskLimiter, n: number, priority: 'live' | 'deferrable', tenantId = 't1') {
  for (let i = 0; i < n; i++) await limiter.acquire(tenantId, priority, 0);
}

beforeEach(() => {
  prefix = `test-zd-${randomUUID()}`;
});

afterEach(async () => {
  const r = connections[0];
  if (r) {
    const keys = await r.keys(`${prefix}:*`);
    if (keys.length > 0) await r.del(...keys);
  }
  await Promise.all(connections.splice(0).map((c) => c.quit()));
});

describe('bucketShape', () => {
  it('when a plan allows 600 requests a minute, then the bucket holds 10 s of them and refills at 10 per second', () => {
    expect(bucketShape(600)).toEqual({ capacity: 100, refillPerMs: 0.01, reserveTokens: 20 });
  });

  it('when a plan is tiny, then deferrable requests can still get a token', () => {
    const shape = bucketShape(1);
    expect(shape.capacity - shape.reserveTokens).toBeGreaterThanOrEqual(1);
  });
});

const implementations: Array<[string, (o: LimiterOptions) => ZendeskLimiter]> = [
  ['Redis', (o) => new RedisZendeskLimiter(redis(), { ...o, prefix })],
  ['in-memory', (o) => new InMemoryZendeskLimiter(o)],
];

describe.each(implementations)('%s limiter', (_name, make) => {
  it('when the bucket is empty, then tokens come back at the plan’s rate', async () => {
    // 60 rpm with a 10 s burst: 10 tokens, one more every second (slow enough to hold on a busy machine).
    const limiter = make({ rpmFor: 60, burstSeconds: 10 });
    await take(limiter, 10, 'live');
    const refused = await refusal(limiter.acquire('t1', 'live', 0));
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);

    const started = Date.now();
    for (let i = 0; i < 2; i++) await limiter.acquire('t1', 'live', 3000);
    const elapsed = Date.now() - started;
    // Two tokens at one a second: at least one full interval, well under the three a too-fast bucket would skip.
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(4000);
  });

  it('when only the live reserve is left, then deferrable requests are refused and live ones still pass', async () => {
    // 10 tokens, refilling one per 10 s (negligible here); the last 2 are for live requests.
    const limiter = make({ rpmFor: 6, burstSeconds: 100 });
    await take(limiter, 8, 'deferrable');
    const refused = await refusal(limiter.acquire('t1', 'deferrable', 0));
    expect(refused.retryAfterMs).toBeGreaterThan(5_000);
    await take(limiter, 2, 'live');
    await refusal(limiter.acquire('t1', 'live', 0));
  });

  it('when a tenant is blocked after a 429, then nothing is acquired until the block ends', async () => {
    const limiter = make({ rpmFor: 60_000, burstSeconds: 1 });
    await limiter.block('t1', 300);
    const refused = await refusal(limiter.acquire('t1', 'live', 100));
    expect(refused.retryAfterMs).toBeGreaterThan(100);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(300);

    const started = Date.now();
    await limiter.acquire('t1', 'live', 2000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    // Another tenant was never blocked.
    await limiter.acquire('t2', 'live', 0);
  });

  it('when a shorter block follows a longer one, then the longer one stands', async () => {
    const limiter = make({ rpmFor: 60_000 });
    await limiter.block('t1', 1000);
    await limiter.block('t1', 10);
    const refused = await refusal(limiter.acquire('t1', 'live', 0));
    expect(refused.retryAfterMs).toBeGreaterThan(500);
  });

  it('when acquire is told the tenant’s rpm, then it overrides rpmFor', async () => {
    const limiter = make({ rpmFor: 6, burstSeconds: 20 });
    // rpmFor alone gives 2 tokens; 60 rpm gives 20.
    for (let i = 0; i < 5; i++) await limiter.acquire('t1', 'live', 0, 60);
    await take(limiter, 2, 'live', 't2');
    await refusal(limiter.acquire('t2', 'live', 0));
  });
});

describe('RedisZendeskLimiter', () => {
  it('when two limiters use the same Redis prefix, then they share one bucket and one block', async () => {
    const options = { rpmFor: 6, burstSeconds: 100, prefix };
    const a = new RedisZendeskLimiter(redis(), options);
    const b = new RedisZendeskLimiter(redis(), options);
    await take(a, 6, 'live');
    await take(b, 4, 'live');
    await refusal(a.acquire('t1', 'live', 0));
    await refusal(b.acquire('t1', 'live', 0));

    await a.block('t2', 500);
    const refused = await refusal(b.acquire('t2', 'live', 0));
    expect(refused.retryAfterMs).toBeGreaterThan(300);
  });

  it('when a bucket is written, then its keys carry the prefix and expire on their own', async () => {
    const r = redis();
    const limiter = new RedisZendeskLimiter(r, { rpmFor: 600, prefix });
    await limiter.acquire('t1', 'live', 0);
    const { bucket } = limiter.keys('t1');
    expect(bucket.startsWith(`${prefix}:`)).toBe(true);
    const ttl = await r.pttl(bucket);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000 + 1000);
  });
});
