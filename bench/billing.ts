import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../server/config';
import { REDACT_PATHS } from '../server/logger';
import { QUEUES } from '../server/queues/contracts';
import { run, type Running } from '../server/runtime/service';
import type { Db } from '../server/store/db';
import { startWorkers } from '../server/runtime/workers';
import { setupWebhooks } from '../server/billing/setup';
import { startZendeskDouble, type DoubleTicket } from '../doubles/zendesk-double';
import { distribution, round, rng } from './stats';
import { UsageError, intOption } from './usage';

/**
 * `bench billing`: the service in this process against the Zendesk double.
 *
 * 1. Ingest: 100,000 solved / reopened webhooks (about 9 % duplicates, deliveries reordered, some late by
 *    up to a day) are POSTed, signed, to /v1/zendesk/webhooks/:tenant over keep-alive HTTP; the API runs
 *    alone (workers stopped), so events/s is the intake itself: check, store durably, enqueue.
 * 2. Drain: the billing-ticket workers start and bring every ticket's ledger up to date (one comments read
 *    from the double per new resolution).
 * 3. Ground truth: an independent, in-order model of the rules computes the expected ledger; the diff
 *    (entries missing, extra, or of another kind/type) must be 0.
 * 4. Monthly usage: 1,000,000 more ledger rows for another tenant, then the admin usage query for one
 *    month (median of 20).
 */

export const TARGETS = { eventsPerS: 5_000, diff: 0, monthlyQueryMs: 200 };

interface Options {
  events: number;
  ledgerRows: number;
  lanes: number;
  seed: number;
  databaseUrl: string | undefined;
  /** Run the billing workers during the ingest (out-of-order processing), instead of after it. */
  concurrent: boolean;
  /** Stop after the ingest (A/B of intake changes): no drain, ledger diff or usage query. */
  ingestOnly: boolean;
}

const USAGE =
  'bench billing [--events N=100000] [--ledger-rows N=1000000] [--lanes N=64] [--seed S=1] [--concurrent] [--ingest-only] [--pglite]';

