import type { RedisHandle } from '../server/runtime/embedded-redis';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __conciergeRedis?: RedisHandle }).__conciergeRedis?.stop();
}
