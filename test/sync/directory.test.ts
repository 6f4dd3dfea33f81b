import crypto from 'node:crypto';
import pino from 'pino';
import { UserDirectory } from '../../server/contacts/directory';
import { SecretBox } from '../../server/store/crypto';
import { TenantRepo } from '../../server/tenants/repo';
import { createZendeskClient } from '../../server/zendesk/client';
import { startZendeskDouble, type ZendeskDouble } from '../../doubles/zendesk-double';
import { testDb, type TestDb } from '../helpers/env';

describe('caller directory', () => {
  let t: TestDb;
  let zendesk: ZendeskDouble;

  beforeEach(async () => {
    t = await testDb();
    zendesk = await startZendeskDouble();
    await new TenantRepo(t.db, new SecretBox(crypto.randomBytes(32))).create(
      { subdomain: 'acme', credentials: { kind: 'oauth', token: 'x' } },
      false,
    );
  });
  afterEach(async () => {
    await zendesk.close();
    await t.drop();
  });

  const zd = () =>
    createZendeskClient({
      tenantId: 'acme',
      baseUrl: zendesk.url,
      credentials: { kind: 'api_token', email: 'ops@acme.test', token: 'zd-token' },
      logger: pino({ level: 'silent' }),
    });
  const kinds = () => zendesk.requests.map((r) => r.kind).sort();

  test('when three first calls from one new number are resolved at once, then one user is searched for and created', async () => {
    const directory = new UserDirectory(t.db, crypto.randomBytes(32));
    const api = zd();
    const ids = await Promise.all([1, 2, 3].map(() => directory.caller(api, 'acme', '+14155550123', 'live')));
    expect(new Set(ids).size).toBe(1);
    expect(kinds()).toEqual(['user_create', 'user_search']);
    expect([...zendesk.users.values()].filter((u) => u.phone === '+14155550123')).toHaveLength(1);
    // Known from then on: no request, in this process or (from Postgres) in another.
    await directory.caller(api, 'acme', '+14155550123', 'live');
    await new UserDirectory(t.db, crypto.randomBytes(32)).caller(api, 'acme', '+14155550124', 'live');
    expect(kinds()).toEqual(['user_create', 'user_create', 'user_search', 'user_search']);
  });

  test('when the look-up fails, then the next call tries again instead of sharing the failure', async () => {
    const directory = new UserDirectory(t.db, crypto.randomBytes(32));
    const api = zd();
    zendesk.failNext(1, 422);
    await expect(directory.caller(api, 'acme', '+14155550199', 'live')).rejects.toThrow();
    await expect(directory.caller(api, 'acme', '+14155550199', 'live')).resolves.toEqual(expect.any(Number));
  });
});
