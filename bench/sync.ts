import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConnectClient } from '@aws-sdk/client-connect';
import { Pool } from 'pg';
import pino from 'pino';
import { loadConfig } from '../server/config';
import { REDACT_PATHS } from '../server/logger';
import { createConnectClient } from '../server/connect/client';
import { QUEUES } from '../server/queues/contracts';
import { run, type Running } from '../server/runtime/service';
import { Harness } from './sync-harness';
import { addRoundTrips, countRoundTrips, newRoundTrips, watchJobs, type JobStats } from './sync-probes';
import { WorkerThread } from './sync-worker';
import { DUPLICATE_SHARE, FAR_SHARE, GAP, MIX, RETURNING_SHARE, WINDOW } from './sync-scenario';
import { distribution, probeProcess, round, threadCpuSeconds } from './stats';
import { deleteKeysWithPrefix } from '../server/queues/redis';
import { UsageError, intOption } from './usage';

/**
 * `bench sync`: the whole service in this process (API + contact-sync worker) against the Zendesk and
 * Connect doubles on 127.0.0.1, fed the scenario over HTTP by a load generator; doubles and load
 * generator run on a worker thread (see sync-harness.ts). Prints nothing; returns the figures.
 */

export const TARGETS = { duplicates: 0, lost: 0, ticketPathRatio: 1.05, p99Ms: 50, atEventsPerS: 200 };

export interface SyncBenchOptions {
  contacts: number;
  /** Events per second offered; 0 = as fast as the service takes them. */
  rate: number;
  seed: number;
  databaseUrl: string | undefined;
  /** The tenant's Zendesk budget: high by default, so the pipeline is measured rather than the plan. */
  zendeskRpm: number;
  /** API and worker as two services (own threads, pools and connections), like `serve` + `work`. */
  split: boolean;
  drainTimeoutS: number;
}

const USAGE =
  'bench sync [--contacts N=10000] [--rate EVENTS_PER_S=200 (0 = unthrottled)] [--seed S=1] [--zendesk-rpm N=1000000] [--drain-timeout-s S=300] [--pglite] [--split]';

const parse = (args: string[]) =>
  parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      contacts: { type: 'string', default: '10000' },
      rate: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      'zendesk-rpm': { type: 'string', default: '1000000' },
      'drain-timeout-s': { type: 'string', default: '300' },
      pglite: { type: 'boolean', default: false },
      split: { type: 'boolean', default: false },
    },
  });

