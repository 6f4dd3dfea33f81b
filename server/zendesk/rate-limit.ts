import type { Redis } from 'ioredis';
import { RateLimitedError, type RequestPriority } from './types';

/**
 * A per-tenant budget of Zendesk requests, taken before each request is sent. Zendesk limits each account
 * per minute (200 to 2,500 requests by plan); staying under it keeps 429s, which stop every caller of the
 * account, rare. `live` requests (a call in progress) may use the whole bucket; `deferrable` ones may not
 * take the last `liveReserve` of it.
 */
export interface ZendeskLimiter {
  /**
   * Resolves once a token was taken, waiting up to maxWaitMs; else throws RateLimitedError with the time
   * until a token is expected. `rpm` overrides the limiter's own `rpmFor` (the caller may know the plan).
   */
  acquire(tenantId: string, priority: RequestPriority, maxWaitMs: number, rpm?: number): Promise<void>;
  /** Records a Zendesk 429's Retry-After: no process sends for this tenant for `ms`. */
  block(tenantId: string, ms: number): Promise<void>;
}

export interface LimiterOptions {
  /** Requests per minute for a tenant, unless acquire() is told. Default 200 (the smallest Zendesk plan). */
  rpmFor?: number | ((tenantId: string) => number | Promise<number>);
  /** Bucket capacity in seconds of refill. Default 10: a burst can never exceed a sixth of the minute's budget. */
  burstSeconds?: number;
  /** Share of the bucket only `live` requests may take. Default 0.2. */
  liveReserve?: number;
  /** Redis key prefix (Redis limiter only). Default `concierge:zd-budget`. */
  prefix?: string;
}

export interface BucketShape {
  capacity: number;
  refillPerMs: number;
  /** Tokens that must remain after a deferrable request takes one. */
  reserveTokens: number;
}

const DEFAULT_RPM = 200;

