import type { Worker } from 'bullmq';
import type { Db, Queryable, QueryOptions } from '../server/store/db';

/** What the sync benchmark counts inside the service: database statements and contact-sync jobs. */

export interface RoundTrips {
  count: number;
  transactions: number;
  byStatement: Record<string, number>;
}
export const newRoundTrips = (): RoundTrips => ({ count: 0, transactions: 0, byStatement: {} });

export function addRoundTrips(into: RoundTrips, from: RoundTrips): void {
  into.count += from.count;
  into.transactions += from.transactions;
  for (const [k, v] of Object.entries(from.byStatement)) into.byStatement[k] = (into.byStatement[k] ?? 0) + v;
}

/**
 * Counts statements sent to the database (a transaction adds its BEGIN and COMMIT) by wrapping the
 * service's Db object: the repositories call `this.db.query`/`tx` at run time, so they see the wrapper.
 */
export function countRoundTrips(db: Db, counter: RoundTrips): void {
  const query = db.query.bind(db);
  const tx = db.tx.bind(db);
  const tally = (sql: string) => {
    counter.count++;
    const key = statementKey(sql);
    counter.byStatement[key] = (counter.byStatement[key] ?? 0) + 1;
  };
  db.query = ((sql: string, params?: unknown[], options?: QueryOptions) => {
    tally(sql);
    return query(sql, params, options);
  }) as Db['query'];
  db.tx = ((fn: Parameters<Db['tx']>[0]) => {
    counter.count += 2;
    counter.transactions++;
    return tx((q) =>
      fn({
        exec: (sql) => q.exec(sql),
        query: ((sql: string, params?: unknown[], options?: QueryOptions) => {
          tally(sql);
          return q.query(sql, params, options);
        }) as Queryable['query'],
      }),
    );
  }) as Db['tx'];
}

/** The start of a statement, whitespace collapsed: enough to tell the statements apart. */
const statementKey = (sql: string): string => sql.replace(/\s+/g, ' ').trim().slice(0, 90);

export interface JobStats {
  runs: number;
  completed: number;
  failed: number;
  failureReasons: Record<string, number>;
  /** Added -> last start (a requeued job's wait includes its delays), per completed job. */
  waitMs: number[];
  /** Last start -> finished, per completed job. */
  runMs: number[];
}

export function watchJobs(worker: Worker): JobStats {
  const stats: JobStats = { runs: 0, completed: 0, failed: 0, failureReasons: {}, waitMs: [], runMs: [] };
  worker.on('active', () => stats.runs++);
  worker.on('completed', (job) => {
    stats.completed++;
    if (job.processedOn !== undefined) {
      stats.waitMs.push(job.processedOn - job.timestamp);
      if (job.finishedOn !== undefined) stats.runMs.push(job.finishedOn - job.processedOn);
    }
  });
  worker.on('failed', (_job, err) => {
    stats.failed++;
    const reason = `${err.name}: ${err.message}`.slice(0, 80);
    stats.failureReasons[reason] = (stats.failureReasons[reason] ?? 0) + 1;
  });
  return stats;
}
