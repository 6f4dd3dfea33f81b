/**
 * `npm run bench -- app`: what each Zendesk location costs to load and how fast it shows something
 * useful, in headless Chromium.
 *
 *   bytes: gzipped JS + CSS a location loads before its first render (the HTML's script, modulepreload
 *          and stylesheet links), and what it loads later on demand (Streams, non-English strings).
 *   time:  from the iframe's navigation start to the first meaningful render (the `concierge:first-render`
 *          mark: call card or empty state in the sidebar, softphone panel in the top bar), and from the
 *          host's app.registered answer to that render; median and p90 of 20 fresh loads each.
 * Targets: ≤ 150 KB gzip per location before first render, ≤ 300 ms to first render.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Router } from 'express';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../scripts/chromium';
import { fakeConnectInitScript } from '../doubles/streams-double';
import { buildAppAssets } from '../test/e2e/support/build';
import { startHarness, TENANT, type AppSpec, type Harness } from '../test/e2e/support/zaf-host';

const ASSETS = path.resolve(__dirname, '../assets');
const RUNS = 20;
const LOCATIONS: AppSpec[] = [
  { location: 'top_bar', guid: 'bench-top' },
  { location: 'ticket_sidebar', guid: 'bench-sidebar', ticketId: 42 },
  { location: 'nav_bar', guid: 'bench-nav' },
];

const gz = (file: string) => gzipSync(readFileSync(path.join(ASSETS, file)), { level: 9 }).length;
const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;

function initialFiles(location: string): string[] {
  const html = readFileSync(path.join(ASSETS, `${location}.html`), 'utf8');
  const refs = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="\.\/([^"]+\.(?:js|css))"/g)].map(
    (m) => m[1]!,
  );
  return [...new Set(refs)];
}

function lazyFiles(initial: string[]): string[] {
  const seen = new Set(initial);
  const lazy: string[] = [];
  const queue = [...initial];
  while (queue.length) {
    const file = queue.shift()!;
    if (!file.endsWith('.js')) continue;
    const code = readFileSync(path.join(ASSETS, file), 'utf8');
    for (const m of code.matchAll(/import\(\s*["'`]\.\/([^"'`]+\.js)["'`]\s*\)/g)) {
      if (seen.has(m[1]!)) continue;
      seen.add(m[1]!);
      lazy.push(m[1]!);
      queue.push(m[1]!);
    }
  }
  return lazy;
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    median: Math.round(at(0.5)),
    p90: Math.round(at(0.9)),
    min: Math.round(sorted[0]!),
    max: Math.round(sorted[sorted.length - 1]!),
  };
}

async function timeLocation(browser: Browser, harness: Harness, app: AppSpec) {
  const fromNavigation: number[] = [];
  const fromHandshake: number[] = [];
  const phases = { scriptsRun: [] as number[], registered: [] as number[], envReady: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext();
    // The CCP cannot load here; the top bar runs against the Streams double.
    await context.addInitScript(fakeConnectInitScript(harness.appOrigin));
    const page = await context.newPage();
    await page.goto(harness.hostUrl({ apps: [app] }));
    const frame = await (async () => {
      for (;;) {
        const f = page.frame({ name: app.guid });
        if (f && f.url().startsWith(harness.appOrigin)) return f;
        await page.waitForTimeout(10);
      }
    })();
    await frame.waitForFunction(
      () => performance.getEntriesByName('concierge:first-render').length > 0,
      undefined,
      { timeout: 15_000 },
    );
    // No named helpers inside evaluate(): tsx would wrap them in a __name() the page does not have.
    const inFrame = await frame.evaluate(() => ({
      origin: performance.timeOrigin,
      mark: performance.getEntriesByName('concierge:first-render')[0]?.startTime ?? NaN,
      // The browser's Navigation Timing entry (Node's performance types do not know it).
      scripts:
        (
          globalThis as unknown as {
            performance: { getEntriesByType(type: string): { domContentLoadedEventEnd?: number }[] };
          }
        ).performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? NaN,
      registered: performance.getEntriesByName('concierge:registered')[0]?.startTime ?? NaN,
      envReady: performance.getEntriesByName('concierge:env-ready')[0]?.startTime ?? NaN,
    }));
    phases.scriptsRun.push(inFrame.scripts);
    phases.registered.push(inFrame.registered);
    phases.envReady.push(inFrame.envReady);
    const inHost = await page.evaluate(
      (guid) => ({
        origin: performance.timeOrigin,
        registered: (globalThis as unknown as { __zafHost: { registeredAt: Record<string, number> } })
          .__zafHost.registeredAt[guid]!,
      }),
      app.guid,
    );
    fromNavigation.push(inFrame.mark);
    fromHandshake.push(inFrame.origin + inFrame.mark - (inHost.origin + inHost.registered));
    await context.close();
  }
  return {
    firstRenderMs: stats(fromNavigation),
    afterHandshakeMs: stats(fromHandshake),
    // Medians, ms after the iframe's navigation start: where the time goes.
    phasesMs: {
      scriptsRun: stats(phases.scriptsRun).median,
      registered: stats(phases.registered).median,
      settingsAndLocaleLoaded: stats(phases.envReady).median,
      firstRender: stats(fromNavigation).median,
    },
  };
}

/** The nav_bar's first render needs a month of usage: a fixed answer (the real query is in bench billing). */
export function billingUsageStub(): Router {
  const router = Router();
  router.get('/v1/app/billing/usage', (req, res) => {
    const from = String(req.query.from);
    const to = String(req.query.to);
    const zero = { automated: 0, ai_assisted: 0, human: 0 };
    const days = [];
    for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
      days.push({
        date: new Date(t).toISOString().slice(0, 10),
        resolutions: { automated: 3, ai_assisted: 1, human: 2 },
        voided: zero,
        billable: 3,
        credited: 0,
      });
    const n = days.length;
    res.json({
      from,
      to,
      days,
      totals: {
        resolutions: { automated: 3 * n, ai_assisted: n, human: 2 * n },
        voided: 0,
        billable: 3 * n,
        credited: 0,
        net: 3 * n,
      },
      automationRate: 0.5,
      inWindow: 4,
      windowHours: 72,
      awsMarketplace: false,
    });
  });
  return router;
}

export async function benchApp(): Promise<Record<string, unknown>> {
  buildAppAssets();
  const harness = await startHarness({ routes: billingUsageStub });
  harness.service.put(TENANT, {
    contactId: 'bench-1',
    initialContactId: 'bench-1',
    channel: 'VOICE',
    state: 'connected',
    queue: 'Billing',
    callerMasked: '+1 ••• ••• 0199',
    connectedAt: new Date().toISOString(),
    ticketId: 42,
  });
  const browser = await launchChromium();
  const result: Record<string, unknown> = {
    runs: RUNS,
    targets: { gzipKbBeforeFirstRender: 150, firstRenderMs: 300 },
  };
  try {
    for (const app of LOCATIONS) {
      const initial = initialFiles(app.location);
      const lazy = lazyFiles(initial);
      const initialGzip = initial.reduce((sum, f) => sum + gz(f), 0);
      result[app.location] = {
        gzipKbBeforeFirstRender: kb(initialGzip),
        files: Object.fromEntries(initial.map((f) => [f, kb(gz(f))])),
        gzipKbLoadedLater: Object.fromEntries(lazy.map((f) => [f, kb(gz(f))])),
        ...(await timeLocation(browser, harness, app)),
      };
    }
  } finally {
    await browser.close();
    await harness.close();
  }
  return result;
}

if (require.main === module) {
  benchApp().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