/** Capacity and refill for a plan; the reserve never leaves deferrable requests without any token at all. */
export function bucketShape(rpm: number, burstSeconds = 10, liveReserve = 0.2): BucketShape {
  if (!(rpm > 0) || !(burstSeconds > 0) || liveReserve < 0 || liveReserve >= 1) {
    throw new RangeError(
      `invalid Zendesk budget: rpm=${rpm} burstSeconds=${burstSeconds} liveReserve=${liveReserve}`,
    );
  }
  const capacity = Math.max(2, (rpm * burstSeconds) / 60);
  return {
    capacity,
    refillPerMs: rpm / 60_000,
    reserveTokens: Math.min(capacity * liveReserve, capacity - 1),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

abstract class BaseLimiter implements ZendeskLimiter {
  constructor(protected readonly options: LimiterOptions) {}

  protected abstract take(tenantId: string, shape: BucketShape, floor: number): Promise<number>;
  abstract block(tenantId: string, ms: number): Promise<void>;

  async acquire(tenantId: string, priority: RequestPriority, maxWaitMs: number, rpm?: number): Promise<void> {
    const shape = bucketShape(
      rpm ?? (await this.rpm(tenantId)),
      this.options.burstSeconds,
      this.options.liveReserve,
    );
    const floor = priority === 'live' ? 0 : shape.reserveTokens;
    const deadline = Date.now() + Math.max(0, maxWaitMs);
    for (;;) {
      const waitMs = await this.take(tenantId, shape, floor);
      if (waitMs === 0) return;
      // Sleep exactly until the token is due; another process may still win it, hence the loop.
      if (waitMs > deadline - Date.now()) throw new RateLimitedError(waitMs);
      await sleep(waitMs);
    }
  }

  protected async rpm(tenantId: string): Promise<number> {
    const rpmFor = this.options.rpmFor ?? DEFAULT_RPM;
    return typeof rpmFor === 'number' ? rpmFor : rpmFor(tenantId);
  }
}

/**
 * KEYS: bucket hash, block key. ARGV: capacity, refill per ms, floor. Returns 0 when a token was taken,
 * else the ms until one can be. Redis' clock is used so processes on skewed hosts agree.
 */
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blockedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if blockedUntil > now then return blockedUntil - now end
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local floor = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = capacity; ts = now end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
  ts = now
end
local wait = 0
if tokens >= floor + 1 then
  tokens = tokens - 1
else
  wait = math.ceil((floor + 1 - tokens) / rate) + math.max(0, ts - now)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
-- A missing bucket reads as full, so the key may vanish once it would have refilled anyway.
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + math.max(0, ts - now) + 1000)
return wait
`;

/**
 * KEYS: bucket hash, block key. ARGV: ms, refill ttl ms. Never shortens a longer block. The bucket is
 * emptied and refills from the block's end, so the first moments after a 429 are not a burst.
 */
const BLOCK_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[1])
local untilMs = now + ms
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if untilMs <= current then return 0 end
redis.call('SET', KEYS[2], tostring(untilMs), 'PX', ms)
redis.call('HSET', KEYS[1], 'tokens', '0', 'ts', tostring(untilMs))
redis.call('PEXPIRE', KEYS[1], ms + tonumber(ARGV[2]))
return 1
`;

interface LimiterCommands {
  conciergeZdAcquire(
    bucket: string,
    block: string,
    capacity: number,
    rate: number,
    floor: number,
  ): Promise<number>;
  conciergeZdBlock(bucket: string, block: string, ms: number, ttlMs: number): Promise<number>;
}

/** The production limiter: one bucket per tenant in Redis, shared by every process. */
export class RedisZendeskLimiter extends BaseLimiter {
  private readonly redis: Redis & LimiterCommands;
  private readonly prefix: string;

  constructor(redis: Redis, options: LimiterOptions = {}) {
    super(options);
    this.prefix = options.prefix ?? 'concierge:zd-budget';
    // defineCommand sends EVALSHA and falls back to EVAL once per connection.
    redis.defineCommand('conciergeZdAcquire', { numberOfKeys: 2, lua: ACQUIRE_LUA });
    redis.defineCommand('conciergeZdBlock', { numberOfKeys: 2, lua: BLOCK_LUA });
    this.redis = redis as Redis & LimiterCommands;
  }

  /** Both keys share a hash tag so the scripts also run on Redis Cluster. */
  keys(tenantId: string): { bucket: string; block: string } {
    return { bucket: `${this.prefix}:{${tenantId}}:bucket`, block: `${this.prefix}:{${tenantId}}:block` };
  }

  protected async take(tenantId: string, shape: BucketShape, floor: number): Promise<number> {
    const { bucket, block } = this.keys(tenantId);
    return Number(
      await this.redis.conciergeZdAcquire(bucket, block, shape.capacity, shape.refillPerMs, floor),
    );
  }

  async block(tenantId: string, ms: number): Promise<void> {
    if (!(ms > 0)) return;
    const { bucket, block } = this.keys(tenantId);
    const shape = bucketShape(await this.rpm(tenantId), this.options.burstSeconds, this.options.liveReserve);
    await this.redis.conciergeZdBlock(
      bucket,
      block,
      Math.ceil(ms),
      Math.ceil(shape.capacity / shape.refillPerMs) + 1000,
    );
  }
}

/** The same algorithm in one process's memory: for unit tests, benchmarks and single-process demos. */
export class InMemoryZendeskLimiter extends BaseLimiter {
  private readonly buckets = new Map<string, { tokens: number; ts: number }>();
  private readonly blockedUntil = new Map<string, number>();

  constructor(options: LimiterOptions = {}) {
    super(options);
  }

  protected async take(tenantId: string, shape: BucketShape, floor: number): Promise<number> {
    const now = Date.now();
    const blockedUntil = this.blockedUntil.get(tenantId) ?? 0;
    if (blockedUntil > now) return blockedUntil - now;
    const bucket = this.buckets.get(tenantId) ?? { tokens: shape.capacity, ts: now };
    if (now > bucket.ts) {
      bucket.tokens = Math.min(shape.capacity, bucket.tokens + (now - bucket.ts) * shape.refillPerMs);
      bucket.ts = now;
    }
    this.buckets.set(tenantId, bucket);
    if (bucket.tokens >= floor + 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((floor + 1 - bucket.tokens) / shape.refillPerMs) + Math.max(0, bucket.ts - now);
  }

  async block(tenantId: string, ms: number): Promise<void> {
    if (!(ms > 0)) return;
    const until = Date.now() + Math.ceil(ms);
    if (until <= (this.blockedUntil.get(tenantId) ?? 0)) return;
    this.blockedUntil.set(tenantId, until);
    this.buckets.set(tenantId, { tokens: 0, ts: until });
  }
}
