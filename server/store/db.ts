import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Pool, type PoolClient } from 'pg';
import { PGlite } from '@electric-sql/pglite';

export interface QueryOptions {
  /**
   * PostgreSQL: a named prepared statement (per connection, named after the text), so the server parses
   * and plans it once instead of on every call: about half its CPU for the hot, short statements of the
   * contact pipeline. Only for statements whose result columns are spelled out (or fixed, like json):
   * a prepared `SELECT *` / `RETURNING *` fails once a migration adds a column under a running process.
   * The text must hold no inlined values (each distinct text is one statement on every connection).
   * PGlite ignores it.
   */
  prepared?: boolean;
}

/** Something that runs SQL: the database itself, or one transaction on it. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pg' | 'pglite';
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** postgres:// URL; without it, PGlite under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** Search path schema (tests use one schema each); created when missing. */
  schema?: string;
  /** PGlite only: keep the database in memory (tests, benchmarks). */
  inMemory?: boolean;
  /** PGlite only: use this instance (tests share one per file, a schema each). */
  pglite?: PGlite;
  poolSize?: number;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  if (opts.schema !== undefined && !SCHEMA_RE.test(opts.schema))
    throw new Error(`invalid schema name ${opts.schema}`);
  return opts.databaseUrl ? openPg(opts.databaseUrl, opts.schema, opts.poolSize) : openPglite(opts);
}

async function openPg(url: string, schema: string | undefined, poolSize = 10): Promise<Db> {
  if (schema) {
    // Create the schema with a throwaway connection, then pin every pooled connection to it.
    const setup = new Pool({ connectionString: url, max: 1 });
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await setup.end();
    }
  }
  const pool = new Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 3000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const run = async <T>(c: Pool | PoolClient, sql: string, params?: unknown[], options?: QueryOptions) =>
    (options?.prepared
      ? await c.query({ name: statementName(sql), text: sql, values: params as unknown[] })
      : await c.query(sql, params as unknown[])
    ).rows as T[];
  return {
    kind: 'pg',
    query: (sql, params, options) => run(pool, sql, params, options),
    exec: async (sql) => void (await pool.query(sql)),
    async tx(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: (sql, params, options) => run(client, sql, params, options),
          exec: async (sql) => void (await client.query(sql)),
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      if (!pool.ended) await pool.end();
    },
  };
}

/** Prepared statement names, by text: a short digest (PostgreSQL names are at most 63 bytes). */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `cq_${crypto.createHash('sha256').update(sql).digest('base64url').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** PGlite is single-connection and single-process: a lock file keeps a second process out of the folder. */
export class DataDirLockedError extends Error {
  constructor(
    public readonly dir: string,
    public readonly pid: number,
  ) {
    super(
      `The embedded database in ${dir} is in use by process ${pid} (PGlite allows one process at a time). ` +
        'Stop the running service first, or set DATABASE_URL to use PostgreSQL.',
    );
    this.name = 'DataDirLockedError';
  }
}

function acquireDirLock(dir: string): () => void {
  const lockFile = path.join(dir, 'postmaster.concierge.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(lockFile, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) throw new DataDirLockedError(dir, pid);
      fs.rmSync(lockFile, { force: true }); // stale lock from a process that died
    }
  }
  throw new Error(`could not lock ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One queue per PGlite instance: it has a single connection, so nothing may interleave with a transaction. */
const chains = new WeakMap<PGlite, { chain: Promise<unknown>; schema: string | undefined }>();

async function openPglite(opts: OpenDbOptions): Promise<Db> {
  let release = () => undefined as void;
  let pg: PGlite;
  const shared = opts.pglite !== undefined;
  if (opts.pglite) {
    pg = opts.pglite;
  } else if (opts.inMemory) {
    pg = new PGlite();
  } else {
    const dir = path.join(opts.dataDir, 'pglite');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    release = acquireDirLock(opts.dataDir);
    try {
      pg = new PGlite(dir);
      await pg.waitReady;
    } catch (err) {
      release();
      throw err;
    }
  }
  if (!chains.has(pg)) chains.set(pg, { chain: Promise.resolve(), schema: undefined });
  const state = chains.get(pg)!;
  const schema = opts.schema;
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    // Several Db views may share one instance (tests): each switches to its own schema first.
    const run = async () => {
      if (closed) throw new Error('database closed');
      if (schema && state.schema !== schema) {
        await pg.exec(`SET search_path TO ${schema}`);
        state.schema = schema;
      }
      return fn();
    };
    const next = state.chain.then(run, run);
    state.chain = next.catch(() => undefined);
    return next;
  };
  let closed = false;
  if (schema) await serial(() => pg.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`));
  const q = async <T>(sql: string, params?: unknown[]) =>
    (await pg.query<T>(sql, params as unknown[] | undefined)).rows;
  return {
    kind: 'pglite',
    query: (sql, params) => serial(() => q(sql, params)),
    exec: (sql) => serial(async () => void (await pg.exec(sql))),
    tx: (fn) =>
      serial(() =>
        pg.transaction((t) =>
          fn({
            query: async <T>(sql: string, params?: unknown[]) => (await t.query<T>(sql, params)).rows,
            exec: async (sql: string) => void (await t.exec(sql)),
          }),
        ),
      ),
    async ping() {
      if (closed) throw new Error('database closed');
      await serial(() => q('SELECT 1'));
    },
    async close() {
      if (closed) return;
      await state.chain;
      closed = true;
      if (shared) return; // the owner of a shared instance closes it
      await pg.close();
      release();
    },
  };
}
