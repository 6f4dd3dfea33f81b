import type { Frame, Page } from 'playwright-core';

/** Retries `read` every `intervalMs` until `accept` holds (Jest has no expect.poll). */
export async function eventually<T>(
  read: () => Promise<T> | T,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
    value = await read();
  }
  return value;
}

/** The frame of an app instance on the host page, once it shows the app (from `appOrigin`). */
export async function appFrame(page: Page, guid: string, appOrigin: string, tries = 100): Promise<Frame> {
  await page.waitForSelector(`iframe[name="${guid}"]`);
  for (let i = 0; i < tries; i++) {
    const frame = page.frame({ name: guid });
    if (frame && frame.url().startsWith(appOrigin)) return frame;
    await page.waitForTimeout(50);
  }
  throw new Error(`frame ${guid} did not load`);
}
