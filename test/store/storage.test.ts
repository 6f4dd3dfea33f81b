import { SecretBox } from '../../server/store/crypto';
import { migrate } from '../../server/store/migrate';
import { TenantRepo } from '../../server/tenants/repo';
import { Inbox } from '../../server/contacts/inbox';
import { ContactRepo, LeaseBusyError } from '../../server/contacts/repo';
import type { ContactEvent } from '../../server/connect/types';
import { backends, testDb, type TestDb } from '../helpers/env';
import crypto from 'node:crypto';

const ARN = 'arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555';
const event = (over: Partial<ContactEvent> = {}): ContactEvent => ({
  eventId: crypto.randomUUID(),
  time: '2026-11-23T10:00:00Z',
  // Loud by default (it asks something of Zendesk): quiet ones are stored as handled, see the triage test.
  eventType: 'CONNECTED_TO_AGENT',
  contactId: 'c-1',
  initialContactId: 'c-1',
  instanceArn: ARN,
  channel: 'VOICE',
  ...over,
});

describe.each(backends())('storage on %s', (kind) => {
  let t: TestDb;
  let tenants: TenantRepo;
  const box = new SecretBox(crypto.randomBytes(32));

  beforeEach(async () => {
    t = await testDb(kind);
    tenants = new TenantRepo(t.db, box);
  });
  afterEach(() => t.drop());

  test('when prepared statements run concurrently on the pool and in a transaction, then each call gets its own values', async () => {
    const sum = 'SELECT $1::int + $2::int AS n';
    const label = 'SELECT $1::text || $2::text AS s';
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2
          ? t.db.query<{ n: number }>(sum, [i, 1], { prepared: true }).then((r) => r[0]!.n)
          : t.db.query<{ s: string }>(label, [`a${i}`, 'b'], { prepared: true }).then((r) => r[0]!.s),
      ),
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => (i % 2 ? i + 1 : `a${i}b`)));
    const inTx = await t.db.tx(async (q) => [
      (await q.query<{ n: number }>(sum, [2, 3], { prepared: true }))[0]!.n,
      (await q.query<{ n: number }>(sum, [4, 5], { prepared: true }))[0]!.n,
    ]);
    expect(inTx).toEqual([5, 9]);
  });

  test('when migrations run twice, then the second run applies nothing', async () => {
    expect(await migrate(t.db)).toEqual([]);
    const rows = await t.db.query<{ version: string }>('SELECT version FROM schema_migrations');
    expect(rows.map((r) => r.version)).toContain('001_init');
  });

  test('when a tenant is created, then secrets are stored only hashed or encrypted and the ingest key finds it', async () => {
    const created = await tenants.create(
      {
        subdomain: 'acme',
        credentials: { kind: 'api_token', email: 'ops@acme.test', token: 'zd-secret-token' },
      },
      false,
    );
    const raw = JSON.stringify(await t.db.query('SELECT * FROM tenants'));
    for (const secret of [
      created.ingestKey,
      created.webhookSecret,
      created.appSecret,
      'zd-secret-token',
      'ops@acme.test',
    ]) {
      expect(raw).not.toContain(secret);
    }
    expect((await tenants.byIngestKey(created.ingestKey))?.id).toBe('acme');
    expect(await tenants.byIngestKey(`${created.ingestKey}x`)).toBeNull();
    expect(await tenants.credentials('acme')).toEqual({
      kind: 'api_token',
      email: 'ops@acme.test',
      token: 'zd-secret-token',
    });
    expect(await tenants.appSecret('acme')).toBe(created.appSecret);
    expect((await tenants.get('acme'))?.zendeskUrl).toBe('https://acme.zendesk.com');
  });

  test('when a tenant with the same subdomain is created again, then it is refused', async () => {
    const input = { subdomain: 'acme', credentials: { kind: 'oauth' as const, token: 'x' } };
    await tenants.create(input, false);
    await expect(tenants.create(input, false)).rejects.toThrow(/already exists/);
  });

  test('when a non-Zendesk URL is given without the local override, then it is refused', async () => {
    const input = {
      subdomain: 'acme',
      zendeskUrl: 'http://10.0.0.5',
      credentials: { kind: 'oauth' as const, token: 'x' },
    };
    await expect(tenants.create(input, false)).rejects.toThrow(/CONCIERGE_ALLOW_LOCAL_ZENDESK/);
    await tenants.create(input, true);
    expect((await tenants.get('acme'))?.zendeskUrl).toBe('http://10.0.0.5');
  });

  test('when the same events are stored again, then only new ones are returned and nothing is stored twice', async () => {
    await tenants.create({ subdomain: 'acme', credentials: { kind: 'oauth', token: 'x' } }, false);
    const inbox = new Inbox(t.db);
    const a = event();
    const b = event({ eventType: 'DISCONNECTED' });
    expect((await inbox.store('acme', [a, a])).map((e) => e.eventId)).toEqual([a.eventId]);
    expect((await inbox.store('acme', [a, b])).map((e) => e.eventId)).toEqual([b.eventId]);
    const rows = await inbox.forContact('acme', 'c-1');
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.status === 'pending')).toBe(true);
    expect(await inbox.knownContactIds('acme', ['c-1', 'c-2'])).toEqual(new Set(['c-1']));
  });

  test('when events are triaged, then quiet ones of a conversation with nothing loud yet are stored as handled, and the rest pending', async () => {
    await tenants.create({ subdomain: 'acme', credentials: { kind: 'oauth', token: 'x' } }, false);
    const inbox = new Inbox(t.db);
    const initiated = event({ eventType: 'INITIATED' });
    const queued = event({ eventType: 'QUEUED' });
    const connected = event({ eventType: 'CONNECTED_TO_AGENT' });
    const late = event({ eventType: 'CONTACT_DATA_UPDATED' });
    const other = event({ eventType: 'INITIATED', contactId: 'c-2', initialContactId: 'c-2' });
    // A quiet event and the conversation's first loud one in one request: the quiet one needs no job.
    const first = await inbox.storeAndTriage('acme', [initiated, queued, connected]);
    expect(first.fresh.map((e) => e.eventId)).toEqual([initiated, queued, connected].map((e) => e.eventId));
    expect(first.quiet).toEqual(new Set([initiated.eventId, queued.eventId]));
    // After a loud event, a quiet one of the same conversation is owed a job; another conversation's is not.
    const second = await inbox.storeAndTriage('acme', [late, other]);
    expect(second.quiet).toEqual(new Set([other.eventId]));
    const status = Object.fromEntries(
      [...(await inbox.forContact('acme', 'c-1')), ...(await inbox.forContact('acme', 'c-2'))].map((e) => [
        e.eventId,
        e.status,
      ]),
    );
    expect(status).toEqual({
      [initiated.eventId]: 'done',
      [queued.eventId]: 'done',
      [connected.eventId]: 'pending',
      [late.eventId]: 'pending',
      [other.eventId]: 'done',
    });
    // A repeat is neither fresh nor quiet.
    expect(await inbox.storeAndTriage('acme', [initiated])).toEqual({ fresh: [], quiet: new Set() });
  });

  test('when two workers lease one conversation, then the second is refused until the first releases', async () => {
    await tenants.create({ subdomain: 'acme', credentials: { kind: 'oauth', token: 'x' } }, false);
    const contacts = new ContactRepo(t.db);
    await contacts.lease('acme', 'c-1', 'VOICE', 'w1', 30_000);
    await expect(contacts.lease('acme', 'c-1', 'VOICE', 'w2', 30_000)).rejects.toBeInstanceOf(LeaseBusyError);
    await contacts.release('acme', 'c-1', 'w1');
    await expect(contacts.lease('acme', 'c-1', 'VOICE', 'w2', 30_000)).resolves.toMatchObject({
      initialContactId: 'c-1',
    });
  });

  test('when a lease expires (crashed worker), then another worker takes over', async () => {
    await tenants.create({ subdomain: 'acme', credentials: { kind: 'oauth', token: 'x' } }, false);
    const contacts = new ContactRepo(t.db);
    await contacts.lease('acme', 'c-1', 'VOICE', 'dead', 1);
    await new Promise((r) => setTimeout(r, 20));
    await expect(contacts.lease('acme', 'c-1', 'VOICE', 'alive', 30_000)).resolves.toBeTruthy();
  });

  test('when a transfer leg is stored, then its contact id maps to the conversation in the same statement', async () => {
    await tenants.create({ subdomain: 'acme', credentials: { kind: 'oauth', token: 'x' } }, false);
    const inbox = new Inbox(t.db);
    const leg = event({ contactId: 'c-2', initialContactId: 'c-1', eventType: 'CONNECTED_TO_AGENT' });
    expect(await inbox.store('acme', [leg, event(), leg])).toHaveLength(2);
    expect(await inbox.knownContactIds('acme', ['c-1', 'c-2', 'c-3'])).toEqual(new Set(['c-1', 'c-2']));
    const contacts = new ContactRepo(t.db);
    expect((await contacts.acquire('acme', 'c-1', 'w', 30_000)).kind).toBe('leased');
    expect((await contacts.byContactId('acme', 'c-2'))?.initialContactId).toBe('c-1');
  });

  test('when a worker acquires a conversation, then it gets the lease and every event in one answer; nothing pending is idle', async () => {
    await tenants.create({ subdomain: 'acme', credentials: { kind: 'oauth', token: 'x' } }, false);
    const inbox = new Inbox(t.db);
    const contacts = new ContactRepo(t.db);
    expect(await contacts.acquire('acme', 'c-1', 'w1', 30_000)).toEqual({ kind: 'idle' });
    expect(await contacts.get('acme', 'c-1')).toBeNull(); // an idle look creates nothing
    const first = event({ time: '2026-11-23T10:00:05Z', eventType: 'QUEUED', channel: 'CHAT' });
    const second = event({ time: '2026-11-23T10:00:00Z', channel: 'CHAT' });
    await inbox.store('acme', [first, second]);
    const got = await contacts.acquire('acme', 'c-1', 'w1', 30_000);
    if (got.kind !== 'leased') throw new Error(`expected the lease, got ${got.kind}`);
    expect(got.record).toMatchObject({
      initialContactId: 'c-1',
      channel: 'CHAT',
      ticketId: null,
      state: 'initiated',
    });
    expect(got.events.map((e) => e.eventId)).toEqual([second.eventId, first.eventId]); // by event time
    expect(got.events[0]).toMatchObject({
      status: 'pending',
      eventTime: '2026-11-23T10:00:00.000Z',
      channel: 'CHAT',
    });
    expect(got.events[0]!.detail.eventId).toBe(second.eventId);
    // The holder may take it again (same owner); a lease expired is free for anyone.
    expect((await contacts.acquire('acme', 'c-1', 'w1', 1)).kind).toBe('leased');
    await new Promise((r) => setTimeout(r, 20));
    expect((await contacts.acquire('acme', 'c-1', 'w2', 30_000)).kind).toBe('leased');
  });

  test('when a job finds the conversation leased, then the holder learns it at finish and nothing it handled stays pending', async () => {
    await tenants.create({ subdomain: 'acme', credentials: { kind: 'oauth', token: 'x' } }, false);
    const inbox = new Inbox(t.db);
    const contacts = new ContactRepo(t.db);
    const a = event();
    await inbox.store('acme', [a]);
    expect((await contacts.acquire('acme', 'c-1', 'w1', 30_000)).kind).toBe('leased');
    const b = event({ eventType: 'QUEUED' });
    await inbox.store('acme', [b]);
    expect(await contacts.acquire('acme', 'c-1', 'w2', 30_000)).toEqual({ kind: 'busy' });
    // w1 ends its round with only the event it read: the patch, done and release in one statement.
    expect(await contacts.finish('acme', 'c-1', 'w1', { state: 'queued', ticketId: 7 }, [a.eventId])).toEqual(
      {
        rerun: true,
      },
    );
    expect((await inbox.get('acme', a.eventId))?.status).toBe('done');
    expect((await inbox.get('acme', b.eventId))?.status).toBe('pending');
    expect(await contacts.get('acme', 'c-1')).toMatchObject({ state: 'queued', ticketId: 7 });
    // Released: w1's next round gets b, and finishing it without anyone waiting asks for no other round.
    const again = await contacts.acquire('acme', 'c-1', 'w1', 30_000);
    if (again.kind !== 'leased') throw new Error(`expected the lease, got ${again.kind}`);
    expect(again.events.filter((e) => e.status === 'pending').map((e) => e.eventId)).toEqual([b.eventId]);
    expect(await contacts.finish('acme', 'c-1', 'w1', {}, [b.eventId])).toEqual({ rerun: false });
    expect(await contacts.acquire('acme', 'c-1', 'w2', 30_000)).toEqual({ kind: 'idle' });
  });

  test('when a worker whose lease was taken over finishes, then its patch is written but the new lease is kept', async () => {
    await tenants.create({ subdomain: 'acme', credentials: { kind: 'oauth', token: 'x' } }, false);
    const inbox = new Inbox(t.db);
    const contacts = new ContactRepo(t.db);
    await inbox.store('acme', [event()]);
    await contacts.acquire('acme', 'c-1', 'slow', 1);
    await new Promise((r) => setTimeout(r, 20));
    expect((await contacts.acquire('acme', 'c-1', 'fresh', 30_000)).kind).toBe('leased');
    await contacts.finish('acme', 'c-1', 'slow', { queueName: 'Sales' }, []);
    expect(await contacts.acquire('acme', 'c-1', 'third', 30_000)).toEqual({ kind: 'busy' });
    expect((await contacts.get('acme', 'c-1'))?.queueName).toBe('Sales');
  });

  test('when finalized legs are added twice, then each leg is kept once', async () => {
    await tenants.create({ subdomain: 'acme', credentials: { kind: 'oauth', token: 'x' } }, false);
    const contacts = new ContactRepo(t.db);
    await contacts.lease('acme', 'c-1', 'VOICE', 'w', 1000);
    await contacts.patch('acme', 'c-1', { addFinalizedLegs: ['c-1'], ticketId: 42 });
    await contacts.patch('acme', 'c-1', { addFinalizedLegs: ['c-1', 'c-2'] });
    const rec = await contacts.get('acme', 'c-1');
    expect(rec?.finalizedLegs.sort()).toEqual(['c-1', 'c-2']);
    expect((await contacts.byTicket('acme', 42))?.initialContactId).toBe('c-1');
  });
});
