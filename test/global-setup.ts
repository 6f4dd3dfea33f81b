import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { ensureRedis } from '../server/runtime/embedded-redis';

/**
 * Tests use the Redis in REDIS_URL, else the one on 127.0.0.1:6379, else a private redis-server.
 * PostgreSQL tests run when TEST_DATABASE_URL is set (CI sets it); PGlite always runs.
 */
export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concierge-test-redis-'));
  const handle = await ensureRedis(process.env.REDIS_URL, dir);
  process.env.REDIS_URL = handle.url;
  (globalThis as { __conciergeRedis?: typeof handle }).__conciergeRedis = handle;
}
