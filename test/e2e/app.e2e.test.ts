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
import { appFrame as frameOf, eventually } from './support/browser';
import { buildAppAssets } from './support/build';
import {
  startForwarder,
  startHarness,
  TENANT,
  type ContactView,
  type Harness,
  type HostConfig,
} from './support/zaf-host';
import { syncHelpCenter } from '../../server/helpcenter/sync';
import { scriptCall } from '../helpers/calls';
import { startHarness as startService, type Harness as ServiceHarness } from '../helpers/harness';

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

async function openHost(context: BrowserContext, config: HostConfig, host: Harness = harness): Promise<Page> {
  const page = await context.newPage();
  await page.goto(host.hostUrl(config));
  return page;
}

const appFrame = (page: Page, guid: string, host: Harness = harness): Promise<Frame> =>
  frameOf(page, guid, host.appOrigin);

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

/**
 * The whole path with the real service: a live call, Contact Lens segments pushed to the ingest
 * endpoint, the sidebar's sentiment and suggestion, and Insert reaching Zendesk's editor and the
 * service's record of it. The README's sidebar screenshot comes from here.
 */
describe('live call in the ticket sidebar (real service)', () => {
  const DOCS = path.resolve(__dirname, '../../app/docs');
  let service: ServiceHarness;
  let live: Harness;
  let forwarder: Awaited<ReturnType<typeof startForwarder>>;
  let stopping: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    forwarder = await startForwarder();
    service = await startService({ env: { CONCIERGE_PUBLIC_URL: forwarder.url } });
    forwarder.target(service.url);
    live = await startHarness({ serviceUrl: forwarder.url });
    live.secureSettings.shared_secret = service.tenant.appSecret;
    stopping = [() => live.close(), () => service.stop(), () => forwarder.close()];
    service.zendesk.putArticle({
      id: 501,
      title: 'Refunds for duplicate charges',
      body: '<p>If you were charged twice for the same order, we refund the duplicate charge within 5 business days to the original payment method. You do not need to return anything.</p>',
    });
    service.zendesk.putArticle({
      id: 502,
      title: 'Update your payment method',
      body: '<p>Open Account, choose Billing and click Update card to change the card we charge.</p>',
    });
    service.zendesk.putArticle({
      id: 503,
      title: 'Track your order',
      body: '<p>Your order confirmation email has a tracking link. Orders ship within two business days.</p>',
    });
    const tenant = (await service.running.ctx.tenants.get(service.tenant.tenant))!;
    await syncHelpCenter(
      service.running.ctx.helpCenter,
      await service.running.ctx.zendeskFor(tenant),
      tenant.id,
      service.running.ctx.logger,
    );
  });

  afterAll(async () => {
    for (const stop of stopping) await stop().catch(() => undefined);
  });

  const segment = (id: string, who: 'CUSTOMER' | 'AGENT', text: string, at: number, sentiment: string) => ({
    Transcript: {
      Id: id,
      ParticipantId: who,
      ParticipantRole: who,
      Content: text,
      BeginOffsetMillis: at,
      EndOffsetMillis: at + 3000,
      Sentiment: sentiment,
    },
  });

  /** One Kinesis record of the Contact Lens real-time stream (shape of the shared fixture). */
  const ingest = async (contactId: string, segments: unknown[]) => {
    const record = {
      Version: '1.0.0',
      Channel: 'VOICE',
      AccountId: '123456789012',
      InstanceId: service.connect.instanceId,
      ContactId: contactId,
      LanguageCode: 'en-US',
      EventType: 'SEGMENTS',
      Segments: segments,
    };
    const res = await fetch(`${service.url}/v1/connect/contact-lens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${service.tenant.ingestKey}` },
      body: JSON.stringify({ records: [{ data: Buffer.from(JSON.stringify(record)).toString('base64') }] }),
    });
    expect(res.status).toBe(202);
  };

  it('when Contact Lens segments of a live call arrive, then the sidebar shows sentiment, the alert and a suggestion, and Insert fills the reply and is recorded', async () => {
    const call = scriptCall(service.connect, 'answered', '+14155550177');
    expect((await service.post(call.events.slice(0, 3))).status).toBe(202);
    let ticketId = 0;
    await service.until(async () => {
      const c = await service.running.ctx.contacts.byContactId(service.tenant.tenant, call.initialContactId);
      ticketId = c?.state === 'connected' && c.ticketId ? c.ticketId : 0;
      return ticketId > 0;
    });

    const app = { location: 'ticket_sidebar', guid: 'sidebar-live', ticketId } as const;
    const page = await openHost(await newContext(), { apps: [app], subdomain: service.tenant.tenant }, live);
    await page.setViewportSize({ width: 760, height: 1100 });
    const sidebar = await appFrame(page, app.guid, live);
    await sidebar.getByTestId('call-card').waitFor();
    await sidebar.getByTestId('sentiment-waiting').waitFor();
    await sidebar.getByTestId('suggestion-waiting').waitFor();

    // The call, as Contact Lens streams it: a few turns at a time.
    const id = call.initialContactId;
    await ingest(id, [
      segment('u1', 'AGENT', 'Thank you for calling Acme, this is Alex. How can I help?', 0, 'NEUTRAL'),
    ]);
    await ingest(id, [segment('u2', 'CUSTOMER', 'Hi, I have a question about my bill.', 3000, 'NEUTRAL')]);
    await sidebar.getByTestId('sentiment-label').getByText('Neutral').waitFor();
    await ingest(id, [
      segment('u2b', 'CUSTOMER', 'I was charged twice for my order this month.', 6000, 'NEGATIVE'),
    ]);
    await sidebar.getByTestId('sentiment-label').getByText('Negative').waitFor();
    await ingest(id, [
      segment('u3', 'AGENT', 'I am sorry to hear that, let me look at your account.', 9000, 'NEUTRAL'),
      segment(
        'u4',
        'CUSTOMER',
        'This is the second time it happens, it is really frustrating.',
        14000,
        'NEGATIVE',
      ),
    ]);
    await ingest(id, [
      segment('u5', 'CUSTOMER', 'I just want a refund of the duplicate charge.', 19000, 'NEGATIVE'),
    ]);

    // Sentiment: the label, a sparkline over the four customer turns, and the alert (negative, staying).
    await sidebar.getByTestId('sentiment-alert').waitFor();
    expect(await sidebar.getByTestId('sentiment-alert').textContent()).toContain(
      'The customer has stayed negative',
    );
    await eventually(
      () => sidebar.getByTestId('sentiment-sparkline').getAttribute('data-points'),
      (n) => n === '4',
    );
    await sidebar
      .getByTestId('transcript')
      .getByText('I just want a refund of the duplicate charge.')
      .waitFor();

    // The suggestion for the conversation so far: local provider, the refund article as its source.
    const card = sidebar.getByTestId('suggestion');
    await card.getByRole('link', { name: /Refunds for duplicate charges/ }).waitFor({ timeout: 15_000 });
    expect(await sidebar.getByTestId('suggestion-provider').textContent()).toBe('AI: local');
    const reply = (await sidebar.getByTestId('suggestion-reply').textContent()) ?? '';
    expect(reply).toMatch(/refund/i);

    // At 320 px nothing needs horizontal scrolling.
    const overflow = await sidebar.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);

    // Insert: the host's ticket.editor.insert gets the reply, and the service records the action.
    const suggestionId = await card.getAttribute('data-suggestion-id');
    await sidebar.getByTestId('suggestion-insert').click();
    const invocations = await eventually(
      () => page.evaluate(() => (globalThis as unknown as TestHooks).__zafHost.invocations),
      (list) => list.some((i) => 'ticket.editor.insert' in i.params),
    );
    const inserted = invocations.find((i) => 'ticket.editor.insert' in i.params)!;
    expect(inserted.guid).toBe(app.guid);
    expect(String((inserted.params['ticket.editor.insert'] as unknown[])[0])).toContain(
      reply.split('\n')[0]!.replace(/&/g, '&amp;').slice(0, 40),
    );
    const actions = await eventually(
      () =>
        service.running.ctx.db.query<{ action: string; ticket_id: string; user_id: string }>(
          'SELECT action, ticket_id::text, user_id::text FROM suggestion_actions WHERE tenant_id = $1 AND suggestion_id = $2',
          [service.tenant.tenant, suggestionId],
        ),
      (rows) => rows.length > 0,
    );
    expect(actions).toEqual([{ action: 'inserted', ticket_id: String(ticketId), user_id: '7' }]);
    await sidebar.getByTestId('suggestion-feedback').getByText('Inserted into your reply.').waitFor();

    mkdirSync(DOCS, { recursive: true });
    await page.locator('main').screenshot({ path: path.join(DOCS, 'sidebar-live.png') });
  });
});
