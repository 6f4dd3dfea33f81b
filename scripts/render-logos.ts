/**
 * Renders scripts/brand/logo.svg to the Marketplace logos in app/public (copied into assets/ by the
 * build): logo.png 320×320 and logo-small.png 128×128. Run after changing the SVG:
 *   npx tsx scripts/render-logos.ts
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './chromium';

const root = path.resolve(__dirname, '..');
const svg = readFileSync(path.join(root, 'scripts/brand/logo.svg'), 'utf8');

async function main(): Promise<void> {
  const browser = await launchChromium();
  try {
    for (const [file, size] of [
      ['logo.png', 320],
      ['logo-small.png', 128],
    ] as const) {
      const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
      const sized = svg.replace(/width="\d+" height="\d+"/, `width="${size}" height="${size}"`);
      await page.setContent(`<html><body style="margin:0;background:transparent">${sized}</body></html>`);
      await page.screenshot({
        path: path.join(root, 'app/public', file),
        omitBackground: true,
        clip: { x: 0, y: 0, width: size, height: size },
      });
      await page.close();
      console.log(`app/public/${file} ${size}×${size}`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
