// End-to-end flows of real use: failures that are refused or recovered from, the layout at a
// laptop and a phone size (bounding boxes, screenshots in test-output/e2e/), and an axe-core
// accessibility check. Run against the release build in dist/ (scripts/build).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { start, openPage, shot, OUT } from './support.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const tid = (id) => `[data-testid="${id}"]`;

async function loadMl(page) {
  await page.selectOption(tid('examples-menu'), { label: 'ML pipeline' });
  await page.waitForSelector(tid('plan-row'), { timeout: 120_000 });
}

async function setField(page, id, value) {
  await page.fill(tid(id), String(value));
  await page.press(tid(id), 'Tab');
}

test('P99.9 at 99.999 % confidence shows a plan or a refusal naming the limit, and recovers at P95', async () => {
  const page = await openPage(env.browser);
  await page.goto(env.base);
  await loadMl(page);
  await setField(page, 'confidence', 99.999);
  await setField(page, 'percentile', 99.9);
  // Either the frontier is computed or it is refused with the figures; never "planning" forever.
  await page.waitForFunction(() => {
    const failed = document.querySelector('[data-testid="frontier-failed"]');
    const row = document.querySelector('[data-testid="plan-row"]');
    const busy = document.querySelector('[data-testid="frontier-progress"]');
    return (failed && /MiB|stopped/.test(failed.textContent)) || (row && !busy);
  }, null, { timeout: 180_000 });
  const refused = await page.$(tid('frontier-failed'));
  if (refused) {
    const text = await refused.textContent();
    assert.match(text, /samples × \d+ configurations = \d+ MiB/, text);
    assert.ok(await page.$(tid('retry')), 'a Retry button is offered');
  }
  await shot(page, 'real-p999');
  await setField(page, 'percentile', 95);
  await setField(page, 'confidence', 99);
  await page.waitForFunction(() => document.querySelector('[data-testid="plan-row"]')
    && !document.querySelector('[data-testid="frontier-failed"]'), null, { timeout: 120_000 });
  assert.match(await page.textContent(tid('plan-summary')), /^Plan: P95 latency/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

/** Asserts that the element is entirely inside the viewport and returns its box. */
async function inView(page, id) {
  const box = await page.locator(tid(id)).boundingBox();
  const { width, height } = page.viewportSize();
  assert.ok(box, `${id} is shown`);
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= width + 1 && box.y + box.height <= height + 1,
    `${id} in the ${width}×${height} viewport: ${JSON.stringify(box)}`);
  return box;
}

for (const [width, height] of [[1280, 800], [375, 800]]) {
  test(`at ${width}×${height} the bound slider, the plan summary and the frontier chart are on screen together`, async () => {
    const page = await openPage(env.browser, { width, height });
    await page.goto(env.base);
    await loadMl(page);
    await page.waitForSelector('[data-testid="oos-check"][data-done="true"]', { timeout: 60_000 });
    const slider = await inView(page, 'bound-slider');
    const summary = await inView(page, 'plan-summary');
    assert.match(await page.textContent(tid('plan-summary')), /^Plan: P95 latency [\d.]+ s · \$/);
    // The chart's plot area (its upper 60 % at least) is visible below the bar.
    const chart = await page.locator(tid('pareto-canvas')).boundingBox();
    const visible = Math.min(chart.y + chart.height, height) - Math.max(chart.y, 0);
    assert.ok(visible >= 0.6 * chart.height, `chart ${JSON.stringify(chart)} mostly visible`);
    assert.ok(chart.width >= 0.5 * width, `the chart is large (${chart.width} px of ${width})`);
    // Scrolled down to the plan table, the bar stays.
    await page.locator(tid('panel-plan')).scrollIntoViewIfNeeded();
    await page.mouse.wheel(0, 600);
    await inView(page, 'bound-slider');
    await inView(page, 'plan-summary');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, `real-layout-${width}x${height}`);
    await page.screenshot({ path: path.join(OUT, `real-layout-${width}x${height}-viewport.png`) });
    // Nothing wider than the page.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling (${overflow} px)`);
    void slider; void summary;
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}

test('axe-core finds no serious or critical accessibility violations with a planned example', async () => {
  const page = await openPage(env.browser);
  await page.goto(env.base);
  await loadMl(page);
  await page.waitForSelector('[data-testid="oos-check"][data-done="true"]', { timeout: 60_000 });
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  await fs.writeFile(path.join(OUT, 'axe.json'), JSON.stringify(result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
  })), null, 2));
  assert.deepEqual(bad.map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), []);
  await page.context().close();
});

test('a stage is connected to another with the keyboard only', async () => {
  const page = await openPage(env.browser);
  await page.goto(env.base);
  await page.click(tid('add-stage'));
  await page.click(tid('add-stage'));
  const edges = () => page.locator(tid('edge')).count();
  const before = await edges();
  await page.selectOption(tid('connect-to'), { index: 1 });
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="edge"]').length === n + 1, before);
  await page.context().close();
});

/** The ML example's profiles as the native CSV, every run repeated `times` times (new rep numbers). */
async function bigCsv(page, times) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(tid('save-project'))]);
  const project = JSON.parse(await fs.readFile(await dl.path(), 'utf8'));
  const lines = ['stage,memory_mb,d,rep,cold,start_mean_s,start_p95_s,read_mean_s,read_p95_s,compute_mean_s,compute_p95_s,write_mean_s,write_p95_s'];
  for (const st of project.profiles.stages) {
    for (let k = 0; k < times; k++) {
      for (const r of st.runs) {
        const j = 1 + 0.01 * ((k * 7919) % 13 - 6);
        const w = r.write ? `${r.write.mean_s * j},${r.write.p95_s * j}` : ',';
        lines.push(`${st.stage},${r.memory_mb},${r.d},${r.rep + 2 * k},${r.cold},${r.start.mean_s * j},${r.start.p95_s * j},${r.read.mean_s * j},${r.read.p95_s * j},${r.compute.mean_s * j},${r.compute.p95_s * j},${w}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

test('a 2 MB profile survives a reload or the app says it was not kept', async () => {
  const page = await openPage(env.browser);
  await page.goto(env.base);
  await loadMl(page);
  let csv = await bigCsv(page, 1);
  const times = Math.ceil(2.2e6 / csv.length);
  csv = await bigCsv(page, times);
  assert.ok(csv.length >= 2e6, `${csv.length} bytes`);
  await page.setInputFiles(tid('open-file'), { name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.waitForFunction(() => /big\.csv|not the profiles|nothing was kept/.test(document.querySelector('[data-testid="notices"]')?.textContent ?? ''), null, { timeout: 60_000 });
  // Autosave runs right after the import; either it kept everything or it said what it did not keep.
  if (await page.$(tid('notices-more'))) await page.click(tid('notices-more'));
  const notices = await page.textContent(tid('notices'));
  assert.match(notices, /big\.csv/, 'the import was reported');
  const saidNotKept = /not the profiles|nothing was kept/.test(notices);
  await shot(page, 'real-2mb-saved');
  await page.reload();
  await page.waitForSelector(tid('app'));
  const restored = await page.evaluate(() => {
    const raw = localStorage.getItem('faasplan.autosave.v2');
    return raw ? JSON.parse(raw).project.profiles.stages.reduce((n, s) => n + s.runs.length, 0) : 0;
  });
  if (saidNotKept) {
    assert.equal(restored, 0, 'the profiles the app said it did not keep are not silently replaced by older ones');
  } else {
    assert.ok(restored >= 2e6 / 200, `the big profile survived the reload (${restored} runs)`);
  }
  await page.context().close();
});
