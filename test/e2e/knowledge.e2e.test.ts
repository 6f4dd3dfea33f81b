/**
 * The nav_bar Knowledge view in headless Chromium against the real service (knowledge worker, review
 * queue, /v1/app/knowledge/*) and the Zendesk double: a draft from analysed tickets is edited and
 * approved in the browser, and the Help Center API receives the edited article. The page that plays
 * Zendesk signs the app's calls like Zendesk's proxy; its user is a Zendesk admin in the double.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../scripts/chromium';
import { QUEUES } from '../../server/queues/contracts';
import { startHarness as startService, type Harness as Service } from '../helpers/harness';
import { seedTickets } from '../knowledge/support/loop';
import { appFrame } from './support/browser';
import { buildAppAssets } from './support/build';
import { startForwarder, startHarness as startHost, type Harness as Host } from './support/zaf-host';

jest.setTimeout(240_000);

const OUT = path.resolve(__dirname, '../../test-output/e2e');
const DOCS = path.resolve(__dirname, '../../app/docs');
const USER_ID = 7;

let forwarder: Awaited<ReturnType<typeof startForwarder>>;
let service: Service;
let host: Host;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path.join(OUT, '..', '.gitignore'), '*\n');
  buildAppAssets();
  // The service's public URL must be known before it starts (JWT audience): a port that forwards to it.
  forwarder = await startForwarder();
  service = await startService({
    queues: [QUEUES.knowledgeGaps],
    env: { CONCIERGE_PUBLIC_URL: forwarder.url },
  });
  forwarder.target(service.url);
  host = await startHost({ serviceUrl: forwarder.url });
  host.secureSettings.shared_secret = service.tenant.appSecret;
  service.zendesk.users.set(USER_ID, {
    id: USER_ID,
    name: 'Alex Admin',
    role: 'admin',
    email: 'alex@example.com',
  });
  service.zendesk.sections.set(4, { id: 4, name: 'Account & login', locale: 'en-us' });
  seedTickets(service.zendesk, 'recover_password', 0, 30);
  seedTickets(service.zendesk, 'delete_account', 0, 30);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await service?.stop();
  await forwarder?.close();
});

test('when a knowledge manager edits and approves a draft in the nav_bar, then the Help Center API receives the edited article', async () => {
  // An analysis run (the worker: export, gaps, drafts), as the schedule or "Analyze now" starts it.
  const { ctx } = service.running;
  const tenant = service.tenant.tenant;
  // The schedule's first run may have started before the tickets were seeded: run until drafts exist.
  for (let i = 0; i < 2 && (await ctx.review.list(tenant, 'pending')).length === 0; i++) {
    const { run } = await ctx.knowledge.startRun(tenant, randomUUID(), 'manual');
    await ctx.queues.enqueueKnowledgeRun(tenant, run.id);
    await service.until(async () => (await ctx.knowledge.run(tenant, run.id))?.stage === 'done', 120_000);
  }
  const pending = await ctx.review.list(service.tenant.tenant, 'pending');
  expect(pending.length).toBeGreaterThanOrEqual(1);

  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  await page.goto(
    host.hostUrl({
      subdomain: tenant,
      user: { id: USER_ID, name: 'Alex Admin', locale: 'en-US' },
      apps: [{ location: 'nav_bar', guid: 'nav-1', width: 1160 }],
    }),
  );
  const frame = await appFrame(page, 'nav-1', host.appOrigin);
  await frame.getByTestId('nav-tab-knowledge').click();
  await frame
    .getByTestId('knowledge-gaps')
    .waitFor({ timeout: 30_000 })
    .catch(async (err: Error) => {
      await page.screenshot({ path: path.join(OUT, 'knowledge-failed.png') });
      throw new Error(`${err.message}\nframe text: ${await frame.locator('body').innerText()}`);
    });
  const first = frame.getByTestId('knowledge-draft').first();
  const title = (await first.getByRole('button').textContent())!.trim();
  await first.getByRole('button').click();

  await frame.getByTestId('draft-editor').waitFor();
  await frame.getByTestId('draft-title').fill('Reset a forgotten password');
  await frame
    .getByTestId('draft-body')
    .fill(
      '<p>On the sign-in page, choose <strong>Forgot password</strong>.</p>\n<p>The reset link arrives within five minutes.</p>',
    );
  await frame.getByTestId('draft-section').selectOption('4');
  await frame.getByTestId('draft-labels').fill('password, login');
  mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: path.join(OUT, 'knowledge-editor.png') });
  copyFileSync(path.join(OUT, 'knowledge-editor.png'), path.join(DOCS, 'knowledge.png'));

  await frame.getByTestId('draft-approve').click();
  await frame.getByTestId('draft-published').waitFor({ timeout: 30_000 });

  const creates = service.zendesk.requests.filter((r) => r.kind === 'hc_article_create');
  expect(creates).toHaveLength(1);
  expect(creates[0]!.path).toBe('/api/v2/help_center/sections/4/articles');
  const article = [...service.zendesk.articles.values()].find(
    (a) => a.title === 'Reset a forgotten password',
  )!;
  expect(article).toBeDefined();
  expect(article.body).toBe(
    '<p>On the sign-in page, choose <strong>Forgot password</strong>.</p>\n<p>The reset link arrives within five minutes.</p>',
  );
  expect(article.label_names).toEqual(expect.arrayContaining(['password', 'login']));
  const stored = (await ctx.review.list(service.tenant.tenant)).find(
    (d) => d.publishedArticleId === article.id,
  )!;
  expect(stored).toMatchObject({ state: 'published', approvedBy: USER_ID, edited: true });
  expect(stored.title).not.toBe(title);
  await page.screenshot({ path: path.join(OUT, 'knowledge-published.png') });

  // Back in the list, the draft shows as published without a reload.
  await frame.getByRole('button', { name: 'Back to the list' }).click();
  await frame.locator(`[data-testid="knowledge-draft"] [data-state="published"]`).first().waitFor();
  await context.close();
});
