// Fusion, edge placement and orchestration pricing in the app, on the bundled "Fusion chain"
// example (four single-instance stages in a chain): Step Functions Standard pricing and "Allow
// fusion" give a plan with a fused group, drawn as one box around its stages, and a cost
// breakdown with transitions; declaring an edge device in its dialog marks the stages the plan
// places there; undo removes the device again. Screenshots under test-output/e2e/; no console
// errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, openPage, shot } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const tid = (id) => `[data-testid="${id}"]`;

/** Dollars of a breakdown legend entry ("transitions $75.00 (3.1%)"). */
async function dollars(page, key) {
  const text = await page.textContent(tid(`breakdown-${key}`));
  const m = /\$([0-9.,]+)/.exec(text);
  assert.ok(m, `no amount in ${JSON.stringify(text)}`);
  return Number(m[1].replace(/,/g, ''));
}

test('fusion and an edge device change the plan, the drawing and the breakdown; undo restores', async () => {
  const page = await openPage(env.browser);
  await page.goto(env.base);
  await page.selectOption(tid('examples-menu'), { label: 'Fusion chain' });
  await page.waitForSelector(tid('plan-row'), { timeout: 120_000 });
  assert.equal(await page.locator(tid('stage')).count(), 4);
  assert.equal(await page.locator(tid('fused-group')).count(), 0, 'nothing is fused before fusion is allowed');

  // Step Functions Standard pricing and fusion: the worker solves over every grouping.
  await page.selectOption(tid('orchestration'), 'standard');
  await page.check(tid('allow-fusion'));
  await page.waitForSelector(tid('fused-group'), { timeout: 120_000 });
  const groups = await page.$$eval(tid('fused-group'), (gs) => gs.map((g) => g.dataset.stages.split(' ')));
  assert.ok(groups.length >= 1 && groups.every((g) => g.length >= 2), JSON.stringify(groups));
  // The box surrounds every stage of its group.
  const box = await page.locator(`${tid('fused-group')} rect`).first().boundingBox();
  for (const id of groups[0]) {
    const s = await page.locator(`[data-testid="stage"][data-id="${id}"] rect`).first().boundingBox();
    assert.ok(s.x >= box.x && s.y >= box.y && s.x + s.width <= box.x + box.width
      && s.y + s.height <= box.y + box.height, `${id} inside its group's box`);
  }
  await page.waitForSelector(tid('editor-legend'));
  await page.waitForSelector(tid('breakdown-bar-transitions'));
  assert.ok(await dollars(page, 'transitions') > 0, 'the breakdown shows transitions');
  assert.ok(await dollars(page, 'functions') > 0);
  assert.equal(await page.locator(tid('edge-badge')).count(), 0);
  await shot(page, 'fusion-fused');

  // An edge device as fast as the cloud with no fee: the planner places stages on it.
  await page.click(tid('edge-devices'));
  await page.waitForSelector(tid('edge-device-dialog'));
  const field = async (id, value) => {
    await page.fill(tid(id), String(value));
    await page.press(tid(id), 'Enter');
  };
  await field('edge-speed', 1);
  await field('edge-fee', 0);
  await field('edge-uplink', 1000);
  await page.click(tid('edge-save'));
  await page.waitForSelector(tid('edge-device-dialog'), { state: 'detached' });
  assert.match(await page.textContent(tid('edge-device-summary')), /One edge device: 1× /);
  await page.waitForSelector(tid('edge-badge'), { timeout: 120_000 });
  const onEdge = await page.$$eval('[data-testid="stage"][data-on-edge="true"]', (s) => s.map((x) => x.dataset.id));
  assert.ok(onEdge.length >= 1, 'stages placed on the device are marked');
  assert.equal(await page.locator(tid('edge-badge')).count(), onEdge.length);
  assert.match(await page.textContent(tid('editor-legend')), /on the edge device/);
  await page.waitForSelector(tid('breakdown-edge'));
  await shot(page, 'fusion-edge');

  // Undo takes the device back out: no stage is marked, the fused plan returns.
  await page.click(tid('undo'));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="edge-badge"]').length === 0,
    null, { timeout: 120_000 });
  assert.match(await page.textContent(tid('edge-device-summary')), /No edge device/);
  await page.waitForSelector(tid('fused-group'), { timeout: 120_000 });
  assert.ok(await page.isChecked(tid('allow-fusion')));

  // Never fusing every edge of the chain (in the stage inspector) leaves no group.
  for (const [from, to] of [['ingest', 'clean'], ['clean', 'features'], ['features', 'report']]) {
    await page.click(`[data-testid="stage"][data-id="${from}"] text.stage-id`);
    await page.check(tid(`never-fuse-${to}`));
  }
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="fused-group"]').length === 0
    && document.querySelector('[data-testid="plan-row"]') !== null, null, { timeout: 120_000 });
  await shot(page, 'fusion-never');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
