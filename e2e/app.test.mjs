// End-to-end flows of the app against the release build: drawing a DAG, loading an example and
// waiting for the frontier, moving the bound slider (keyboard and mouse) and comparing the plan
// with the CLI's, exporting the plan JSON, a malformed file, persistence across a reload, baseline
// markers, and the user's current configuration as a marker with the planner's saving.
// Every flow saves a screenshot under test-output/e2e/ and fails on any console error. The
// performance figures are written to test-output/e2e/perf.json (docs/browser.md quotes them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { start, openPage, shot, ROOT, OUT } from './support.mjs';

let env;
const perf = {};

before(async () => { env = await start(); });
after(async () => {
  await fs.writeFile(path.join(OUT, 'perf.json'), JSON.stringify(perf, null, 2));
  await env?.close();
});

const tid = (id) => `[data-testid="${id}"]`;

/** The CLI binary (built by `cargo test --workspace` or `cargo build -p faasplan-cli`); fails when missing. */
function cli() {
  const tried = [];
  for (const p of ['target/release/faasplan', 'target/debug/faasplan']) {
    try {
      execFileSync(path.join(ROOT, p), ['plan', '--help'], { stdio: 'pipe' });
      return path.join(ROOT, p);
    } catch (e) { tried.push(`${p}: ${e.message.split('\n')[0]}`); }
  }
  assert.fail(`no faasplan binary with a plan command to compare the export with (build it with cargo build -p faasplan-cli): ${tried.join('; ')}`);
}

/** Loads a bundled example and waits until the worker has planned it (its run figures change). */
async function loadExample(page, label) {
  const prev = await page.evaluate(() => JSON.stringify(window.__faasplanTimings ?? null));
  const t0 = Date.now();
  await page.selectOption(tid('examples-menu'), { label });
  await page.waitForFunction(
    (prev) => JSON.stringify(window.__faasplanTimings ?? null) !== prev
      && document.querySelector('[data-testid="plan-row"]') !== null,
    prev, { timeout: 120_000 });
  return Date.now() - t0;
}

/** The rows of the plan for the bound in the bound field: waits until the table is that bound's
 *  plan and no preview (the bound is solved, or looked up on the whole exact frontier). */
async function planRows(page) {
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-testid="plan-table"]');
    const b = Number(document.querySelector('[data-testid="bound"]')?.value);
    return t && t.dataset.plan !== 'preview' && Math.abs(Number(t.dataset.bound) - b) <= 1e-9 * Math.max(1, Math.abs(b));
  }, null, { timeout: 120_000 });
  return page.$$eval('[data-testid="plan-row"]', (rows) => rows.map((r) => ({
    stage: r.dataset.stage,
    memory_mb: Number(r.querySelector('[data-testid="cell-memory"]').textContent),
    d: Number(r.querySelector('[data-testid="cell-d"]').textContent),
  })));
}

async function savedProject(page) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(tid('save-project'))]);
  const file = path.join(OUT, 'saved.faasplan.json');
  await dl.saveAs(file);
  return file;
}

