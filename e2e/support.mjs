// Shared fixture of the end-to-end tests: serves the release build in dist/ on 127.0.0.1 and
// drives Debian's Chromium with playwright-core. Every page records console errors and page
// errors, so a test can assert there were none.
import path from 'node:path';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../scripts/static-server.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = path.join(ROOT, 'test-output', 'e2e');

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage'];

/** Starts the server and the browser; returns { base, browser, close }. */
export async function start() {
  const server = await serve(path.join(ROOT, 'dist'));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  await fs.mkdir(OUT, { recursive: true });
  return {
    base: `http://127.0.0.1:${server.address().port}/`,
    browser,
    async close() { await browser.close(); server.close(); },
  };
}

/** Opens a page of the given size that records errors in `page.errors`. */
export async function openPage(browser, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`page error: ${e}`));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(`console error: ${m.text()}`); });
  return page;
}

/** Saves a screenshot under test-output/e2e/. */
export async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
}
