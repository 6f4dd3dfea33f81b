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
  eventType: 'INITIATED',
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