test('a. a 3-stage DAG is drawn with the mouse and a cycle is refused', async () => {
  const page = await openPage(env.browser);
  await page.goto(env.base);
  for (let i = 0; i < 3; i++) await page.click(tid('add-stage'));
  assert.equal(await page.locator(tid('stage')).count(), 3);
  const port = async (id, kind) => {
    const b = await page.locator(`[data-testid="stage"][data-id="${id}"] circle.port.${kind}`).boundingBox();
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  };
  const connect = async (a, b) => {
    const from = await port(a, 'out');
    const to = await port(b, 'in');
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 5 });
    await page.mouse.move(to.x, to.y, { steps: 5 });
    await page.mouse.up();
  };
  await connect('stage1', 'stage2');
  await connect('stage2', 'stage3');
  assert.equal(await page.locator(tid('edge')).count(), 2);
  await connect('stage3', 'stage1');
  assert.equal(await page.locator(tid('edge')).count(), 2);
  assert.match(await page.textContent(tid('notices')), /cycle/);
  await shot(page, 'app-a-dag');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('b–d. an example plans; the slider picks plans by keyboard and mouse; export matches the CLI', async () => {
  const page = await openPage(env.browser, { width: 1280, height: 1000 });
  await page.goto(env.base);
  perf.recompute_ms = {};
  for (const label of ['Video analytics', 'ML pipeline']) {
    const waited = await loadExample(page, label);
    const timings = await page.evaluate(() => window.__faasplanTimings ?? null);
    perf.recompute_ms[label] = { wall_ms: waited, worker: timings };
  }
  await page.waitForSelector('[data-testid="oos-check"][data-done="true"]', { timeout: 60_000 });
  await shot(page, 'app-b-example');
  perf.paint = await page.evaluate(() => performance.getEntriesByType('paint').map((e) => ({ name: e.name, ms: e.startTime })));

  // c. keyboard
  const slider = page.locator(tid('bound-slider'));
  const before = await planRows(page);
  await slider.focus();
  for (let i = 0; i < 20; i++) await page.keyboard.press('PageDown');
  const left = await planRows(page);
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('PageUp');
  const afterKeys = await planRows(page);
  assert.notDeepEqual(left, before, 'moving the bound left changes the plan');
  // mouse: click across the track
  const box = await slider.boundingBox();
  const seen = new Set();
  for (const f of [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95]) {
    await page.mouse.click(box.x + f * box.width, box.y + box.height / 2);
    seen.add(JSON.stringify(await planRows(page)));
  }
  assert.ok(seen.size >= 2, 'clicking along the track picks different plans');
  await page.mouse.click(box.x + 0.3 * box.width, box.y + box.height / 2);
  const measures = await page.evaluate(() => performance.getEntriesByName('bound-to-paint').map((e) => e.duration));
  assert.ok(measures.length > 5, `slider moves were measured (${measures.length})`);
  const sorted = [...measures].sort((a, b) => a - b);
  perf.slider_to_paint_ms = { n: sorted.length, median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) };
  const bound = Number(await page.inputValue(tid('bound')));
  const rows = await planRows(page);
  await page.waitForSelector('[data-testid="oos-check"][data-done="true"]', { timeout: 60_000 });
  await shot(page, 'app-c-slider');
  void afterKeys;

  // d. export
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(tid('export-plan'))]);
  const exported = await fs.readFile(await dl.path(), 'utf8');
  const report = JSON.parse(exported);
  assert.equal(report.format, 'faasplan-plan');
  assert.deepEqual(report.stages.map((s) => ({ stage: s.stage, memory_mb: s.memory_mb, d: s.d })), rows,
    'the exported plan is the plan in the table');
  const project = await savedProject(page);
  const out = execFileSync(cli(), ['plan', '--project', project, '--latency-bound', String(bound)], { encoding: 'utf8' });
  assert.equal(exported, out, 'plan JSON bytes equal the CLI stdout');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('e–f. a malformed file changes nothing; a reload restores the workflow and bound and replans', async () => {
  const page = await openPage(env.browser);
  await page.goto(env.base);
  await loadExample(page, 'ML pipeline');
  // A bound inside the frontier, typed into the number field.
  await page.fill(tid('bound'), '40');
  await page.press(tid('bound'), 'Tab');
  await page.waitForFunction(() => document.querySelector('[data-testid="bound"]').value === '40');
  const bound = await page.inputValue(tid('bound'));
  const rows = await planRows(page);
  assert.equal(rows.length, 4, 'a 40 s bound has a plan');
  // The plan for the typed bound is the exact solve of that bound: the CLI's plan for it.
  const cliPlan = JSON.parse(execFileSync(cli(), ['plan', '--project', await savedProject(page), '--latency-bound', bound], { encoding: 'utf8' }));
  assert.deepEqual(cliPlan.stages.map((s) => ({ stage: s.stage, memory_mb: s.memory_mb, d: s.d })), rows,
    'the plan for the typed bound is the CLI\'s plan for it');
  const stages = await page.locator(tid('stage')).count();
  await page.setInputFiles(tid('open-file'), { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "faasplan-project", "version": 1, "workflow": ') });
  await page.waitForSelector(tid('notice'));
  assert.match(await page.textContent(tid('notices')), /broken\.json/);
  assert.equal(await page.locator(tid('stage')).count(), stages);
  assert.deepEqual(await planRows(page), rows);
  await shot(page, 'app-e-malformed');
  await page.reload();
  await page.waitForSelector(tid('plan-row'), { timeout: 120_000 });
  assert.equal(await page.locator(tid('stage')).count(), stages);
  assert.equal(await page.inputValue(tid('bound')), bound);
  assert.deepEqual(await planRows(page), rows);
  await shot(page, 'app-f-reload');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('g. baseline plans appear as toggleable markers and as rows compared with the chosen plan', async () => {
  for (const [width, height, name] of [[1280, 800, 'app-g-baselines'], [400, 800, 'app-g-baselines-narrow']]) {
    const page = await openPage(env.browser, { width, height });
    await page.goto(env.base);
    await loadExample(page, 'ML pipeline');
    await page.waitForSelector(tid('baseline-diff'), { timeout: 60_000 });
    const toggles = page.locator(tid('marker-toggle'));
    assert.equal(await toggles.count(), 8, 'one legend entry per baseline');
    const rows = await page.$$eval(tid('baseline-diff'), (rs) => rs.map((r) => ({
      name: r.dataset.baseline,
      text: r.querySelector('[data-testid="baseline-sentence"]').textContent,
    })));
    assert.equal(rows.length, 8, 'one row per baseline');
    for (const r of rows) {
      assert.match(r.text, /^([−+][\d.]+% cost at the same P95 bound|same cost at the same P95 bound|misses the bound: P95 [\d.]+ s > [\d.]+ s|no plan)$/, r.name);
    }
    // No baseline that meets the bound is cheaper than the exact plan.
    assert.ok(rows.every((r) => !r.text.startsWith('+')), JSON.stringify(rows));
    const canvas = () => page.$eval(tid('pareto-canvas'), (c) => c.toDataURL());
    const enabled = page.locator(`${tid('marker-toggle')}:not([disabled])`);
    assert.ok(await enabled.count() > 0, 'some baseline has a plan');
    const first = enabled.first();
    const before = await canvas();
    await first.click();
    assert.equal(await first.isChecked(), false);
    await page.waitForFunction((b) => document.querySelector('[data-testid="pareto-canvas"]').toDataURL() !== b, before);
    assert.notEqual(await canvas(), before, 'hiding a marker redraws the chart');
    await first.click();
    await page.waitForFunction((b) => document.querySelector('[data-testid="pareto-canvas"]').toDataURL() === b, before);
    await page.waitForSelector('[data-testid="oos-check"][data-done="true"]', { timeout: 60_000 });
    await shot(page, name);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});

test('h. the configuration entered in the stage inspector is a marker on the chart with what the planner would save', async () => {
  const page = await openPage(env.browser, { width: 1280, height: 1000 });
  await page.goto(env.base);
  await loadExample(page, 'ML pipeline');
  await page.waitForSelector('[data-testid="oos-check"][data-done="true"]', { timeout: 60_000 });
  // The page settles (the baselines' rows change the height of the row above the workflow).
  await page.waitForSelector(tid('baseline-diff'), { timeout: 60_000 });
  // Today's configuration: every stage at the top of its memory grid (a fast, so
  // never filtered, candidate), with the plan's d.
  const rows = await planRows(page);
  const label = () => page.getAttribute(tid('pareto-canvas'), 'aria-label');
  assert.doesNotMatch(await label(), /your configuration/);
  const top = {};
  for (const [i, r] of rows.entries()) {
    await page.locator(`${tid('stage')}[data-id="${r.stage}"]`).click();
    const [min, max, step] = await Promise.all(['memory-min', 'memory-max', 'memory-step'].map((t) => page.inputValue(tid(t)).then(Number)));
    top[r.stage] = min + Math.floor((max - min) / step) * step;
    await page.click(tid('current-toggle'));
    await page.fill(tid('current-memory'), String(top[r.stage]));
    await page.press(tid('current-memory'), 'Tab');
    await page.fill(tid('current-d'), String(r.d));
    await page.press(tid('current-d'), 'Tab');
    if (i < rows.length - 1) assert.match(await page.textContent(tid('current-config')), /Enter your configuration of/);
  }
  await page.waitForSelector(tid('current-saving'), { timeout: 60_000 });
  const saving = await page.textContent(tid('current-saving'));
  assert.match(saving, /^The planner would save \$[\d.]+ per run \(\$[\d.]+ per million runs, [\d.]+%\) at the same guaranteed latency, with /, saving);
  const stages = await page.textContent(tid('current-stages'));
  for (const r of rows) assert.ok(stages.includes(`${r.stage} ${top[r.stage]} MB × ${r.d}`), stages);
  assert.match(await page.textContent(tid('current-figures')), /Guaranteed P95 latency [\d.]+ s · expected cost \$[\d.]+ per run/);
  await page.waitForFunction(() => /your configuration at [\d.]+ s/.test(document.querySelector('[data-testid="pareto-canvas"]').getAttribute('aria-label')));
  // Moving the bound keeps the evaluation (it does not depend on the bound).
  await page.locator(tid('bound-slider')).focus();
  await page.keyboard.press('PageDown');
  assert.equal(await page.textContent(tid('current-saving')), saving);
  await shot(page, 'app-h-current-config');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
