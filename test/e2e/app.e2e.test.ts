/**
 * The built app in headless Chromium (Debian's chromium via playwright-core), inside a page that plays
 * Zendesk's part of the ZAF protocol. Screenshots go to test-output/e2e/.
 *
 * Amazon Connect itself cannot run here: the softphone tests use a Streams double with the documented
 * API (injected before the app loads), except the approved-origin test, which runs the real
 * amazon-connect-streams bundle against a CCP that refuses to be framed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/chromium';
import { fakeConnectInitScript, type FakeConnectControl } from '../../doubles/streams-double';
import { buildAppAssets } from './support/build';
import { startHarness, TENANT, type ContactView, type Harness, type HostConfig } from './support/zaf-host';

jest.setTimeout(120_000);

const OUT = path.resolve(__dirname, '../../test-output/e2e');
const TOP = { location: 'top_bar', guid: 'top-bar-1' } as const;
const SIDEBAR = { location: 'ticket_sidebar', guid: 'sidebar-42', ticketId: 42 } as const;

let harness: Harness;
let browser: Browser;
const contexts: BrowserContext[] = [];

const contact = (over: Partial<ContactView> = {}): ContactView => ({
  contactId: 'c-42',
  initialContactId: 'c-42',
  channel: 'VOICE',
  state: 'connected',
  queue: 'Billing',
  agentUsername: 'alex',
  callerMasked: '+1 ••• ••• 0199',
  startedAt: new Date(Date.now() - 95_000).toISOString(),
  connectedAt: new Date(Date.now() - 61_000).toISOString(),
  ticketId: 42,
  ...over,
});

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  // Keep screenshots out of git without touching the repository's .gitignore.
  writeFileSync(path.join(OUT, '..', '.gitignore'), '*\n');
  buildAppAssets();
  harness = await startHarness();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await harness?.close();
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});

async function newContext(options: { fakeConnect?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  contexts.push(context);
  if (options.fakeConnect) {
    // Runs in every frame before its scripts; only the top bar page gets the Streams double.
    await context.addInitScript(fakeConnectInitScript(harness.appOrigin));
  }
  return context;
}

async function openHost(context: BrowserContext, config: HostConfig): Promise<Page> {
  const page = await context.newPage();
  await page.goto(harness.hostUrl(config));
  return page;
}

async function appFrame(page: Page, guid: string): Promise<Frame> {
  await page.waitForSelector(`iframe[name="${guid}"]`);
  for (let i = 0; i < 100; i++) {
    const frame = page.frame({ name: guid });
    if (frame && frame.url().startsWith(harness.appOrigin)) return frame;
    await page.waitForTimeout(50);
  }
  throw new Error(`frame ${guid} did not load`);
}

/** Retries `read` until `accept` holds (Jest has no expect.poll). */
async function eventually<T>(
  read: () => Promise<T> | T,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

/** What the host emulator page and the Streams double expose to tests. */
interface TestHooks {
  __zafHost: {
    subscriptions: { guid: string; event: string }[];
    invocations: { location: string; guid: string; params: Record<string, unknown> }[];
    emit(guid: string, event: string, data: unknown): void;
  };
  __fakeConnect: FakeConnectControl;
}

const hasEntry = (entry: unknown[]) => (log: unknown[][]) =>
  log.some((e) => JSON.stringify(e) === JSON.stringify(entry));
const fakeLog = (frame: Frame) =>
  frame.evaluate(() => (globalThis as unknown as TestHooks).__fakeConnect.log);

const shot = (page: Page, name: string) =>
  page.locator('body').screenshot({ path: path.join(OUT, `${name}.png`) });

describe('Concierge app in a browser', () => {
  it('when the service knows the call behind a ticket, then the sidebar renders its call card over a signed request and follows it live', async () => {
    harness.service.put(TENANT, contact());
    const page = await openHost(await newContext(), { apps: [SIDEBAR] });
    const sidebar = await appFrame(page, SIDEBAR.guid);

    const card = sidebar.getByTestId('call-card');
    await card.waitFor();
    expect(await card.textContent()).toContain('+1 ••• ••• 0199');
    expect(await sidebar.getByTestId('call-state').textContent()).toBe('Connected');
    expect(await sidebar.getByTestId('call-timer').textContent()).toMatch(/^1:\d\d$/);

    // The app asked Zendesk's proxy to sign with the installation secret, for this account and service.
    expect(harness.signedCalls[0]).toEqual({
      url: `${harness.serviceUrl}/v1/app/contacts/by-ticket/42`,
      claims: { iss: `https://${TENANT}.zendesk.com`, aud: harness.serviceUrl, sub: '7' },
    });

    // Live: the SSE stream (opened with a stream token from a signed POST) carries the hang-up.
    await eventually(
      () => harness.service.streams('c-42'),
      (n) => n === 1,
    );
    harness.service.push(contact({ state: 'ended', endedAt: new Date().toISOString() }));
    await sidebar.getByText('Ended').waitFor();
    await shot(page, 'ticket-sidebar-call-card');
  });

  it('when the installation secret is wrong, then the service refuses with 401 and the sidebar says what to fix', async () => {
    harness.service.put(TENANT, contact());
    harness.secureSettings.shared_secret = 'not-the-secret';
    try {
      const page = await openHost(await newContext(), { apps: [SIDEBAR] });
      const sidebar = await appFrame(page, SIDEBAR.guid);
      await sidebar.getByText('The Concierge service refused this app').waitFor();
    } finally {
      harness.secureSettings.shared_secret = 'e2e-app-secret-7d0c1f9a3b5e';
    }
  });

  it('when Zendesk sends click-to-dial, then it reaches the softphone, which places the call and the popover opens', async () => {
    const page = await openHost(await newContext({ fakeConnect: true }), { apps: [TOP] });
    const top = await appFrame(page, TOP.guid);
    await top.getByTestId('agent-state').waitFor();
    expect(await top.getByTestId('agent-state').textContent()).toBe('Available');
    // The app subscribed to the Talk click-to-call event.
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as TestHooks).__zafHost.subscriptions.map((s) => s.event),
      ),
    ).toContain('voice.dialout');

    await page.evaluate(
      (guid) =>
        (globalThis as unknown as TestHooks).__zafHost.emit(guid, 'voice.dialout', {
          number: '+1 (555) 010-0123',
        }),
      TOP.guid,
    );
    await top.getByTestId('softphone-call').getByText('Calling…').waitFor();
    const log = await fakeLog(top);
    expect(log).toContainEqual(['connect', '+15550100123']);
    const invocations = await page.evaluate(() => (globalThis as unknown as TestHooks).__zafHost.invocations);
    expect(invocations).toContainEqual({
      location: 'top_bar',
      guid: TOP.guid,
      params: { popover: ['show'] },
    });
    await shot(page, 'top-bar-softphone-dialing');
  });

  it('when the softphone runs in one tab, then another tab shows who holds it and takes over when that tab closes', async () => {
    const context = await newContext({ fakeConnect: true });
    const first = await openHost(context, { apps: [TOP] });
    await (await appFrame(first, TOP.guid)).getByTestId('agent-state').waitFor();
    const second = await openHost(context, { apps: [TOP] });
    const secondTop = await appFrame(second, TOP.guid);
    await secondTop.getByTestId('softphone-elsewhere').waitFor();
    expect(await secondTop.getByTestId('softphone-elsewhere').textContent()).toContain(
      "Alex Agent's softphone has been running there",
    );
    // The follower mirrors the leader's state without running Streams itself.
    expect(await secondTop.getByTestId('agent-state').textContent()).toBe('Available');
    expect(
      await secondTop.evaluate(() => (globalThis as unknown as TestHooks).__fakeConnect.log.length),
    ).toBe(0);
    await shot(second, 'top-bar-other-tab');

    await first.close();
    await secondTop.getByTestId('softphone-elsewhere').waitFor({ state: 'detached' });
    await eventually(() => fakeLog(secondTop), hasEntry(['initCCP', `${harness.connectUrl}/ccp-v2/`]));
  });

  it('when the ticket sidebar is open during a call, then its controls drive the top-bar softphone', async () => {
    harness.service.put(TENANT, contact({ contactId: 'c-77', initialContactId: 'c-77', ticketId: 77 }));
    const sidebarApp = { location: 'ticket_sidebar', guid: 'sidebar-77', ticketId: 77 } as const;
    const page = await openHost(await newContext({ fakeConnect: true }), { apps: [TOP, sidebarApp] });
    const top = await appFrame(page, TOP.guid);
    const sidebar = await appFrame(page, sidebarApp.guid);
    await top.getByTestId('agent-state').waitFor();
    await top.evaluate(() => {
      const fake = (globalThis as unknown as TestHooks).__fakeConnect;
      fake.ring('c-77', '+15550100199', 'Billing');
      fake.setContactState('c-77', 'connected');
    });
    const controls = sidebar.getByTestId('mirrored-controls');
    await controls.waitFor();
    await controls.getByRole('button', { name: 'Hold' }).click();
    await eventually(() => fakeLog(top), hasEntry(['hold', 'c-77']));
    await controls.getByRole('button', { name: 'Resume' }).waitFor();
    await shot(page, 'top-bar-and-sidebar-during-call');
  });

  it('when this origin is not approved in Amazon Connect, then the top bar says so in words, with the origin to add', async () => {
    const context = await newContext();
    const page = await openHost(context, { apps: [TOP] });
    const top = await appFrame(page, TOP.guid);
    // Real Streams: the CCP frame is refused, Streams opens its login window; the agent closes it.
    const popup = await context.waitForEvent('page', { timeout: 30_000 });
    expect(popup.url()).toContain(harness.connectUrl);
    await top.getByTestId('softphone-signin').waitFor({ timeout: 30_000 });
    await popup.close();
    const problem = top.getByTestId('problem-origin_not_approved');
    await problem.waitFor({ timeout: 40_000 });
    const text = await problem.textContent();
    expect(text).toContain('Amazon Connect refuses to open inside Zendesk');
    expect(text).toContain(harness.appOrigin);
    expect(text).toContain('Approved origins');
    await shot(page, 'top-bar-origin-not-approved');
  });

  it('when the agent works in German or Japanese, then the strings switch language', async () => {
    harness.service.put(TENANT, contact());
    const de = await openHost(await newContext({ fakeConnect: true }), {
      apps: [TOP, SIDEBAR],
      user: { id: 7, name: 'Alex Agent', locale: 'de' },
    });
    const sidebar = await appFrame(de, SIDEBAR.guid);
    await sidebar.getByTestId('call-card').waitFor();
    expect(await sidebar.getByTestId('call-state').textContent()).toBe('Verbunden');
    expect(await sidebar.getByText('Anrufer').count()).toBe(1);
    const top = await appFrame(de, TOP.guid);
    await top.getByRole('button', { name: 'Anrufen' }).waitFor();
    await shot(de, 'locale-de');

    const ja = await openHost(await newContext(), {
      apps: [SIDEBAR],
      user: { id: 7, name: 'Alex Agent', locale: 'ja' },
    });
    const jaSidebar = await appFrame(ja, SIDEBAR.guid);
    await jaSidebar.getByTestId('call-card').waitFor();
    expect(await jaSidebar.getByTestId('call-state').textContent()).toBe('接続中');
    await shot(ja, 'locale-ja');
  });

  it('when the top bar is 320 px wide, then it still shows every control without horizontal scrolling', async () => {
    const page = await openHost(await newContext({ fakeConnect: true }), { apps: [TOP] });
    await page.addStyleTag({ content: '#top_bar iframe { width: 320px !important; }' });
    const top = await appFrame(page, TOP.guid);
    await top.getByTestId('agent-state').waitFor();
    const overflow = await top.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await top.getByRole('button', { name: 'Call' }).waitFor();
  });
});
