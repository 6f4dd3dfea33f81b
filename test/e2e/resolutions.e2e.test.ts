/**
 * The nav_bar "Resolutions" view in headless Chromium over real ledger data: the whole service runs
 * in-process (test/helpers/harness), Zendesk (the double) sends signed webhooks for tickets a bot, an
 * agent with a Concierge suggestion, or an agent alone answered, the billing worker classifies them
 * into the ledger, the window check runs, and the app reads the real billing router (mounted on the
 * host emulator's service, behind the real app-token verification) through the emulated ZAF proxy.
 *
 * Screenshots: test-output/e2e/resolutions*.png; app/docs/resolutions.png is (re)written when it is
 * missing or with UPDATE_SCREENSHOTS=1.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/chromium';
import { checkDueResolutions } from '../../server/billing/finalize';
import { billingRouter } from '../../server/http/billing-routes';
import { createLogger } from '../../server/logger';
import { QUEUES } from '../../server/queues/contracts';
import { deliver, event, newTicket, settled, setUpWebhooks, type ZendeskSide } from '../billing/support';
import { startHarness as startService, type Harness as Service } from '../helpers/harness';
import { appFrame, eventually } from './support/browser';
import { buildAppAssets } from './support/build';
import { startHarness, type Harness } from './support/zaf-host';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../..');
const OUT = path.join(ROOT, 'test-output/e2e');
const DOC = path.join(ROOT, 'app/docs/resolutions.png');
const NAV = { location: 'nav_bar', guid: 'nav-1' } as const;
const HOUR = 3_600_000;
const API_USER = 1; // the Concierge API user: its public replies are the bot's

let service: Service;
let host: Harness;
let browser: Browser;
let z: ZendeskSide;
let admin: number;
const contexts: BrowserContext[] = [];

const now = new Date();
const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
/** Every solve inside the current month (the view opens on it), as long ago as the month allows. */
let seq = 0;
const hoursAgo = (h: number) =>
  new Date(Math.floor(Math.max(monthStart + ++seq * 60_000, now.getTime() - h * HOUR) / 60_000) * 60_000);
/** With the whole 150 h inside this month the figures are exact; at a month's start they compress. */
const roomy = now.getTime() - 150 * HOUR > monthStart;

interface Planned {
  id: number;
  kind: 'automated' | 'ai_assisted' | 'human';
  solvedAt: Date;
  reopenedAt?: Date;
}
const planned: Planned[] = [];

async function ticket(kind: Planned['kind'], solvedHoursAgo: number, reopenHoursAgo?: number) {
  const solvedAt = hoursAgo(solvedHoursAgo);
  const customer = service.zendesk.addUser({
    name: `Customer ${planned.length}`,
    email: `c${planned.length}@example.com`,
  });
  const t = newTicket(service, { requesterId: customer.id, at: new Date(solvedAt.getTime() - HOUR) });
  const replyAt = new Date(solvedAt.getTime() - 30 * 60_000).toISOString();
  if (kind === 'automated')
    service.zendesk.addComment(t.id, {
      authorId: API_USER,
      public: true,
      body: 'Here is your tracking link',
      createdAt: replyAt,
    });
  else
    service.zendesk.addComment(t.id, {
      authorId: admin,
      public: true,
      body: 'Your order ships today',
      createdAt: replyAt,
    });
  if (kind === 'ai_assisted')
    await service.running.ctx.billing.recordSuggestionUse(service.tenant.tenant, t.id, {
      suggestionId: `article-${t.id}`,
      action: 'inserted',
      userId: admin,
      at: new Date(solvedAt.getTime() - 40 * 60_000),
    });
  await deliver(service, z, event('solved', t.id, solvedAt));
  const p: Planned = { id: t.id, kind, solvedAt };
  if (reopenHoursAgo !== undefined) {
    p.reopenedAt = hoursAgo(reopenHoursAgo);
    await deliver(service, z, event('reopened', t.id, p.reopenedAt));
  }
  planned.push(p);
  return p;
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path.join(OUT, '..', '.gitignore'), '*\n');
  buildAppAssets();
  service = await startService({ queues: [QUEUES.billingTicket] });
  z = await setUpWebhooks(service);
  admin = service.zendesk.addUser({ name: 'Ada Admin', email: 'ada@example.com', role: 'admin' }).id;

  // Automated: four past their window, two still inside it, one reopened inside it (voided).
  for (const h of [150, 130, 100, 90]) await ticket('automated', h);
  for (const h of [40, 20]) await ticket('automated', h);
  await ticket('automated', 110, 100);
  for (const h of [120, 60]) await ticket('ai_assisted', h);
  for (const h of [140, 70, 30]) await ticket('human', h);
  for (const p of planned) await settled(service, p.id);
  const ctx = service.running.ctx;
  await checkDueResolutions(
    {
      db: ctx.db,
      ledger: ctx.billing.ledger,
      tenant: (id) => ctx.tenants.get(id),
      zendesk: (t) => ctx.zendeskFor(t),
      logger: createLogger('silent'),
    },
    service.tenant.tenant,
    new Date(),
  );

  host = await startHarness({
    routes: (serviceUrl) =>
      billingRouter({
        billing: ctx.billing,
        tenants: ctx.tenants,
        publicUrl: serviceUrl,
        zendeskFor: (t) => ctx.zendeskFor(t),
      }),
  });
  host.secureSettings.shared_secret = service.tenant.appSecret;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await service?.stop();
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});