function parse(args: string[]): Options {
  let values;
  try {
    values = parseArgs({
      args,
      strict: true,
      options: {
        events: { type: 'string', default: '100000' },
        'ledger-rows': { type: 'string', default: '1000000' },
        lanes: { type: 'string', default: '64' },
        seed: { type: 'string', default: '1' },
        pglite: { type: 'boolean', default: false },
        concurrent: { type: 'boolean', default: false },
        'ingest-only': { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: ${USAGE}`);
  }
  const int = (name: string, v: string, min: number) => intOption(USAGE, name, v, min);
  return {
    events: int('events', values.events, 10),
    ledgerRows: int('ledger-rows', values['ledger-rows'], 0),
    lanes: int('lanes', values.lanes, 1),
    seed: int('seed', values.seed, 0),
    concurrent: values.concurrent === true,
    ingestOnly: values['ingest-only'] === true,
    databaseUrl: values.pglite
      ? undefined
      : process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || undefined,
  };
}

const HOUR = 3_600_000;
const WINDOW = 72 * HOUR;
const progress = (msg: string) => process.stderr.write(`[bench billing] ${msg}\n`);

type Kind = 'automated' | 'ai_assisted' | 'human';
interface Ev {
  kind: 'solved' | 'reopened';
  ticketId: number;
  at: number;
}
interface TruthEntry {
  entry: 'resolution' | 'void' | 'credit';
  kind: Kind;
}

/**
 * Tickets with alternating solve / reopen histories (what Zendesk produces), reopen delays spread around
 * the 72 h window, and the ground truth from a model written independently of server/billing/rules.ts.
 */
function scenario(target: number, random: () => number, now: number) {
  const tickets: Array<{ id: number; kind: Kind; events: Ev[] }> = [];
  const truth = new Map<string, TruthEntry>();
  let unique = 0;
  const uniqueTarget = Math.round(target / 1.1);
  let id = 1_000_000;
  while (unique < uniqueTarget) {
    const r = random();
    const kind: Kind = r < 0.6 ? 'automated' : r < 0.75 ? 'ai_assisted' : 'human';
    const t = { id: id++, kind, events: [] as Ev[] };
    let at = now - 40 * 24 * HOUR + Math.floor(random() * 20 * 24 * HOUR);
    at -= at % 60_000; // Zendesk's placeholder time is minute-precise
    const solves = 1 + Math.floor(random() * 3);
    for (let s = 0; s < solves; s++) {
      const solvedAt = at;
      t.events.push({ kind: 'solved', ticketId: t.id, at: solvedAt });
      const key = `${t.id}:${new Date(solvedAt).toISOString()}`;
      truth.set(`resolution:${key}`, { entry: 'resolution', kind });
      if (random() < 0.45 || s < solves - 1) {
        // Reopen delay: mostly early, some around the window edge, some long after.
        const x = random();
        const hours = x < 0.5 ? 1 + random() * 48 : x < 0.7 ? 70 + random() * 4 : 74 + random() * 200;
        const reopenAt = solvedAt + Math.round(hours * 60) * 60_000;
        if (reopenAt >= now - HOUR) break;
        t.events.push({ kind: 'reopened', ticketId: t.id, at: reopenAt });
        if (reopenAt - solvedAt <= WINDOW) truth.set(`reversal:${key}`, { entry: 'void', kind });
        else if (kind === 'automated') truth.set(`reversal:${key}`, { entry: 'credit', kind });
        at = reopenAt + Math.round((1 + random() * 72) * 60) * 60_000;
        if (at >= now - HOUR) break;
      } else break;
    }
    unique += t.events.length;
    tickets.push(t);
  }
  return { tickets, truth, unique };
}

export async function benchBilling(args: string[]): Promise<Record<string, unknown>> {
  const opts = parse(args);
  const random = rng(opts.seed);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'concierge-bench-billing-'));
  const prefix = `bench-${randomUUID()}`;
  const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const env: Record<string, string> = {
    CONCIERGE_DATA_DIR: dataDir,
    CONCIERGE_QUEUE_PREFIX: prefix,
    CONCIERGE_ALLOW_LOCAL_ZENDESK: '1',
    CONCIERGE_PUBLIC_URL: 'https://concierge.bench',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    CONCIERGE_WORKER_CONCURRENCY: process.env.CONCIERGE_WORKER_CONCURRENCY ?? '32',
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  };
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  const config = loadConfig(env);
  const logger = pino({ level: config.LOG_LEVEL, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
  const zendesk = await startZendeskDouble();
  let running: Running | undefined;
  try {
    running = await run(config, logger, { api: true, queues: [], port: 0, overrides: { schema } });
    const ctx = running.ctx;
    const created = await ctx.tenants.create(
      {
        subdomain: `bench${randomUUID().slice(0, 6)}`,
        zendeskUrl: zendesk.url,
        credentials: { kind: 'oauth', token: 'x' },
        zendeskRpm: 10_000_000,
      },
      true,
    );
    const tenant = (await ctx.tenants.get(created.tenant))!;
    const setup = await setupWebhooks(
      {
        auth: ctx.billing.auth,
        settings: ctx.billing.settings,
        zendesk: await ctx.zendeskFor(tenant),
        publicUrl: config.publicUrl,
        logger,
      },
      tenant.id,
    );
    const hook = zendesk.webhooks.get(setup.webhookId)!;
    const bearer = (hook.authentication as { data: { token: string } }).data.token;

    // --- scenario -----------------------------------------------------------------------------------
    const now = Date.now();
    const { tickets, truth, unique } = scenario(opts.events, random, now);
    const agent = zendesk.addUser({ name: 'Agent', email: 'agent@bench.invalid', role: 'agent' });
    const customer = zendesk.addUser({ name: 'Customer', email: 'customer@bench.invalid' });
    for (const t of tickets) {
      const first = new Date(t.events[0]!.at - HOUR).toISOString();
      const reply = new Date(t.events[0]!.at - HOUR / 2).toISOString();
      const ticket: DoubleTicket = {
        id: t.id,
        status: 'solved',
        requester_id: customer.id,
        tags: [],
        comments: [
          { public: true, author_id: customer.id, body: 'Question', created_at: first },
          {
            public: true,
            author_id: t.kind === 'automated' ? 1 : agent.id,
            body: 'Answer',
            created_at: reply,
          },
        ],
        created_at: first,
        updated_at: reply,
      };
      zendesk.tickets.set(t.id, ticket);
      if (t.kind === 'ai_assisted')
        await ctx.billing.recordSuggestionUse(tenant.id, t.id, {
          suggestionId: 'kb-1',
          action: random() < 0.5 ? 'inserted' : 'copied',
          userId: agent.id,
          at: new Date(t.events[0]!.at - HOUR * 0.75),
        });
    }
    // Deliveries: in event order with minutes of jitter, 3 % late by up to a day, the rest re-sent copies.
    const deliveries: Array<{ ev: Ev; sendAt: number }> = [];
    const all = tickets.flatMap((t) => t.events);
    for (const ev of all)
      deliveries.push({
        ev,
        sendAt: ev.at + (random() < 0.03 ? random() * 24 * HOUR : random() * 10 * 60_000),
      });
    while (deliveries.length < opts.events) {
      const ev = all[Math.floor(random() * all.length)]!;
      deliveries.push({ ev, sendAt: ev.at + random() * 6 * HOUR });
    }
    deliveries.length = Math.min(deliveries.length, opts.events);
    deliveries.sort((a, b) => a.sendAt - b.sendAt);
    const reordered = deliveries.filter((d, i) => i > 0 && d.ev.at < deliveries[i - 1]!.ev.at).length;
    progress(
      `${tickets.length} tickets, ${unique} distinct events, ${deliveries.length} deliveries; ingesting…`,
    );

    // --- 1. ingest --------------------------------------------------------------------------------------
    // The load generator runs in its own thread, so the service's event loop is the service's alone.
    const bodies = deliveries.map(({ ev }) =>
      JSON.stringify({
        event: ev.kind,
        ticket_id: String(ev.ticketId),
        at: new Date(ev.at).toISOString(),
        actor_id: '',
      }),
    );
    let workers = opts.concurrent
      ? await startWorkers(ctx, running.redis.url, [QUEUES.billingTicket])
      : undefined;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const sent = await new Promise<SenderResult>((resolve, reject) => {
      const thread = new Worker(SENDER, {
        eval: true,
        workerData: {
          url: new URL(`/v1/zendesk/webhooks/${tenant.id}`, running!.url!).href,
          bearer,
          secret: hook.signingSecret,
          bodies,
          lanes: opts.lanes,
        },
      });
      thread.once('message', (m: SenderResult) => resolve(m));
      thread.once('error', reject);
    });
    const { accepted, duplicates, failures, latency } = sent;
    const ingestS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // CPU per delivery of the whole process (service and sender thread): comparable across loaded machines.
    const cpuMsPerEvent = (cpu.user + cpu.system) / 1000 / deliveries.length;
    progress(
      `ingested in ${round(ingestS, 1)} s${opts.ingestOnly ? '' : '; draining with the billing worker…'}`,
    );
    const eventsPerS = round(deliveries.length / ingestS, 0);
    const head = {
      bench: 'billing',
      mode: opts.ingestOnly
        ? 'ingest only'
        : opts.concurrent
          ? 'workers during ingest'
          : 'ingest, then drain',
      database: opts.databaseUrl ? 'postgres' : 'pglite',
      cpus: os.cpus().length,
      scenario: {
        tickets: tickets.length,
        deliveries: deliveries.length,
        distinctEvents: unique,
        duplicateDeliveries: deliveries.length - unique,
        deliveredBeforeAnEarlierEvent: reordered,
        lanes: opts.lanes,
        generator: SENDER_DESCRIPTION,
      },
      ingest: {
        seconds: round(ingestS, 2),
        eventsPerS,
        accepted,
        duplicates,
        non200: failures,
        cpuMsPerEvent: round(cpuMsPerEvent, 3),
        loadAverage1m: round(os.loadavg()[0]!, 1),
        latencyMs: distribution(latency),
      },
    };
    if (opts.ingestOnly) {
      await workers?.close();
      return head;
    }

    // --- 2. drain ---------------------------------------------------------------------------------------
    const t1 = performance.now();
    workers ??= await startWorkers(ctx, running.redis.url, [QUEUES.billingTicket]);
    const deadline = Date.now() + 30 * 60_000;
    let pending = Infinity;
    while (pending > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      pending = (await ctx.billing.inbox.counts()).pending ?? 0;
    }
    const drainS = (performance.now() - t1) / 1000;
    await workers.close();

    // --- 3. ground truth ------------------------------------------------------------------------------
    const rows = await ctx.db.query<{ entry_key: string; entry: string; kind: string }>(
      `SELECT entry_key, entry, kind FROM resolution_ledger WHERE tenant_id = $1`,
      [tenant.id],
    );
    const got = new Map(rows.map((r) => [r.entry_key, r]));
    let missing = 0;
    let wrong = 0;
    for (const [key, want] of truth) {
      const have = got.get(key);
      if (!have) missing++;
      else if (have.entry !== want.entry || have.kind !== want.kind) wrong++;
    }
    const extra = rows.filter((r) => !truth.has(r.entry_key)).length;
    const diff = missing + wrong + extra;
    progress(
      `ledger: ${rows.length} entries, diff ${diff}; loading ${opts.ledgerRows} rows for the usage query…`,
    );

    // --- 4. monthly usage over a 1M-row ledger -----------------------------------------------------------
    const big = await ctx.tenants.create(
      { subdomain: `big${randomUUID().slice(0, 6)}`, credentials: { kind: 'oauth', token: 'x' } },
      false,
    );
    const t2 = performance.now();
    await loadLedger(ctx.db, big.tenant, opts.ledgerRows, now);
    const loadS = (performance.now() - t2) / 1000;
    const month = new Date(now - 40 * 24 * HOUR).toISOString().slice(0, 7);
    const lastDay = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0))
      .toISOString()
      .slice(0, 10);
    const timings: number[] = [];
    let sample: Awaited<ReturnType<typeof ctx.billing.reports.usage>> | undefined;
    for (let i = 0; i < 21; i++) {
      const s = performance.now();
      sample = await ctx.billing.reports.usage(big.tenant, `${month}-01`, lastDay, new Date(now));
      if (i > 0) timings.push(performance.now() - s); // the first run warms caches
    }
    const drill: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = performance.now();
      await ctx.billing.reports.resolutions(
        big.tenant,
        { from: `${month}-01`, to: lastDay, basis: 'solved', kind: 'automated', limit: 50 },
        new Date(now),
      );
      drill.push(performance.now() - s);
    }
    const [{ n: ledgerTotal } = { n: '0' }] = await ctx.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM resolution_ledger`,
    );

    const monthly = distribution(timings);
    const result = {
      ...head,
      drain: { seconds: round(drainS, 1), eventsPerS: round(unique / drainS, 0), pendingLeft: pending },
      ledger: {
        entries: rows.length,
        expected: truth.size,
        missing,
        wrongKindOrType: wrong,
        extra,
        diff,
        byEntry: countBy(rows.map((r) => `${r.entry}:${r.kind}`)),
      },
      monthlyUsage: {
        ledgerRows: Number(ledgerTotal),
        loadSeconds: round(loadS, 1),
        month,
        queryMs: monthly,
        drillDownFirstPageMs: distribution(drill.map((d) => round(d, 2))),
        totals: sample?.totals,
      },
      targets: TARGETS,
      targetsMet: {
        eventsPerS: eventsPerS >= TARGETS.eventsPerS,
        diff: diff === TARGETS.diff && failures === 0 && accepted === unique,
        monthlyQueryMs: (monthly.p50 ?? Infinity) <= TARGETS.monthlyQueryMs,
      },
    };
    return result;
  } finally {
    if (running) {
      if (opts.databaseUrl)
        await running.ctx.db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await running.stop();
    }
    await zendesk.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

interface SenderResult {
  accepted: number;
  duplicates: number;
  failures: number;
  latency: number[];
}

/**
 * The sender thread (plain JavaScript: worker threads do not inherit the TypeScript loader). A lean load
 * generator, so that the process CPU measured is mostly the service's: one raw keep-alive socket per lane
 * with one request in flight at a time (as Zendesk delivers; no pipelining), the fixed request head built
 * once, and per request only what Zendesk computes per delivery: a fresh timestamp and the HMAC over it and
 * the body. The response is parsed just enough to check it: status line, Content-Length, and the JSON body
 * (accepted / duplicates). Anything else (another status, a closed socket, a malformed answer) is a failure.
 */
export const SENDER_DESCRIPTION =
  'raw keep-alive TCP sockets, one request in flight per lane (no pipelining); fixed head pre-built, ' +
  'timestamp + HMAC-SHA256 signature per request; response status, Content-Length and JSON body checked';

const SENDER = String.raw`
const { workerData, parentPort } = require('node:worker_threads');
const net = require('node:net');
const crypto = require('node:crypto');
const { url, bearer, secret, bodies, lanes } = workerData;
const target = new URL(url);
const head =
  'POST ' + target.pathname + ' HTTP/1.1\r\nHost: ' + target.host + '\r\nConnection: keep-alive\r\n' +
  'Content-Type: application/json\r\nAuthorization: Bearer ' + bearer + '\r\n';
const request = (body) => {
  const ts = new Date().toISOString();
  const sig = crypto.createHmac('sha256', secret).update(ts).update(body).digest('base64');
  return head + 'X-Zendesk-Webhook-Signature: ' + sig + '\r\nX-Zendesk-Webhook-Signature-Timestamp: ' + ts +
    '\r\nContent-Length: ' + Buffer.byteLength(body) + '\r\n\r\n' + body;
};
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)/i;
/** One lane: a socket, one request at a time. Resolves { status, text }; rejects on a broken answer. */
class Lane {
  constructor() { this.socket = undefined; this.pending = undefined; this.buf = ''; }
  connect() {
    const socket = net.connect(Number(target.port), target.hostname);
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => this.onData(chunk));
    const fail = (err) => { if (this.socket === socket) this.socket = undefined; this.settle(err ?? new Error('socket closed')); };
    socket.on('error', fail);
    socket.on('close', () => fail());
    this.socket = socket;
  }
  settle(err, value) {
    const p = this.pending; this.pending = undefined; this.buf = '';
    if (!p) return;
    if (err) p.reject(err); else p.resolve(value);
  }
  onData(chunk) {
    this.buf += chunk;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const m = CONTENT_LENGTH.exec(this.buf.slice(0, end + 2));
    if (!m || !this.buf.startsWith('HTTP/1.1 ')) { this.socket?.destroy(); return this.settle(new Error('malformed response')); }
    const total = end + 4 + Number(m[1]);
    if (this.buf.length < total) return;
    if (this.buf.length > total) { this.socket?.destroy(); return this.settle(new Error('unexpected bytes')); }
    this.settle(undefined, { status: Number(this.buf.slice(9, 12)), text: this.buf.slice(end + 4) });
  }
  post(body) {
    if (!this.socket) this.connect();
    return new Promise((resolve, reject) => { this.pending = { resolve, reject }; this.socket.write(request(body), 'latin1'); });
  }
}
let next = 0, accepted = 0, duplicates = 0, failures = 0; const latency = []; const all = [];
Promise.all(Array.from({ length: lanes }, async () => {
  const lane = new Lane(); all.push(lane);
  while (next < bodies.length) {
    const body = bodies[next++]; const t = performance.now();
    const res = await lane.post(body).catch(() => ({ status: 0, text: '' }));
    latency.push(Math.round((performance.now() - t) * 100) / 100);
    if (res.status !== 200) { failures++; continue; }
    const r = JSON.parse(res.text); accepted += r.accepted; duplicates += r.duplicates;
  }
})).then(() => { for (const l of all) l.socket?.destroy(); parentPort.postMessage({ accepted, duplicates, failures, latency }); });
`;

const countBy = (xs: string[]) =>
  xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});

/**
 * Writes `rows` ledger entries for one tenant over the last year (a resolution per row, every fifth with a
 * void or credit) in SQL, and the per-day counters exactly as LedgerRepo.append keeps them.
 */
export async function loadLedger(db: Db, tenantId: string, rows: number, now: number): Promise<void> {
  const resolutions = Math.ceil(rows / 1.2);
  const reversals = rows - resolutions;
  const chunk = 100_000;
  for (let from = 0; from < resolutions; from += chunk) {
    const to = Math.min(resolutions, from + chunk);
    await db.query(
      `INSERT INTO resolution_ledger (tenant_id, entry_key, entry, ticket_id, resolution_key, kind, quantity,
                                      occurred_at, solved_at, window_ends_at, evidence)
       SELECT $1, 'resolution:' || g || ':b', 'resolution', g, g || ':b',
              (ARRAY['automated','automated','automated','ai_assisted','human'])[1 + g % 5], 1,
              s.t, s.t, s.t + interval '72 hours', '{"rule":"bench"}'::jsonb
         FROM generate_series($2::bigint, $3::bigint) g,
              LATERAL (SELECT to_timestamp($4::double precision - (g % 365) * 86400 - (g % 86400))) s(t)`,
      [tenantId, from + 1, to, now / 1000],
    );
  }
  if (reversals > 0)
    await db.query(
      `INSERT INTO resolution_ledger (tenant_id, entry_key, entry, ticket_id, resolution_key, kind, quantity,
                                      occurred_at, solved_at, window_ends_at, reason)
       SELECT l.tenant_id, 'reversal:' || l.resolution_key, CASE WHEN l.ticket_id % 2 = 0 THEN 'void' ELSE 'credit' END,
              l.ticket_id, l.resolution_key, l.kind, -1,
              CASE WHEN l.ticket_id % 2 = 0 THEN l.solved_at + interval '10 hours' ELSE l.solved_at + interval '80 hours' END,
              l.solved_at, l.window_ends_at, 'reopened'
         FROM resolution_ledger l
        WHERE l.tenant_id = $1 AND l.entry = 'resolution' AND l.ticket_id % 5 = 0 AND (l.ticket_id % 2 = 0 OR l.kind = 'automated')
        LIMIT $2`,
      [tenantId, reversals],
    );
  await db.query(
    `INSERT INTO billing_daily (tenant_id, day, kind, metric, n)
     SELECT tenant_id, day, kind, metric, count(*) FROM (
       SELECT tenant_id, (solved_at AT TIME ZONE 'UTC')::date AS day, kind, 'resolved' AS metric FROM resolution_ledger WHERE tenant_id = $1 AND entry = 'resolution'
       UNION ALL SELECT tenant_id, (window_ends_at AT TIME ZONE 'UTC')::date, kind, 'due' FROM resolution_ledger WHERE tenant_id = $1 AND entry = 'resolution' AND kind = 'automated'
       UNION ALL SELECT tenant_id, (solved_at AT TIME ZONE 'UTC')::date, kind, 'voided' FROM resolution_ledger WHERE tenant_id = $1 AND entry = 'void'
       UNION ALL SELECT tenant_id, (window_ends_at AT TIME ZONE 'UTC')::date, kind, 'due_voided' FROM resolution_ledger WHERE tenant_id = $1 AND entry = 'void' AND kind = 'automated'
       UNION ALL SELECT tenant_id, (occurred_at AT TIME ZONE 'UTC')::date, kind, 'credited' FROM resolution_ledger WHERE tenant_id = $1 AND entry = 'credit'
     ) x GROUP BY 1, 2, 3, 4
     ON CONFLICT (tenant_id, day, kind, metric) DO UPDATE SET n = billing_daily.n + EXCLUDED.n`,
    [tenantId],
  );
  await db.query(`VACUUM ANALYZE resolution_ledger`);
}
