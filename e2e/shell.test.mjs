// The app loads without errors and shows every panel, on a laptop screen and a narrow one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, openPage, shot } from './support.mjs';

const PANELS = ['panel-editor', 'panel-profiles', 'panel-frontier', 'panel-plan', 'panel-controls'];
let env;

before(async () => { env = await start(); });
after(async () => { await env?.close(); });

for (const [label, size] of [['1280x800', { width: 1280, height: 800 }], ['narrow', { width: 400, height: 800 }]]) {
  test(`the app shows every panel without console errors (${label})`, async () => {
    const page = await openPage(env.browser, size);
    await page.goto(env.base);
    await page.waitForSelector('header.app-header');
    assert.match(await page.textContent('header.app-header'), /faasplan/);
    for (const id of PANELS) {
      assert.ok(await page.isVisible(`[data-testid="${id}"]`), `${id} is visible`);
    }
    await shot(page, `shell-${label}`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}
