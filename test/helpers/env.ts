import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { openDb, type Db } from '../../server/store/db';
import { deleteKeysWithPrefix } from '../../server/queues/redis';
import { migrate } from '../../server/store/migrate';

export const redisUrl = (): string => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Database backends under test: PGlite always; real PostgreSQL when TEST_DATABASE_URL is set (CI). */
export const backends = (): Array<'pglite' | 'pg'> =>
  process.env.TEST_DATABASE_URL ? ['pglite', 'pg'] : ['pglite'];

/** The backend for tests that need just one: PostgreSQL when configured, else PGlite. */
export const mainBackend = (): 'pglite' | 'pg' => (process.env.TEST_DATABASE_URL ? 'pg' : 'pglite');

export interface TestDb {
  db: Db;
  schema: string;
  url?: string;
  drop(): Promise<void>;
}

/** A migrated database of its own: a fresh schema on PostgreSQL, or an in-memory PGlite. */
export async function testDb(kind: 'pglite' | 'pg' = mainBackend()): Promise<TestDb> {
  const schema = `t_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const url = kind === 'pg' ? process.env.TEST_DATABASE_URL : undefined;
  const db = await openDb({
    databaseUrl: url,
    dataDir: tmpDir(),
    schema,
    ...(kind === 'pglite' ? { pglite: sharedPglite() } : {}),
  });
  await migrate(db);
  return {
    db,
    schema,
    url,
    async drop() {
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await db.close();
    },
  };
}

let pglite: PGlite | undefined;
/**
 * One in-memory PGlite per test file (starting one costs seconds); every test gets a schema of its own.
 * Jest gives each file a fresh module registry, so files never share an instance.
 */
export function sharedPglite(): PGlite {
  pglite ??= new PGlite();
  return pglite;
}

export const tmpDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'concierge-test-'));

export const queuePrefix = (): string => `test-${randomUUID()}`;

/** Deletes every Redis key under a test's queue prefix. */
export async function dropPrefix(prefix: string): Promise<void> {
  await deleteKeysWithPrefix(redisUrl(), prefix);
}
