/**
 * `bench live`: live sentiment fan-out. The service runs in this process (API only: ingest → timeline
 * → Redis pub/sub → SSE), with `--streams` contacts each watched by one open event stream, as the
 * ticket sidebar does. Contact Lens segment records are posted to /v1/connect/contact-lens at a
 * realistic pace (one finished turn every `--gap-ms` per contact on average, customer and agent in
 * turn, EventBridge Pipes style: one record per request) and the time from the start of the POST to
 * the matching `event: sentiment` on the contact's stream is measured. Target: p95 ≤ 100 ms.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../server/config';
import { REDACT_PATHS } from '../server/logger';
import { mintStreamToken } from '../server/http/app-auth';
import { run, type Running } from '../server/runtime/service';
import { waitForRedis } from '../server/queues/redis';
import { intOption } from './usage';
import { deleteKeysWithPrefix } from '../server/queues/redis';
import { distribution, probeProcess, rng, round } from './stats';

export const LIVE_TARGETS = { p95Ms: 100 };

const USAGE =
  'bench live [--streams N=500] [--duration-s S=60] [--gap-ms MS=3000] [--seed S=1] [--pglite] (DATABASE_URL / BENCH_DATABASE_URL for PostgreSQL)';

interface LiveOptions {
  streams: number;
  durationS: number;
  gapMs: number;
  seed: number;
  databaseUrl: string | undefined;
}

function parseLiveArgs(args: string[]): LiveOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      streams: { type: 'string', default: '500' },
      'duration-s': { type: 'string', default: '60' },
      'gap-ms': { type: 'string', default: '3000' },
      seed: { type: 'string', default: '1' },
      pglite: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, v: string, min: number) => intOption(USAGE, name, v, min);
  return {
    streams: int('streams', values.streams, 1),
    durationS: int('duration-s', values['duration-s'], 1),
    gapMs: int('gap-ms', values['gap-ms'], 100),
    seed: int('seed', values.seed, 0),
    databaseUrl: values.pglite
      ? undefined
      : process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || undefined,
  };
}

const INSTANCE_ID = '00000000-0000-4000-8000-00000000b0b0';
const ARN = `arn:aws:connect:us-west-2:123456789012:instance/${INSTANCE_ID}`;
const progress = (msg: string) => process.stderr.write(`[bench live] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const LABELS = ['POSITIVE', 'NEUTRAL', 'NEUTRAL', 'NEGATIVE'] as const;

interface Watched {
  contactId: string;
  req: http.ClientRequest;
  sent: number[]; // POST start times by segment sequence (1-based: the utterance count after it)
  seen: number; // highest utterance count received on the stream
}

export async function benchLive(args: string[]): Promise<Record<string, unknown>> {
  const opts = parseLiveArgs(args);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'concierge-bench-live-'));
  const prefix = `bench-live-${randomUUID()}`;
  const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const env: Record<string, string> = {
    CONCIERGE_DATA_DIR: dataDir,
    CONCIERGE_QUEUE_PREFIX: prefix,
    CONCIERGE_ALLOW_LOCAL_ZENDESK: '1',
    CONCIERGE_PUBLIC_URL: 'https://concierge.bench',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
  };
  const config = loadConfig(env);
  const logger = pino(
    {
      level: config.LOG_LEVEL,
      base: { service: 'concierge' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    pino.destination(2),
  );
  const random = rng(opts.seed);
  const watched: Watched[] = [];
  const latencies: number[] = [];
  const ackMs: number[] = [];
  const statuses: Record<string, number> = {};
  let running: Running | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    running = await run(config, logger, {
      api: true,
      queues: [],
      port: 0,
      overrides: { schema, inMemoryDb: true },
    });
    const { ctx } = running;
    const url = new URL(running.url!);
    // The API's producer connection fails fast while it is still connecting: let it finish first.
    await waitForRedis(ctx.redis, 10_000);
    const tenant = await ctx.tenants.create(
      {
        subdomain: `bench${randomUUID().slice(0, 8)}`,
        credentials: { kind: 'oauth', token: 'x' },
        connectInstanceArn: ARN,
      },
      true,
    );
    const contacts = Array.from({ length: opts.streams }, () => randomUUID());
    // Live contacts as contact-sync would have left them (the bench measures the live path only).
    const rows = JSON.stringify(contacts.map((id) => ({ id })));
    await ctx.db.query(
      `INSERT INTO contacts (tenant_id, initial_contact_id, channel, state)
       SELECT $1, c.id, 'VOICE', 'connected' FROM jsonb_to_recordset($2::jsonb) AS c(id text)`,
      [tenant.tenant, rows],
    );
    await ctx.db.query(
      `INSERT INTO contact_legs (tenant_id, contact_id, initial_contact_id)
       SELECT $1, c.id, c.id FROM jsonb_to_recordset($2::jsonb) AS c(id text)`,
      [tenant.tenant, rows],
    );

    progress(`backend ${ctx.db.kind}; opening ${opts.streams} event streams`);
    const open = async (contactId: string) => {
      const { token } = await mintStreamToken({ key: ctx.streamKey, tenantId: tenant.tenant, contactId });
      await new Promise<void>((resolve, reject) => {
        const w: Watched = { contactId, req: undefined as unknown as http.ClientRequest, sent: [], seen: 0 };
        let buffer = '';
        let ready = false;
        w.req = http.get(
          {
            host: url.hostname,
            port: url.port,
            path: `/v1/app/contacts/${contactId}/events?token=${encodeURIComponent(token)}`,
            agent: false,
          },
          (res) => {
            if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              const now = performance.now();
              buffer += chunk;
              let end: number;
              while ((end = buffer.indexOf('\n\n')) >= 0) {
                const frame = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                if (frame.includes('event: state') && !ready) {
                  ready = true;
                  resolve();
                }
                const m = /^event: sentiment\ndata: (.*)$/m.exec(frame);
                if (!m) continue;
                const count = (JSON.parse(m[1]!) as { utterances: number }).utterances;
                for (let seq = w.seen + 1; seq <= count; seq++) {
                  const t0 = w.sent[seq];
                  if (t0 !== undefined) latencies.push(now - t0);
                }
                w.seen = Math.max(w.seen, count);
              }
            });
          },
        );
        w.req.on('error', (err) => (ready ? undefined : reject(err)));
        watched.push(w);
      });
    };
    for (let i = 0; i < contacts.length; i += 50) await Promise.all(contacts.slice(i, i + 50).map(open));
    progress(
      `${watched.length} streams open; sending segments for ${opts.durationS} s (one turn per ${opts.gapMs} ms per contact)`,
    );

    const post = (w: Watched, seq: number) => {
      const participant = seq % 2 === 1 ? 'CUSTOMER' : 'AGENT';
      const record = {
        Version: '1.0.0',
        Channel: 'VOICE',
        AccountId: '123456789012',
        InstanceId: INSTANCE_ID,
        ContactId: w.contactId,
        LanguageCode: 'en-US',
        EventType: 'SEGMENTS',
        Segments: [
          {
            Transcript: {
              Id: `${w.contactId}-${seq}`,
              ParticipantId: participant,
              ParticipantRole: participant,
              Content: `turn ${seq} of a benchmark conversation`,
              BeginOffsetMillis: seq * opts.gapMs,
              EndOffsetMillis: seq * opts.gapMs + 2000,
              Sentiment: LABELS[Math.floor(random() * LABELS.length)],
            },
          },
        ],
      };
      const body = JSON.stringify([{ data: Buffer.from(JSON.stringify(record)).toString('base64') }]);
      const t0 = performance.now();
      w.sent[seq] = t0;
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/connect/contact-lens',
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${tenant.ingestKey}`,
          },
        },
        (res) => {
          statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
          res.resume();
          res.on('end', () => ackMs.push(performance.now() - t0));
        },
      );
      req.on('error', () => (statuses.network = (statuses.network ?? 0) + 1));
      req.end(body);
    };

    const probe = probeProcess();
    const started = performance.now();
    const stopAt = started + opts.durationS * 1000;
    const timers: NodeJS.Timeout[] = [];
    let posted = 0;
    for (const w of watched) {
      let seq = 0;
      const next = (delay: number) => {
        timers.push(
          setTimeout(() => {
            if (performance.now() >= stopAt) return;
            post(w, ++seq);
            posted++;
            next(opts.gapMs * (0.5 + random()));
          }, delay),
        );
      };
      next(random() * opts.gapMs); // contacts are out of step, as real calls are
    }
    await sleep(opts.durationS * 1000);
    const expected = () => watched.reduce((a, w) => a + w.sent.filter((t) => t !== undefined).length, 0);
    const drainUntil = performance.now() + 10_000;
    while (latencies.length < expected() && performance.now() < drainUntil) await sleep(100);
    const proc = probe.stop();
    for (const t of timers) clearTimeout(t);
    const seconds = (performance.now() - started) / 1000;
    const dist = distribution(latencies.map((v) => round(v, 1)));
    const result = {
      benchmark: 'live',
      at: new Date().toISOString(),
      environment: {
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        loadAverage1m: round(os.loadavg()[0]!, 2),
        database: ctx.db.kind === 'pg' ? 'postgresql' : 'pglite (in memory)',
        inProcess:
          'API, Redis pub/sub subscriber, load generator and the 500 stream clients share one Node process',
      },
      scenario: {
        streams: opts.streams,
        durationS: opts.durationS,
        meanGapPerContactMs: opts.gapMs,
        offeredSegmentsPerS: round(opts.streams / (opts.gapMs / 1000), 1),
        posted,
        achievedSegmentsPerS: round(posted / seconds, 1),
        recordsPerRequest: 1,
      },
      ingestAnswers: statuses,
      ingestAckMs: distribution(ackMs.map((v) => round(v, 1))),
      segmentToClientMs: dist,
      definition:
        'start of the ingest POST -> `event: sentiment` carrying that segment received by the stream client',
      lost: expected() - latencies.length,
      targets: LIVE_TARGETS,
      targetsMet: {
        p95Ms: dist.p95 !== null && dist.p95 <= LIVE_TARGETS.p95Ms && expected() === latencies.length,
      },
      process: proc,
    };
    return result;
  } finally {
    for (const w of watched) w.req.destroy();
    agent.destroy();
    // Stopped first, so no refresh still in flight writes a key after the clean-up; a private
    // redis-server goes away with its keys.
    const redis = running?.redis;
    await running?.stop().catch(() => undefined);
    if (redis && !redis.child) await deleteKeysWithPrefix(redis.url, prefix).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
