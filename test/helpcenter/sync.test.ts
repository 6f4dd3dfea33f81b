import pino from 'pino';
import { SecretBox } from '../../server/store/crypto';
import { TenantRepo } from '../../server/tenants/repo';
import { HelpCenterRepo } from '../../server/helpcenter/repo';
import { syncHelpCenter } from '../../server/helpcenter/sync';
import { createZendeskClient } from '../../server/zendesk/client';
import { startZendeskDouble, type ZendeskDouble } from '../../doubles/zendesk-double';
import { testDb, type TestDb } from '../helpers/env';
import crypto from 'node:crypto';

const logger = pino({ level: 'silent' });

describe('Help Center index kept fresh from the incremental export', () => {
  let t: TestDb;
  let zd: ZendeskDouble;
  let repo: HelpCenterRepo;
  beforeEach(async () => {
    t = await testDb();
    zd = await startZendeskDouble();
    await new TenantRepo(t.db, new SecretBox(crypto.randomBytes(32))).create(
      { subdomain: 'acme', zendeskUrl: zd.url, credentials: { kind: 'oauth', token: 'x' } },
      true,
    );
    repo = new HelpCenterRepo(t.db);
  });
  afterEach(async () => {
    await zd.close();
    await t.drop();
  });
  const client = () =>
    createZendeskClient({
      tenantId: 'acme',
      baseUrl: zd.url,
      credentials: { kind: 'oauth', token: 'x' },
      logger,
    });
  const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();

  test('when articles are added, changed and archived, then the stored set follows and the cursor only moves forward', async () => {
    zd.putArticle({ id: 1, title: 'Reset your password', body: '<p>Use the link</p>', updated_at: ago(300) });
    zd.putArticle({ id: 2, title: 'Refunds', body: '<p>Within 30 days</p>', updated_at: ago(200) });
    zd.putArticle({ id: 3, title: 'Draft', body: '<p>wip</p>', draft: true, updated_at: ago(100) });
    const first = await syncHelpCenter(repo, client(), 'acme', logger);
    expect(first).toMatchObject({ changed: 3, fullCheck: true });
    expect((await repo.published('acme')).map((a) => a.title)).toEqual(['Reset your password', 'Refunds']);
    const cursor1 = (await repo.state('acme')).cursorTime;
    expect(cursor1).toBeGreaterThan(0);

    zd.putArticle({
      id: 2,
      title: 'Refunds and returns',
      body: '<p>Within 60 days</p>',
      updated_at: new Date(Date.now() + 1000).toISOString(),
    });
    zd.articles.delete(1); // archived
    const second = await syncHelpCenter(repo, client(), 'acme', logger, { fullCheckEveryMs: 0 });
    expect(second.removed).toBe(1);
    // The export is inclusive at its start time, so the last article of the previous run may come again.
    expect(second.changed).toBeGreaterThanOrEqual(1);
    const now = await repo.published('acme');
    expect(now.map((a) => [a.articleId, a.title, a.bodyHtml])).toEqual([
      [2, 'Refunds and returns', '<p>Within 60 days</p>'],
    ]);
    expect((await repo.state('acme')).cursorTime).toBeGreaterThanOrEqual(cursor1);
  });

  test('when more than one page changed, then every page is read and an older copy never overwrites a newer one', async () => {
    for (let i = 1; i <= 2300; i++)
      zd.putArticle({ id: i, title: `Article ${i}`, body: `<p>${i}</p>`, updated_at: ago(5000 - i) });
    const r = await syncHelpCenter(repo, client(), 'acme', logger);
    expect(r.pages).toBe(3);
    expect((await repo.published('acme')).length).toBe(2300);
    await repo.savePage(
      'acme',
      [{ id: 5, locale: 'en-us', title: 'stale', body: '', updated_at: ago(999_999) }],
      0,
    );
    expect((await repo.published('acme')).find((a) => a.articleId === 5)?.title).toBe('Article 5');
  });

  test('when the version is read before and after a change, then it differs', async () => {
    const v0 = await repo.version('acme');
    zd.putArticle({ id: 9, title: 'New', body: '<p>x</p>' });
    await syncHelpCenter(repo, client(), 'acme', logger);
    expect(await repo.version('acme')).not.toBe(v0);
  });
});
