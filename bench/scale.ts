/**
 * Scale-out: several `concierge serve` and `concierge work` processes (bin/concierge, separate Node
 * processes, as on separate machines) on one PostgreSQL schema and one Redis prefix, fed the sync
 * benchmark's scenario through the Connect and Zendesk doubles; optionally one worker process is
 * SIGKILLed mid-run and started again. Used by test/scale (correctness) and `bench scale` (throughput).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto, { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { openDb, type Db } from '../server/store/db';
import { migrate } from '../server/store/migrate';
import { SecretBox } from '../server/store/crypto';
import { TenantRepo } from '../server/tenants/repo';
import { QUEUES, Queues } from '../server/queues/contracts';
import { startConnectDouble, type ConnectDouble } from '../doubles/connect-double';
import { startZendeskDouble, type ZendeskDouble } from '../doubles/zendesk-double';
import { analyse, type Analysis } from './sync-analysis';
import { buildScenario, type PlannedEvent } from './sync-scenario';
import { sendAll, type SendReport } from './sender';
import { round } from './stats';
import { UsageError } from './usage';

const BIN = path.resolve(__dirname, '../bin/concierge');
const AGENTS = ['agent-1', 'agent-2', 'agent-3', 'agent-4', 'agent-5', 'agent-6'];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ScaleOptions {
  databaseUrl: string;
  redisUrl: string;
  serves: number;
  workers: number;
  contacts: number;
  /** Events per second offered across all API processes; 0 = as fast as they take them. */
  rate: number;
  seed: number;
  /** SIGKILL one worker process once this share of the contacts has a ticket, and start it again 1 s later. */
  killWorkerAt?: number;
  /** contact-sync jobs in flight per worker process (CONCIERGE_WORKER_CONCURRENCY). */
  concurrency: number;
  /** Added by the Zendesk double to each answer: Zendesk is not instant, and worker capacity is what scales. */
  zendeskLatencyMs: number;
  drainTimeoutS: number;
  log?: (msg: string) => void;
}

export interface ScaleResult {
  processes: { serve: number; work: number; killedAndRestarted: boolean; workerExits: number };
  send: Pick<SendReport, 'posts' | 'non202' | 'networkErrors' | 'undelivered'> & { sendSeconds: number };
  drained: boolean;
  inbox: Record<string, number>;
  contactsPerS: number;
  spanSeconds: number;
  correctness: Analysis['correctness'];
  zendesk: { requests: number; specViolations: number; ticketsCreated: number; ticketPathRatio: number };
  latencyMs: { p50: number | null; p99: number | null };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs one scale-out scenario end to end and cleans up (processes, schema, queue keys). */
export async function runScaleOut(opts: ScaleOptions): Promise<ScaleResult> {
  const log = opts.log ?? (() => undefined);
  const schema = `scale_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const prefix = `scale-${randomUUID()}`;
  const key = crypto.randomBytes(32).toString('base64');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'concierge-scale-'));
  const children = new Set<ChildProcess>();
  let workerExits = 0;
  let db: Db | undefined;
  let zendesk: ZendeskDouble | undefined;
  let connect: ConnectDouble | undefined;
  let redis: Redis | undefined;
  let queues: Queues | undefined;
  let killer: NodeJS.Timeout | undefined;
  try {
    db = await openDb({ databaseUrl: opts.databaseUrl, dataDir, schema });
    await migrate(db);
    zendesk = await startZendeskDouble({ latencyMs: opts.zendeskLatencyMs });
    connect = await startConnectDouble();
    const tenant = await new TenantRepo(db, new SecretBox(Buffer.from(key, 'base64'))).create(
      {
        subdomain: `s${randomUUID().slice(0, 8)}`,
        zendeskUrl: zendesk.url,
        credentials: { kind: 'api_token', email: 'ops@example.com', token: 'zd-token' },
        connectInstanceArn: connect.instanceArn,
        zendeskRpm: 1_000_000,
      },
      true,
    );
    for (const id of AGENTS) {
      connect.putUser({ userId: id, username: `${id}@example.com`, email: `${id}@example.com` });
      zendesk.addUser({ name: `Agent ${id}`, email: `${id}@example.com`, role: 'agent' });
    }

    const dbUrl = new URL(opts.databaseUrl);
    dbUrl.searchParams.set('options', `-c search_path=${schema}`);
    const env = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: opts.redisUrl,
      HOST: '127.0.0.1',
      CONCIERGE_DATA_DIR: dataDir,
      CONCIERGE_QUEUE_PREFIX: prefix,
      CONCIERGE_ENCRYPTION_KEY: key,
      CONCIERGE_ALLOW_LOCAL_ZENDESK: '1',
      CONCIERGE_WORKER_CONCURRENCY: String(opts.concurrency),
      CONCIERGE_DB_POOL_SIZE: '10',
      CONCIERGE_JOB_LOCK_MS: '3000',
      CONCIERGE_SWEEP_INTERVAL_MS: '1000',
      CONCIERGE_SWEEP_AFTER_MS: '3000',
      AWS_ENDPOINT_URL_CONNECT: connect.url,
      AWS_REGION: connect.region,
      AWS_ACCESS_KEY_ID: 'scale',
      AWS_SECRET_ACCESS_KEY: 'scale',
      LOG_LEVEL: 'error',
    };
    const start = (args: string[], extra: Record<string, string> = {}) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: dataDir,
        env: { ...env, ...extra },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', (d: Buffer) =>
        log(`[${args[0]} ${child.pid}] ${d.toString().trim().slice(0, 300)}`),
      );
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    };

    const serveUrls: string[] = [];
    for (let i = 0; i < opts.serves; i++) {
      const port = await freePort();
      start(['serve'], { PORT: String(port) });
      serveUrls.push(`http://127.0.0.1:${port}`);
    }
    const work = () => {
      const child = start(['work', '--queues', QUEUES.contactSync]);
      child.once('exit', () => workerExits++);
      return child;
    };
    const workers = Array.from({ length: opts.workers }, work);
    const ready = Date.now() + 300_000; // five Node processes booting on a busy machine
    for (const url of serveUrls) {
      while (
        (await fetch(`${url}/readyz`).then(
          (r) => r.status,
          () => 0,
        )) !== 200
      ) {
        if (Date.now() > ready) throw new Error(`${url} never became ready`);
        await sleep(250);
      }
    }
    log(`${opts.serves} serve + ${opts.workers} work processes up`);

