/**
 * `concierge demo` end to end: the command as a user runs it (a child process), its one printed URL in
 * headless Chromium (Debian's, through playwright-core), and the product doing its work on the replayed
 * calls. The README's demo screenshots (app/docs/demo-*.png) are taken here, so they show what runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/chromium';
import { eventually } from './support/browser';
import { buildAppAssets } from './support/build';

// About a minute on an idle machine (build, start, one call at --speed 3); far longer on a loaded CI box.
jest.setTimeout(480_000);

const ROOT = path.resolve(__dirname, '../..');
const DOCS = path.join(ROOT, 'app/docs');

let dataDir: string;
let assetsDir: string;
let demo: ChildProcess;
let url: string;
let stderr = '';
let browser: Browser;

/** Starts `bin/concierge demo` and resolves with the one line it prints on stdout. */
function startDemo(): Promise<string> {
  demo = spawn(process.execPath, [path.join(ROOT, 'bin/concierge'), 'demo', '--port', '0', '--speed', '3'], {
    cwd: ROOT,
    env: {
      ...process.env,
      CONCIERGE_DATA_DIR: dataDir,
      CONCIERGE_DEMO_ASSETS: assetsDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL within 300 s; stderr:\n${stderr}`)), 300_000);
    demo.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => /^http:\/\/localhost:\d+\/$/.test(l.trim()));
      if (line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    demo.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code} before printing a URL; stderr:\n${stderr}`));
    });
  });
}

function stopDemo(signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    if (demo.exitCode !== null) return resolve(demo.exitCode);
    demo.once('exit', (code) => resolve(code));
    demo.kill(signal);
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'concierge-demo-e2e-'));
  assetsDir = path.join(dataDir, 'assets');
  // Its own copy of the built app: the other browser tests rebuild assets/ while this one may run.
  buildAppAssets(assetsDir);
  url = await startDemo();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    const killer = setTimeout(() => demo.kill('SIGKILL'), 25_000);
    await stopDemo('SIGTERM');
    clearTimeout(killer);
  }
  demo?.stdout?.destroy();
  demo?.stderr?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The demo goes at its own pace: a minute unless said, looked at every 250 ms. */
const until = <T>(read: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = 60_000) =>
  eventually(read, accept, timeoutMs, 250);

interface HostHook {
  __zafHost: { ticketId(): number | null; showView(name: string): void };
}

async function frameNamed(page: Page, name: string): Promise<Frame> {
  return until(
    () => page.frame({ name }),
    (f): f is Frame => !!f && f.url().includes('.html'),
    30_000,
  ) as Promise<Frame>;
}

const ledgerCount = async (page: Page) => Number(await page.getByTestId('ledger-count').textContent());

describe('concierge demo', () => {
  it('when started, then its one page runs the product on the replayed calls: a live call with sentiment and suggestions, an inserted suggestion solving the ticket fills the ledger, and Ctrl-C stops it cleanly', async () => {
    expect(url).toMatch(/^http:\/\/localhost:\d+\/$/);
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    await page.goto(url);

    // The softphone is the real top bar app on a simulated Amazon Connect, and says so.
    await page.getByTestId('softphone-simulated').waitFor();
    const topBar = await frameNamed(page, 'top-bar-1');
    await topBar.getByTestId('agent-state').waitFor({ timeout: 30_000 });

    // The first call reaches Alex: the page follows it to its ticket, whose sidebar shows the live call.
    const ticketId = await until(
      () => page.evaluate(() => (globalThis as unknown as HostHook).__zafHost.ticketId()),
      (id) => typeof id === 'number',
    );
    const sidebar = await frameNamed(page, `sidebar-${ticketId}`);
    await sidebar.getByTestId('call-card').waitFor({ timeout: 30_000 });
    expect(await sidebar.getByTestId('call-card').textContent()).toContain('0142');

    // Sentiment from the Contact Lens segments, and suggestions from the Help Center for what was said.
    await sidebar.getByTestId('sentiment-label').waitFor({ timeout: 60_000 });
    const suggestion = sidebar.getByTestId('suggestion').first();
    await suggestion.waitFor({ timeout: 60_000 });
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: path.join(DOCS, 'demo-live-call.png') });

    // The agent inserts a suggestion into the reply and solves the ticket: Zendesk's trigger calls the
    // service's webhook and the resolution lands in the ledger.
    const before = await ledgerCount(page);
    await suggestion.getByTestId('suggestion-insert').click();
    await until(
      () => page.locator('#editor').inputValue(),
      (v) => v.trim().length > 20,
      15_000,
    );
    await page.getByRole('button', { name: 'Submit as Solved' }).click();
    await until(
      () => ledgerCount(page),
      (n) => n > before,
    );
    await page.screenshot({ path: path.join(DOCS, 'demo-solved-with-suggestion.png') });

    // The Resolutions view (nav bar) reads the same ledger through the billing API: the assisted solve is there.
    await page.getByRole('button', { name: 'Concierge' }).click();
    const nav = await frameNamed(page, 'nav-bar-1');
    await nav.getByRole('tab', { name: 'Resolutions' }).click();
    const kinds = nav.getByTestId('tile-kinds');
    await kinds.waitFor({ timeout: 30_000 });
    expect(await kinds.textContent()).toMatch(/AI-assisted: [1-9]/);
    await page.screenshot({ path: path.join(DOCS, 'demo-resolutions.png') });

    // Knowledge: the analysis the demo starts over its solved tickets finds the gaps it was seeded with.
    await nav.getByRole('tab', { name: 'Knowledge' }).click();
    await nav.getByTestId('knowledge-view').waitFor({ timeout: 30_000 });
    await until(
      () => nav.getByTestId('knowledge-run').textContent(),
      (text) => !!text && /^Last analysis: finished/.test(text),
      180_000,
    );
    // …and drafts the missing articles: open one, approve it, and it is published to the Help Center.
    const draft = nav.getByTestId('knowledge-draft').first();
    await draft.waitFor({ timeout: 60_000 });
    await draft.getByRole('button').click();
    await nav.getByTestId('draft-editor').waitFor();
    await page.screenshot({ path: path.join(DOCS, 'demo-knowledge.png') });
    const section = nav.getByTestId('draft-section');
    if ((await section.inputValue()) === '' && !(await section.isDisabled()))
      await section.selectOption({ index: 1 }); // a new article goes into a section
    await nav.getByTestId('draft-approve').click();
    await nav.getByTestId('draft-published').waitFor({ timeout: 60_000 });

    const state = (await (await fetch(`${url}demo/state`)).json()) as { specViolations: number };
    expect(state.specViolations).toBe(0);
    await page.close();

    expect(await stopDemo('SIGINT')).toBe(0);
    expect(stderr).toContain('SIGINT, stopping');
    // Everything it started is gone: the embedded database released its lock.
    expect(existsSync(path.join(dataDir, 'demo', 'postmaster.concierge.lock'))).toBe(false);
  });
});
