// The built UI served by vite's preview, and Debian's Chromium (playwright-core) to look at it:
// what the page tests and the accessibility tests share.
import { build, preview } from 'vite';
import { chromium, type Browser } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Served {
  base: string;
  browser: Browser;
  close: () => Promise<void>;
}

/** Builds the UI into a fresh folder, serves it on a free port, and starts Chromium. */
export async function serveAndBrowse(prefix: string): Promise<Served> {
  const outDir = mkdtempSync(join(tmpdir(), prefix));
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await preview({ logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1' } });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Scrollbars as a person sees them: headless Chromium hides them unless told not to.
    ignoreDefaultArgs: ['--hide-scrollbars'],
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  return {
    base: server.resolvedUrls?.local[0] ?? '',
    browser,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
