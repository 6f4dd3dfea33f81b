import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadConfig } from '../config';
import { AppError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { QUEUES, type QueueName } from '../queues/contracts';
import { ensureRedis } from '../runtime/embedded-redis';
import { run, type Running } from '../runtime/service';
import { openDb } from '../store/db';
import { startConnectDouble, type ConnectDouble } from '../../doubles/connect-double';
import { startContactLensDouble, type ContactLensDouble } from '../../doubles/contact-lens-double';
import { startZendeskDouble, type DoubleSnapshot, type ZendeskDouble } from '../../doubles/zendesk-double';
import { builtLocations, startDemoHost, type DemoHost } from './host';
import { Replay } from './replay';
import { deleteKeysWithPrefix } from '../queues/redis';
import { FIRST_LIVE_TICKET_ID, reattachDemo, seedDemo, type Seeded } from './seed';

export interface DemoOptions {
  /** Keep the demo's data from the last run instead of starting clean. */
  keep: boolean;
  /** Port of the printed page; 0 = any free port. */
  port: number;
  /** Replay speed: 1 = real time. */
  speed: number;
  env: NodeJS.ProcessEnv;
  /** Where the one URL (and nothing else) goes. */
  out: NodeJS.WritableStream;
  /** Progress lines while it starts (stderr). */
  progress?: (line: string) => void;
}

export interface RunningDemo {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether the page's port can be had, checked before minutes of start-up rather than after. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * `concierge demo`: the product on one machine with no accounts. Embedded defaults as `concierge start`
 * (PGlite under <data dir>/demo, the local or a private Redis), the local AI provider, and doubles for
 * Zendesk (spec-checked), Amazon Connect and Contact Lens that the service reaches the way it reaches
 * the real ones (the Zendesk URL of the tenant; the AWS SDK's endpoint overrides). Seeds a tenant,
 * replays recorded calls into the real ingest endpoints and serves one page around the built app.
 */
export async function startDemo(opts: DemoOptions): Promise<RunningDemo> {
  if (!builtLocations().includes('top_bar'))
    throw new AppError(
      'app_not_built',
      'The Zendesk app is not built: run `npm run demo`, or `npm run package` before `concierge demo`.',
    );
  if (opts.port !== 0 && !(await portFree(opts.port)))
    throw new AppError(
      'port_in_use',
      `Port ${opts.port} is in use: pass --port <another> (0 = any free port).`,
    );
  const baseDir = path.resolve(opts.env.CONCIERGE_DATA_DIR || '.data');
  const dataDir = path.join(baseDir, 'demo');
  // Queue keys of this demo data only: a second demo elsewhere (or the service itself) is left alone.
  const prefix = `concierge-demo-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
  if (!opts.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  const logger: Logger = createLogger(
    (opts.env.LOG_LEVEL as Parameters<typeof createLogger>[0] | undefined) ?? 'warn',
  );
  const started = Date.now();
  const step = (what: string) => opts.progress?.(`${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  };

  // --keep: the database stays; the Zendesk account (in memory) comes back from its snapshot.
  const snapshotFile = path.join(dataDir, 'zendesk-double.json');
  const secretsFile = path.join(dataDir, 'demo-tenant.json');
  let restore: DoubleSnapshot | undefined;
  let kept: Seeded['tenant'] | undefined;
  if (opts.keep && fs.existsSync(snapshotFile) && fs.existsSync(secretsFile)) {
    restore = JSON.parse(fs.readFileSync(snapshotFile, 'utf8')) as DoubleSnapshot;
    kept = JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as Seeded['tenant'];
  }

  try {
    const zendesk: ZendeskDouble = await startZendeskDouble({
      fireTriggers: true,
      firstTicketId: FIRST_LIVE_TICKET_ID,
      ...(restore ? { restore } : {}),
    });
    cleanups.push(async () => {
      fs.writeFileSync(snapshotFile, JSON.stringify(zendesk.snapshot()), { mode: 0o600 });
      await zendesk.close();
    });
    const connect: ConnectDouble = await startConnectDouble();
    cleanups.push(() => connect.close());
    const lens: ContactLensDouble = await startContactLensDouble();
    cleanups.push(() => lens.close());

    // The AWS SDK's standard configuration: endpoint overrides and static demo credentials.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_CONNECT: connect.url,
      AWS_ENDPOINT_URL_CONNECT_CONTACT_LENS: lens.url,
      AWS_ACCESS_KEY_ID: 'AKIDDEMO',
      AWS_SECRET_ACCESS_KEY: 'demo-secret-access-key',
      AWS_REGION: connect.region,
      AWS_CONFIG_FILE: path.join(dataDir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dataDir, 'no-aws-credentials'),
    });

    const servicePort = await freePort();
    const publicUrl = `http://localhost:${servicePort}`;
    const cfg = loadConfig({
      ...Object.fromEntries(
        Object.entries(opts.env).filter(([k]) => k !== 'DATABASE_URL' && k !== 'CONCIERGE_PUBLIC_URL'),
      ),
      PORT: String(servicePort),
      HOST: '127.0.0.1',
      CONCIERGE_DATA_DIR: dataDir,
      CONCIERGE_PUBLIC_URL: publicUrl,
      CONCIERGE_ALLOW_LOCAL_ZENDESK: '1',
      CONCIERGE_QUEUE_PREFIX: prefix,
      AI_PROVIDER: 'local',
      LOG_LEVEL: opts.env.LOG_LEVEL || 'warn',
    });

    step('local Zendesk, Amazon Connect and Contact Lens doubles listening');
    if (kept) {
      // The restored Zendesk double listens on a new port: point the tenant at it before any worker
      // (Help Center sync runs at start) builds a client for the old one.
      const db = await openDb({ dataDir: cfg.dataDir });
      try {
        await db.query(`UPDATE tenants SET zendesk_url = $1 WHERE id = $2`, [zendesk.url, kept.tenant]);
      } finally {
        await db.close();
      }
    }
    const redis = await ensureRedis(cfg.REDIS_URL, dataDir);
    if (!opts.keep) await deleteKeysWithPrefix(redis.url, prefix);
    const queues: QueueName[] = Object.values(QUEUES);
    const running: Running = await run({ ...cfg, REDIS_URL: redis.url }, logger, {
      api: true,
      queues,
      port: servicePort,
    });
    cleanups.push(async () => {
      // Queues are transient (the Postgres inbox is the record; workers re-enqueue what is unfinished),
      // so the demo leaves nothing behind in a shared Redis.
      await deleteKeysWithPrefix(redis.url, prefix).catch(() => undefined);
      await redis.stop();
    });
    cleanups.push(() => running.stop());
    const { ctx } = running;

    step('service running (API and workers)');
    const seeded =
      kept && (await ctx.tenants.get(kept.tenant))
        ? await reattachDemo(ctx, zendesk, connect, kept, logger)
        : await seedDemo(ctx, zendesk, connect, logger);
    // Demo data only (a throwaway tenant on this machine), so that --keep can reattach to it.
    fs.writeFileSync(secretsFile, JSON.stringify(seeded.tenant), { mode: 0o600 });

    const creds = await ctx.tenants.credentials(seeded.tenant.tenant);
    const zendeskAuthorization =
      creds.kind === 'api_token'
        ? `Basic ${Buffer.from(`${creds.email}/token:${creds.token}`).toString('base64')}`
        : `Bearer ${creds.token}`;

    // Filled in once the replay exists (the page may ask before).
    const live: { replay?: Replay } = {};
    step(
      `demo account ready (${seeded.articles} Help Center articles, ${seeded.historyTickets} solved tickets)`,
    );
    const host: DemoHost = await startDemoHost({
      port: opts.port,
      serviceUrl: publicUrl,
      subdomain: seeded.tenant.tenant,
      appSecret: seeded.tenant.appSecret,
      zendeskAuthorization,
      zendesk,
      agent: seeded.agent,
      status: async () => {
        const rows = await ctx.db.query<{ kind: string; n: string | number }>(
          `SELECT kind, count(*) AS n FROM resolution_ledger
            WHERE tenant_id = $1 AND entry = 'resolution' GROUP BY kind`,
          [seeded.tenant.tenant],
        );
        const ledger: Record<string, number> = {};
        for (const r of rows) ledger[r.kind] = Number(r.n);
        return {
          ledger,
          calls: live.replay?.calls ?? 0,
          specViolations: zendesk.specViolations.length,
        };
      },
    });
    cleanups.push(() => host.close());

    const abort = new AbortController();
    const replay = new Replay({
      serviceUrl: running.url!,
      ingestKey: seeded.tenant.ingestKey,
      tenantId: seeded.tenant.tenant,
      connect,
      lens,
      zendesk,
      contacts: ctx.contacts,
      agent: seeded.agent,
      bot: seeded.bot,
      logger,
      speed: opts.speed,
      onSoftphone: (e) => host.softphone(e),
      onAgentCall: (c) => host.agentCall(c),
      agentIsWriting: (id) => host.drafting(id),
      signal: abort.signal,
    });
    live.replay = replay;
    const replaying = replay.run();
    cleanups.push(async () => {
      abort.abort();
      await replaying;
    });

    if (zendesk.specViolations.length)
      logger.warn({ violations: zendesk.specViolations }, 'requests to the Zendesk double broke its spec');
    opts.out.write(`${host.url}\n`);
    let stopping: Promise<void> | undefined;
    return { url: host.url, stop: () => (stopping ??= cleanup()) };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
