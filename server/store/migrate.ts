import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './db';

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

export interface Migration {
  version: string;
  sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.replace(/\.sql$/, ''), sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so several processes starting
 * at once (API + workers) apply each migration exactly once. Same SQL on PostgreSQL and PGlite.
 */
export async function migrate(db: Db): Promise<string[]> {
  return db.tx(async (q) => {
    await q.query(`SELECT pg_advisory_xact_lock(4242001)`);
    await q.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await q.query<{ version: string }>(`SELECT version FROM schema_migrations`)).map((r) => r.version),
    );
    const applied: string[] = [];
    for (const m of listMigrations()) {
      if (done.has(m.version)) continue;
      await q.exec(m.sql);
      await q.query(`INSERT INTO schema_migrations (version) VALUES ($1)`, [m.version]);
      applied.push(m.version);
    }
    return applied;
  });
}