export function parseSyncArgs(args: string[]): SyncBenchOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: ${USAGE}`);
  }
  const int = (name: string, v: string, min: number) => intOption(USAGE, name, v, min);
  const databaseUrl = values.pglite
    ? undefined
    : process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || undefined;
  if (values.split && !databaseUrl)
    throw new UsageError(
      `--split needs PostgreSQL (BENCH_DATABASE_URL): PGlite is one connection in one process\nusage: ${USAGE}`,
    );
  return {
    split: values.split,
    contacts: int('contacts', values.contacts, 1),
    rate: int('rate', values.rate, 0),
    seed: int('seed', values.seed, 0),
    zendeskRpm: int('zendesk-rpm', values['zendesk-rpm'], 1),
    drainTimeoutS: int('drain-timeout-s', values['drain-timeout-s'], 1),
    databaseUrl,
  };
}

/** Service tuning variables passed through from the environment (everything else is the bench's own). */
const PASSTHROUGH = [
  'CONCIERGE_WORKER_CONCURRENCY',
  'CONCIERGE_SWEEP_INTERVAL_MS',
  'CONCIERGE_SWEEP_AFTER_MS',
  'CONCIERGE_BODY_LIMIT',
  'REDIS_URL',
];

const AGENTS = ['agent-1', 'agent-2', 'agent-3', 'agent-4', 'agent-5', 'agent-6', 'agent-7', 'agent-8'];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const progress = (msg: string) => process.stderr.write(`[bench sync] ${msg}\n`);

export async function benchSync(args: string[]): Promise<Record<string, unknown>> {
  const opts = parseSyncArgs(args);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'concierge-bench-'));
  const prefix = `bench-${randomUUID()}`;
  const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const env: Record<string, string> = {
    CONCIERGE_DATA_DIR: dataDir,
    CONCIERGE_QUEUE_PREFIX: prefix,
    CONCIERGE_ALLOW_LOCAL_ZENDESK: '1',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  };
  for (const name of PASSTHROUGH) if (process.env[name]) env[name] = process.env[name]!;
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  const config = loadConfig(env);
  // Logs go to stderr: stdout carries only the JSON.
  const logger = pino(
    {
      level: config.LOG_LEVEL,
      base: { service: 'concierge' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    pino.destination(2),
  );

  // Ctrl-C stops sending and waiting, then cleans up (schema, Redis keys, temp dir) before exiting.
  const interrupted = new AbortController();
  let harness: Harness | undefined;
  const onSignal = () => {
    progress('interrupted: stopping and cleaning up');
    interrupted.abort();
    harness?.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let connectClient: ConnectClient | undefined;
  const services: Running[] = [];
  let workerThread: WorkerThread | undefined;
  let redisUrl: string | undefined;
  let privateRedis = false;
  try {
    harness = new Harness(progress);
    const world = await harness.init({ contacts: opts.contacts, seed: opts.seed, agents: AGENTS });
    connectClient = new ConnectClient({
      region: world.connectRegion,
      endpoint: world.connectUrl,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    const sdk = connectClient;
    const connectApi = createConnectClient({ clientFor: () => sdk });
    const overrides = { connect: connectApi, schema, inMemoryDb: true };
    // Reconciliation (SearchContacts) would race the scripted events: the bench measures the event path.
    const api = await run(config, logger, {
      api: true,
      queues: opts.split ? [] : [QUEUES.contactSync],
      port: 0,
      overrides,
    });
    services.push(api);
    redisUrl = api.redis.url;
    privateRedis = !!api.redis.child;
    const { ctx } = api;
    const roundTrips = newRoundTrips();
    countRoundTrips(ctx.db, roundTrips);
    let inProcessJobs: JobStats | undefined;
    if (opts.split) {
      workerThread = new WorkerThread(progress);
      await workerThread.start({
        env: { ...env, REDIS_URL: redisUrl },
        schema,
        connect: { region: world.connectRegion, url: world.connectUrl },
      });
    } else inProcessJobs = watchJobs(api.workers!.workers[0]!);
    const tenant = await ctx.tenants.create(
      {
        subdomain: `bench${randomUUID().slice(0, 8)}`,
        zendeskUrl: world.zendeskUrl,
        credentials: { kind: 'api_token', email: 'ops@example.com', token: 'zd-token' },
        connectInstanceArn: world.instanceArn,
        zendeskRpm: opts.zendeskRpm,
      },
      true,
    );
    const scenario = { stats: world.stats };
    progress(
      `backend ${ctx.db.kind}${opts.split ? ' (split API/worker)' : ''}, redis ${privateRedis ? 'private' : redisUrl}, worker concurrency ${config.CONCIERGE_WORKER_CONCURRENCY}; ${opts.contacts} contacts scripted`,
    );
    progress(
      `${scenario.stats.deliveries} deliveries in ${scenario.stats.posts} POSTs at ${opts.rate || 'max'} events/s`,
    );

    const probe = probeProcess();
    const threadCpu = async () => ({
      api: threadCpuSeconds(),
      worker: workerThread ? await workerThread.cpuSeconds() : null,
      harness: await harness!.cpuSeconds(),
    });
    const threads0 = await threadCpu();
    const send = await harness.send(api.url!, tenant.ingestKey, opts.rate);
    progress(`sent in ${send.sendSeconds.toFixed(1)} s; waiting for the inbox to drain`);

    const drainStart = Date.now();
    const deadline = drainStart + opts.drainTimeoutS * 1000;
    const queue = ctx.queues.get(QUEUES.contactSync);
    let pending = -1;
    let queued = -1;
    while (Date.now() < deadline && !interrupted.signal.aborted) {
      pending = (await ctx.inbox.counts()).pending ?? 0;
      const counts = await queue.getJobCounts(
        'active',
        'waiting',
        'delayed',
        'prioritized',
        'waiting-children',
      );
      queued = Object.values(counts).reduce((a, b) => a + b, 0);
      if (pending === 0 && queued === 0) break;
      await sleep(250);
    }
    if (interrupted.signal.aborted) throw new Error('interrupted before the benchmark finished');
    const drainSeconds = (Date.now() - drainStart) / 1000;
    await sleep(300); // a request already on the wire still lands in the double's log
    const threads1 = await threadCpu();
    const proc = probe.stop();
    let jobs = inProcessJobs;
    if (workerThread) {
      const w = await workerThread.stats();
      jobs = w.jobs;
      addRoundTrips(roundTrips, w.roundTrips);
    }
    if (!jobs) throw new Error('no job statistics');
    const inbox = await ctx.inbox.counts();
    const { analysis, connect } = await harness.analyse();
    const describes = connect.describeContact;

    const result = {
      benchmark: 'sync',
      at: new Date().toISOString(),
      environment: {
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        database: ctx.db.kind === 'pg' ? 'postgresql' : 'pglite (in memory)',
        redis: privateRedis ? 'private redis-server' : 'external',
        topology: opts.split
          ? 'split: API (main thread) and contact-sync worker (own thread) as two services with their own event loops, DB pools and Redis connections, like `serve` + `work`'
          : 'single: API and contact-sync worker share one context (one DB pool), like `concierge start`',
        workerConcurrency: config.CONCIERGE_WORKER_CONCURRENCY,
        zendeskRpm: opts.zendeskRpm,
        inProcess: opts.split
          ? 'API on the main thread, contact-sync worker on a second thread; Zendesk and Connect doubles and the load generator on a third thread of the same process'
          : 'API and contact-sync worker on the main thread; Zendesk and Connect doubles and the load generator on a worker thread of the same process',
      },
      scenario: {
        contacts: opts.contacts,
        seed: opts.seed,
        offeredEventsPerS: opts.rate || 'unthrottled',
        shares: {
          mix: MIX,
          returningCallers: RETURNING_SHARE,
          duplicatedEvents: DUPLICATE_SHARE,
          farDuplicatesOfDuplicated: FAR_SHARE,
        },
        reordering: `calls overlap (${GAP} call starts between a call's events), each delivery shuffled within ${WINDOW} positions`,
        ...scenario.stats,
      },
      intake: {
        posts: send.posts,
        attempts: send.attempts,
        non202: send.non202,
        non202ByStatus: send.non202ByStatus,
        networkErrors: send.networkErrors,
        undelivered: send.undelivered,
        sendSeconds: round(send.sendSeconds, 2),
        achievedEventsPerS: round(send.achievedEventsPerS, 1),
        senderLagMs: distribution(send.lagMs),
        acceptedInMs: distribution(send.acceptMs),
      },
      throughput: {
        contactsPerS: analysis.span.contactsPerS,
        offeredContactsPerS: opts.rate
          ? round(opts.rate / (scenario.stats.deliveries / opts.contacts), 1)
          : 'unthrottled',
        definition: 'contacts / (last ticket create or update received by Zendesk - first POST sent)',
        spanSeconds: analysis.span.seconds,
        drainSecondsAfterLastPost: round(drainSeconds, 2),
        drained: pending === 0 && queued === 0,
      },
      latencyMs: analysis.latencyMs,
      zendesk: analysis.zendesk,
      correctness: { ...analysis.correctness, inbox },
      connect: {
        describeContact: describes,
        describeContactPerContact: round(describes / opts.contacts, 3),
        describeUser: connect.describeUser,
      },
      jobs: {
        runs: jobs.runs,
        completed: jobs.completed,
        failed: jobs.failed,
        requeued: Math.max(0, jobs.runs - jobs.completed - jobs.failed),
        failureReasons: jobs.failureReasons,
        addedToLastStartMs: distribution(jobs.waitMs),
        lastRunMs: distribution(jobs.runMs),
      },
      database: {
        roundTrips: roundTrips.count,
        roundTripsPerStoredEvent: round(roundTrips.count / scenario.stats.events, 2),
        transactions: roundTrips.transactions,
        perStoredEventByStatement: Object.fromEntries(
          Object.entries(roundTrips.byStatement)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => [k, round(v / scenario.stats.events, 2)]),
        ),
      },
      process: {
        ...proc,
        cpuMsPerStoredEvent: round((proc.cpuSeconds * 1000) / scenario.stats.events, 2),
        threadCpuMsPerStoredEvent: threadShares(threads0, threads1, proc.cpuSeconds, scenario.stats.events),
        cpuScope: 'every thread of the process: service, harness (doubles, load generator)',
      },
      targets: TARGETS,
      targetsMet: {
        duplicates: analysis.correctness.duplicates <= TARGETS.duplicates,
        lost: analysis.correctness.lost <= TARGETS.lost,
        ticketPathRatio: analysis.zendesk.ticketPathRatio <= TARGETS.ticketPathRatio,
        p99: (analysis.latencyMs.all.p99 ?? Infinity) <= TARGETS.p99Ms,
        p99MeasuredAtTargetRate:
          opts.rate === TARGETS.atEventsPerS && send.achievedEventsPerS >= 0.95 * TARGETS.atEventsPerS,
      },
    };
    return result;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress('cleaning up');
    await workerThread?.stop().catch((err: unknown) => progress(`worker stop failed: ${String(err)}`));
    for (const service of services)
      await service.stop().catch((err: unknown) => progress(`stop failed: ${String(err)}`));
    await harness?.close().catch(() => undefined);
    connectClient?.destroy();
    if (opts.databaseUrl)
      await dropSchema(opts.databaseUrl, schema).catch((err: unknown) =>
        progress(`could not drop schema ${schema}: ${String(err)}`),
      );
    // A private redis-server lived in dataDir and is gone with it; a shared one keeps nothing of ours.
    if (redisUrl && !privateRedis)
      await deleteKeysWithPrefix(redisUrl, prefix).catch((err: unknown) =>
        progress(`could not delete ${prefix}:* keys: ${String(err)}`),
      );
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

type ThreadCpu = Record<'api' | 'worker' | 'harness', number | null>;

/**
 * CPU ms per stored event of each JavaScript thread (`api` runs the worker too when not split), and the
 * rest of the process (V8's GC and compiler helpers, libuv's pool); null where the platform does not say.
 */
function threadShares(
  before: ThreadCpu,
  after: ThreadCpu,
  processSeconds: number,
  events: number,
): Record<string, number> | null {
  const out: Record<string, number> = {};
  let sum = 0;
  for (const k of ['api', 'worker', 'harness'] as const) {
    const a = before[k];
    const b = after[k];
    if (a === null || b === null) {
      if (k === 'worker' && a === null && b === null) continue;
      return null;
    }
    out[k] = round(((b - a) * 1000) / events, 2);
    sum += b - a;
  }
  out.otherThreads = round((Math.max(0, processSeconds - sum) * 1000) / events, 2);
  return out;
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await pool.end();
  }
}
