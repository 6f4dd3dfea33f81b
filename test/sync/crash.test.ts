import { spawn, type ChildProcess } from 'node:child_process';
import crypto, { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { openDb, type Db } from '../../server/store/db';
import { migrate } from '../../server/store/migrate';
import { SecretBox } from '../../server/store/crypto';
import { TenantRepo } from '../../server/tenants/repo';
import { Inbox } from '../../server/contacts/inbox';
import { Queues } from '../../server/queues/contracts';
import { parseContactEvents } from '../../server/connect/events';
import { startZendeskDouble, type ZendeskDouble } from '../../doubles/zendesk-double';
import { startConnectDouble, type ConnectDouble } from '../../doubles/connect-double';
import { scriptCall } from '../helpers/calls';
import { dropPrefix, queuePrefix, redisUrl, tmpDir } from '../helpers/env';

const BIN = path.resolve(__dirname, '../../bin/concierge');
const pgUrl = process.env.TEST_DATABASE_URL;

// Two worker processes must share one database, which PGlite (one process per folder) cannot do:
// this runs where PostgreSQL is configured (CI sets TEST_DATABASE_URL).
(pgUrl ? describe : describe.skip)('a worker process killed in the middle of a job', () => {
  let db: Db;
  let zd: ZendeskDouble;
  let connect: ConnectDouble;
  const schema = `k_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const prefix = queuePrefix();
  const key = crypto.randomBytes(32);
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await openDb({ databaseUrl: pgUrl, dataDir: tmpDir(), schema });
    await migrate(db);
    zd = await startZendeskDouble();
    connect = await startConnectDouble();
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await db.close();
    await zd.close();
    await connect.close();
    await dropPrefix(prefix);
  });

  const worker = () => {
    const url = new URL(pgUrl!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const child = spawn(process.execPath, [BIN, 'work', '--queues', 'contact-sync'], {
      cwd: tmpDir(),
      stdio: 'ignore',
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: url.toString(),
        REDIS_URL: redisUrl(),
        CONCIERGE_QUEUE_PREFIX: prefix,
        CONCIERGE_ENCRYPTION_KEY: key.toString('base64'),
        CONCIERGE_ALLOW_LOCAL_ZENDESK: '1',
        CONCIERGE_JOB_LOCK_MS: '2000',
        CONCIERGE_SWEEP_INTERVAL_MS: '1000',
        CONCIERGE_SWEEP_AFTER_MS: '2000',
        AWS_ENDPOINT_URL_CONNECT: connect.url,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        LOG_LEVEL: 'silent',
      },
    });
    children.push(child);
    return child;
  };

  test('when the worker dies after Zendesk received the create, then another worker finishes with exactly one ticket', async () => {
    const tenants = new TenantRepo(db, new SecretBox(key));
    const tenant = await tenants.create(
      {
        subdomain: `k${randomUUID().slice(0, 8)}`,
        zendeskUrl: zd.url,
        credentials: { kind: 'oauth', token: 'zd' },
        connectInstanceArn: connect.instanceArn,
      },
      true,
    );
    const call = scriptCall(connect, 'abandoned', '+14155550401');
    // Zendesk is slow to answer the create: the worker is killed while it waits.
    zd.setLatency((kind) => (kind === 'voice_ticket_create' ? 1500 : 0));

    const parsed = parseContactEvents(call.events);
    if (!parsed.ok) throw new Error('bad script');
    const fresh = await new Inbox(db).store(tenant.tenant, parsed.events);
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    const queues = new Queues(redis, prefix);
    await queues.enqueueContactSync(
      fresh.map((e) => ({
        tenantId: tenant.tenant,
        eventId: e.eventId,
        initialContactId: e.initialContactId,
      })),
      () => false,
    );

    const first = worker();
    const deadline = Date.now() + 60_000;
    while (!zd.requests.some((r) => r.kind === 'voice_ticket_create')) {
      if (Date.now() > deadline) throw new Error('the create never reached Zendesk');
      await new Promise((r) => setTimeout(r, 20));
    }
    first.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1700)); // Zendesk finishes creating the ticket nobody hears about
    expect([...zd.tickets.values()].filter((t) => t.external_id === call.initialContactId)).toHaveLength(1);
    zd.setLatency(0);

    worker();
    const done = async () =>
      (
        await db.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM contact_events WHERE status = 'pending'`,
        )
      )[0]!.n === '0';
    while (!(await done())) {
      if (Date.now() > deadline + 30_000) throw new Error('the second worker did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
    await queues.close();
    redis.disconnect();

    const tickets = [...zd.tickets.values()].filter((t) => t.external_id === call.initialContactId);
    expect(tickets).toHaveLength(1);
    const row = (
      await db.query<{ ticket_id: string }>(`SELECT ticket_id FROM contacts WHERE initial_contact_id = $1`, [
        call.initialContactId,
      ])
    )[0];
    expect(Number(row?.ticket_id)).toBe(tickets[0]!.id);
  }, 120_000);
});