    const scenario = buildScenario(connect, { contacts: opts.contacts, seed: opts.seed, agents: AGENTS });
    // Round-robin over the API processes, like a load balancer.
    const lanes: PlannedEvent[][][] = serveUrls.map(() => []);
    scenario.posts.forEach((p, i) => lanes[i % lanes.length]!.push(p));
    let killed = false;
    // The kill lands while workers are busy: once a share of the conversations has its ticket.
    const zd = zendesk;
    killer =
      opts.killWorkerAt === undefined
        ? undefined
        : setInterval(() => {
            if (killed || zd.tickets.size < opts.contacts * opts.killWorkerAt!) return;
            killed = true;
            const victim = workers[0]!;
            log(
              `killing worker ${victim.pid} (SIGKILL) with ${zd.tickets.size}/${opts.contacts} tickets made`,
            );
            victim.kill('SIGKILL');
            setTimeout(() => {
              workers[0] = work();
              log(`worker restarted as ${workers[0].pid}`);
            }, 1000);
          }, 50);
    const t0 = Date.now();
    const reports = await Promise.all(
      lanes.map((posts, i) =>
        sendAll(posts, {
          url: serveUrls[i]!,
          ingestKey: tenant.ingestKey,
          rate: opts.rate / lanes.length,
          lanes: 8,
          onProgress: () => log(`${zd.requests.length} Zendesk requests so far`),
        }),
      ),
    );
    const sendSeconds = (Date.now() - t0) / 1000;
    log(`sent in ${sendSeconds.toFixed(1)} s; draining`);

    redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1 });
    queues = new Queues(redis, prefix);
    const queue = queues.get(QUEUES.contactSync);
    const deadline = Date.now() + opts.drainTimeoutS * 1000;
    let drained = false;
    while (Date.now() < deadline) {
      const pending = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM contact_events WHERE status = 'pending'`,
      );
      const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
      if (pending[0]!.n === '0' && Object.values(counts).every((n) => n === 0)) {
        drained = true;
        break;
      }
      await sleep(250);
    }
    clearInterval(killer);
    await sleep(500); // a request already on the wire still lands in the double's log
    const inboxRows = await db.query<{ status: string; n: string }>(
      `SELECT status, count(*)::text AS n FROM contact_events GROUP BY status`,
    );
    const analysis = analyse(scenario, zendesk);
    return {
      processes: {
        serve: opts.serves,
        work: opts.workers,
        killedAndRestarted: killed,
        workerExits,
      },
      send: {
        posts: reports.reduce((a, r) => a + r.posts, 0),
        non202: reports.reduce((a, r) => a + r.non202, 0),
        networkErrors: reports.reduce((a, r) => a + r.networkErrors, 0),
        undelivered: reports.reduce((a, r) => a + r.undelivered, 0),
        sendSeconds: round(sendSeconds, 2),
      },
      drained,
      inbox: Object.fromEntries(inboxRows.map((r) => [r.status, Number(r.n)])),
      contactsPerS: analysis.span.contactsPerS,
      spanSeconds: analysis.span.seconds,
      correctness: analysis.correctness,
      zendesk: {
        requests: analysis.zendesk.total,
        specViolations: analysis.zendesk.specViolations,
        ticketsCreated: analysis.zendesk.ticketsCreated,
        ticketPathRatio: analysis.zendesk.ticketPathRatio,
      },
      latencyMs: { p50: analysis.latencyMs.all.p50, p99: analysis.latencyMs.all.p99 },
    };
  } finally {
    clearInterval(killer);
    const exits = [...children].map(
      (c) =>
        new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : c.once('exit', () => resolve()))),
    );
    for (const c of children) c.kill('SIGTERM');
    const forced = setTimeout(() => {
      for (const c of children) c.kill('SIGKILL');
    }, 10_000);
    await Promise.all(exits);
    clearTimeout(forced);
    await queues?.close().catch(() => undefined);
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
      if (keys.length) await redis.del(...keys).catch(() => undefined);
      redis.disconnect();
    }
    await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await db?.close();
    await zendesk?.close();
    await connect?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const USAGE =
  'bench scale [--contacts N=600] [--serves N=2] [--workers N=3 (compared with 1)] [--rate EVENTS_PER_S=0] [--concurrency N=5] [--zendesk-latency-ms MS=40] [--seed S=1]';

/**
 * `bench scale`: the same scenario twice, with 1 worker process and with --workers (default 3), behind
 * --serves API processes; a worker is killed and restarted mid-run in the multi-worker run. Needs
 * PostgreSQL (BENCH_DATABASE_URL or DATABASE_URL) and Redis (REDIS_URL, default 127.0.0.1:6379).
 */
export async function benchScale(args: string[]): Promise<Record<string, unknown>> {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args,
      strict: true,
      options: {
        contacts: { type: 'string', default: '600' },
        serves: { type: 'string', default: '2' },
        workers: { type: 'string', default: '3' },
        rate: { type: 'string', default: '0' },
        concurrency: { type: 'string', default: '5' },
        'zendesk-latency-ms': { type: 'string', default: '40' },
        seed: { type: 'string', default: '1' },
      },
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: ${USAGE}`);
  }
  const int = (name: string, min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`--${name} must be an integer >= ${min}\nusage: ${USAGE}`);
    return n;
  };
  const databaseUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL;
  if (!databaseUrl)
    throw new UsageError(
      `bench scale needs PostgreSQL (BENCH_DATABASE_URL): several processes share one database\nusage: ${USAGE}`,
    );
  const base = {
    databaseUrl,
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    serves: int('serves', 1),
    contacts: int('contacts', 1),
    rate: int('rate', 0),
    seed: int('seed', 0),
    concurrency: int('concurrency', 1),
    zendeskLatencyMs: int('zendesk-latency-ms', 0),
    drainTimeoutS: 600,
    log: (m: string) => process.stderr.write(`[bench scale] ${m}\n`),
  };
  const many = int('workers', 2);
  const one = await runScaleOut({ ...base, workers: 1 });
  base.log(`1 worker: ${one.contactsPerS} contacts/s; now ${many} workers`);
  const more = await runScaleOut({ ...base, workers: many, killWorkerAt: 0.5 });
  const row = (r: ScaleResult) => ({
    contactsPerS: r.contactsPerS,
    spanSeconds: r.spanSeconds,
    latencyP50Ms: r.latencyMs.p50,
    latencyP99Ms: r.latencyMs.p99,
    duplicates: r.correctness.duplicates,
    lost: r.correctness.lost,
    killedAndRestarted: r.processes.killedAndRestarted,
    drained: r.drained,
  });
  return {
    benchmark: 'scale',
    at: new Date().toISOString(),
    environment: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      loadAverage1m: round(os.loadavg()[0] ?? 0, 2),
      processes: `${base.serves} × concierge serve, N × concierge work (contact-sync), each its own Node process; Zendesk and Connect doubles and the load generator in the bench process`,
      workerConcurrency: base.concurrency,
      zendeskLatencyMs: base.zendeskLatencyMs,
    },
    scenario: { contacts: base.contacts, seed: base.seed, offeredEventsPerS: base.rate || 'unthrottled' },
    sideBySide: { '1 worker': row(one), [`${many} workers`]: row(more) },
    speedup: one.contactsPerS > 0 ? round(more.contactsPerS / one.contactsPerS, 2) : null,
    details: { oneWorker: one, manyWorkers: more },
  };
}