async function open(opts: { role?: string; width?: number } = {}): Promise<{ page: Page; frame: Frame }> {
  const context = await browser.newContext({ viewport: { width: 1040, height: 1500 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(
    host.hostUrl({
      subdomain: service.tenant.tenant,
      user: { id: admin, name: 'Ada Admin', locale: 'en-US', role: opts.role ?? 'admin' },
      apps: [{ ...NAV, ...(opts.width ? { width: opts.width } : {}) }],
    }),
  );
  return { page, frame: await appFrame(page, NAV.guid, host.appOrigin, 200) };
}

const day = (d: Date) => d.toISOString().slice(0, 10);

describe('nav_bar Resolutions view in a browser', () => {
  it('when an admin opens it, then the ledger shows per day by kind, the billable and in-window counts, and a day drills down to its tickets with evidence', async () => {
    const { page, frame } = await open();
    const view = frame.getByTestId('resolutions-view');
    await frame.getByTestId('resolutions-chart').waitFor();
    expect(await frame.getByRole('tab').allTextContents()).toEqual(['Resolutions', 'Knowledge', 'Account']);

    // 7 automated solved, 1 of them voided by a reopen inside its window.
    expect(await frame.getByTestId('tile-kinds').textContent()).toContain(
      'Automated: 6 · AI-assisted: 2 · Human: 3',
    );
    expect(await frame.getByTestId('tile-rate').textContent()).toContain('54.6%'); // 6 / 11 = 0.5455
    if (roomy) {
      expect(await frame.getByTestId('tile-billable').textContent()).toMatch(/^Billable so far4/);
      expect(await frame.getByTestId('tile-in-window').textContent()).toMatch(/^Inside the window2/);
    }
    // One bar per day of the month; each solve day's bar carries its counts.
    const bars = frame.locator('[data-testid^="bar-"]');
    const lastDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
    expect(await bars.count()).toBe(lastDay);

    // Keyboard: Tab into the chart, → to the day of the AI-assisted ticket, Enter.
    const assisted = planned.find((p) => p.kind === 'ai_assisted')!;
    const target = frame.getByTestId(`bar-${day(assisted.solvedAt)}`);
    await frame.locator('[data-testid^="bar-"][tabindex="0"]').focus();
    const first = await frame.locator('[data-testid^="bar-"][tabindex="0"]').getAttribute('data-testid');
    const steps = (Date.parse(day(assisted.solvedAt)) - Date.parse(first!.slice(4))) / 86_400_000;
    for (let i = 0; i < steps; i++) await page.keyboard.press('ArrowRight');
    expect(await target.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    const drill = frame.getByTestId('drill-down');
    await drill.getByTestId('resolution-item').first().waitFor();
    const item = drill.getByTestId('resolution-item').filter({ hasText: `Ticket #${assisted.id}` });
    expect(await item.textContent()).toContain('AI-assisted');
    expect(await item.getByTestId('evidence-suggestion').textContent()).toBe(
      `article-${assisted.id} (inserted)`,
    );
    expect(await item.textContent()).toContain(`agents #${admin}`);
    const sameDay = planned.filter((p) => day(p.solvedAt) === day(assisted.solvedAt)).length;
    expect(await drill.getByTestId('resolution-item').count()).toBe(sameDay);

    // The tickets still inside their window.
    if (roomy) {
      await frame.getByRole('button', { name: 'Show these tickets' }).click();
      await eventually(
        () => drill.getByTestId('resolution-state').allTextContents(),
        (s) => s.length === 2,
      );
      expect(await drill.getByTestId('resolution-state').allTextContents()).toEqual([
        'Inside window',
        'Inside window',
      ]);
      await frame.getByTestId(`bar-${day(assisted.solvedAt)}`).click();
      await drill
        .getByTestId('resolution-item')
        .filter({ hasText: `Ticket #${assisted.id}` })
        .waitFor();
    }

    await view.evaluate(() => window.scrollTo(0, 0));
    // The iframe is cross-origin: ask the frame how tall it is, then size the iframe to it.
    const height = await frame.evaluate(() => document.documentElement.scrollHeight);
    await page.locator('#nav_bar iframe').evaluate((el, h) => {
      (el as HTMLIFrameElement).style.height = `${h}px`;
    }, height);
    const png = path.join(OUT, 'resolutions.png');
    await page.locator('#nav_bar iframe').screenshot({ path: png });
    if (!existsSync(DOC) || process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(png, DOC);

    // CSV: the month's usage report, downloaded from the iframe.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      frame.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`concierge-usage-${day(now).slice(0, 7)}.csv`);
    const csv = await (await download.createReadStream()).toArray();
    const lines = Buffer.concat(csv as Buffer[])
      .toString('utf8')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('date,automated,ai_assisted,human,billable,credited,net');
    expect(lines.at(-1)).toMatch(/^total,6,2,3,\d+,0,\d+$/);
  });

  it('when it is 320 px wide, then nothing overflows sideways and the chart and tiles still show', async () => {
    const { page, frame } = await open({ width: 320 });
    await frame.getByTestId('resolutions-chart').waitFor();
    const overflow = await frame.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await frame.getByTestId('tile-rate').isVisible()).toBe(true);
    await page.locator('#nav_bar iframe').screenshot({ path: path.join(OUT, 'resolutions-320.png') });
  });

  it('when an agent who is not an admin opens it, then the service refuses and the view says billing is for admins', async () => {
    const { frame } = await open({ role: 'agent' });
    const alert = frame.getByTestId('resolutions-error');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Billing is for Zendesk admins');
  });
});
