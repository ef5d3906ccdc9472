// The frontier at the slider's resolution, against the release build (`scripts/build`): the plan
// for the bound arrives first, the chart fills in round by round, the label says "exact at this
// resolution" (the rounds solved by a pool of workers, their frontier bit for bit the single
// worker's), and "Exact frontier" computes every point in a worker of its own, with progress,
// a Cancel button, and an edit that supersedes it. The imported 6-stage workflow (Step
// Functions + Power Tuning, ~80 memory sizes a stage) shows a plan within seconds, the exact plan
// of a bound typed while the rounds run within a second, and its resolution frontier soon after. Figures go to test-output/e2e/resolution-perf.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { start, openPage, shot, ROOT, OUT } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const tid = (id) => `[data-testid="${id}"]`;
const perf = {};

/** The resolution label's state: exact, complete, and its text. */
async function resolution(page) {
  return page.$eval(tid('frontier-resolution'), (e) => ({
    exact: e.dataset.exact === 'true',
    complete: e.dataset.complete === 'true',
    unproven: Number(e.dataset.unproven ?? 0),
    text: e.textContent,
  }));
}

/** A complete resolution label says how many of the 500 positions are proven optimal; returns the distinct plans. */
function checkResolutionLabel(label) {
  assert.equal(label.exact, false);
  if (label.unproven === 0) {
    assert.match(label.text, /Exact at this resolution: an optimal plan for each of 500 slider positions \((\d+) distinct plans\)/);
  } else {
    const m = label.text.match(/At this resolution: an optimal plan for (\d+) of 500 slider positions; the other (\d+) keep the best plan found within the work budget, not proven optimal \((\d+) distinct plans/);
    assert.ok(m, label.text);
    assert.equal(Number(m[1]) + label.unproven, 500);
    assert.equal(Number(m[2]), label.unproven);
  }
  return Number(label.text.match(/\((\d+) distinct plans/)[1]);
}

async function recordLongTasks(page) {
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

test('the frontier fills in to "exact at this resolution"; the exact frontier runs, cancels, is superseded by an edit, and finishes', async () => {
  const page = await openPage(env.browser, { width: 1280, height: 1000 });
  await recordLongTasks(page);
  await page.goto(env.base);
  const t0 = Date.now();
  await page.selectOption(tid('examples-menu'), { label: 'ML pipeline' });
  await page.waitForSelector(tid('plan-row'), { timeout: 120_000 });
  const firstPlanMs = Date.now() - t0;
  // The example opened again while its rounds run: the new frontier job stops them (their
  // pool of workers is terminated) instead of waiting for them; the inputs are the same.
  const runningAtReopen = await page.evaluate(() => document.querySelector('[data-testid="frontier-resolution"]')?.dataset.complete === 'false');
  const reopenAt = await page.evaluate(() => performance.timeOrigin + performance.now());
  await page.selectOption(tid('examples-menu'), { label: 'ML pipeline' });
  await page.waitForFunction((t) => (window.__faasplanTimings?.timings?.start?.started_at_ms ?? 0) > t, reopenAt, { timeout: 120_000 });
  const reopened = await page.evaluate(() => window.__faasplanTimings.timings.start);
  assert.ok(!runningAtReopen || reopened.stopped_previous, `the rounds running at the reopen were stopped: ${JSON.stringify(reopened)}`);
  await page.waitForSelector(`${tid('frontier-resolution')}[data-complete="true"]`, { timeout: 120_000 });
  const resolvedMs = Date.now() - t0;
  const label = await resolution(page);
  const coarsePlans = checkResolutionLabel(label);
  assert.ok(coarsePlans > 10, label.text);
  await shot(page, 'resolution-a-exact-at-resolution');
  // The pool's frontier is the one the planning worker computes alone (`?pool=0`), bit for bit.
  const pooled = await (await page.waitForFunction(() => window.__faasplanTimings)).jsonValue();
  const alonePage = await openPage(env.browser);
  await alonePage.goto(`${env.base}?pool=0`);
  const t2 = Date.now();
  await alonePage.selectOption(tid('examples-menu'), { label: 'ML pipeline' });
  await alonePage.waitForSelector(`${tid('frontier-resolution')}[data-complete="true"]`, { timeout: 120_000 });
  const aloneMs = Date.now() - t2;
  const alone = await (await alonePage.waitForFunction(() => window.__faasplanTimings, null, { timeout: 120_000 })).jsonValue();
  assert.deepEqual(pooled.frontier, alone.frontier, 'the pool\'s frontier is the single worker\'s');
  assert.deepEqual([pooled.nodes, pooled.resolution], [alone.nodes, alone.resolution]);
  assert.deepEqual(alonePage.errors, []);
  await alonePage.context().close();

  // Cancel: the progress goes, the button comes back, no exact frontier arrives.
  await page.click(tid('exact-frontier'));
  await page.waitForSelector(tid('exact-cancel'));
  assert.match(await page.textContent(tid('exact-progress')), /exact frontier/i);
  await page.click(tid('exact-cancel'));
  await page.waitForSelector(tid('exact-frontier'));
  await page.waitForTimeout(3_000);
  assert.equal((await resolution(page)).exact, false, 'a cancelled exact frontier never lands');

  // An edit supersedes it: the new inputs are planned at the resolution again.
  await page.click(tid('exact-frontier'));
  await page.waitForSelector(tid('exact-cancel'));
  // The percentile slider (a typed field can be re-rendered while the rounds come in).
  await page.locator(tid('percentile-slider')).press('ArrowLeft');
  await page.waitForSelector(tid('exact-superseded'));
  assert.match(await page.textContent(tid('exact-superseded')), /stopped: the project changed/);
  await page.waitForSelector(`${tid('frontier-resolution')}[data-complete="true"]`, { timeout: 120_000 });
  assert.equal(await page.$(tid('exact-cancel')), null, 'the edit stopped the exact frontier');
  await page.waitForTimeout(3_000);
  assert.equal((await resolution(page)).exact, false);

  // Finished: every point, at least as many as the resolution's plans; the plan stays.
  const t1 = Date.now();
  await page.click(tid('exact-frontier'));
  await page.waitForSelector(`${tid('frontier-resolution')}[data-exact="true"]`, { timeout: 300_000 });
  const exactMs = Date.now() - t1;
  const exact = await resolution(page);
  const exactPoints = Number(exact.text.match(/all (\d+) points/)[1]);
  assert.ok(exactPoints >= coarsePlans, `${exactPoints} exact points, ${coarsePlans} plans at the resolution`);
  assert.ok(await page.$(tid('plan-row')));
  await shot(page, 'resolution-b-exact');
  // The slider still answers from the exact frontier.
  const slider = page.locator(tid('bound-slider'));
  await slider.focus();
  const boundBefore = Number(await page.inputValue(tid('bound')));
  for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowLeft');
  await page.waitForFunction((b) => Number(document.querySelector('[data-testid="bound"]').value) < b, boundBefore);
  await page.waitForSelector(`${tid('plan-table')}[data-plan="frontier"]`);
  assert.ok(await page.$(tid('plan-row')));
  assert.equal((await resolution(page)).exact, true);
  const longTasks = await page.evaluate(() => window.__longTasks.map((t) => Math.round(t.ms)));
  perf.ml = { first_plan_ms: firstPlanMs, resolution_ms: resolvedMs, resolution_single_worker_ms: aloneMs, resolution_plans: coarsePlans, exact_ms: exactMs, exact_points: exactPoints, long_tasks_ms: longTasks,
    reopened_while_running: runningAtReopen, pool_worker: pooled.timings, single_worker: alone.timings };
  await fs.writeFile(path.join(OUT, 'resolution-perf.json'), JSON.stringify(perf, null, 2));
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

const DATA = path.join(ROOT, 'crates/faasplan-core/tests/data/imports');
const SM = path.join(DATA, 'asl/parrotfish__ImageProcessing__state_machine.json');
const TUNING = ['Filter', 'Flip', 'GetInput', 'Resize', 'Rotate'].map((f) =>
  path.join(DATA, `powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessing${f}__README.md`))
  .concat([path.join(DATA, 'powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingGrayscale__README.md')]);

test('the imported 6-stage workflow shows a plan within seconds and its resolution frontier soon after', async () => {
  const page = await openPage(env.browser);
  await recordLongTasks(page);
  await page.goto(env.base);
  await page.waitForSelector(tid('app'));
  const files = [SM, ...TUNING];
  const payload = await Promise.all(files.map(async (f) => ({ name: path.basename(f), text: await fs.readFile(f, 'utf8') })));
  const dt = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([f.text], f.name));
    return dt;
  }, payload);
  const t0 = Date.now();
  await page.dispatchEvent(tid('app'), 'drop', { dataTransfer: dt });
  await page.waitForSelector(tid('plan-row'), { timeout: 300_000 });
  const firstPlanMs = Date.now() - t0;
  // While the rounds run (in the pool), a typed bound gets its exact plan at once.
  await page.waitForSelector(tid('frontier-resolution'), { timeout: 60_000 });
  const typed = String(Math.round(Number(await page.inputValue(tid('bound'))) * 1.1 * 2) / 2);
  const t1 = Date.now();
  await page.fill(tid('bound'), typed);
  await page.press(tid('bound'), 'Tab');
  await page.waitForSelector(`${tid('plan-table')}[data-plan="solved"][data-bound="${Number(typed)}"]`, { timeout: 30_000 });
  const typedMs = Date.now() - t1;
  const during = await resolution(page);
  assert.equal(during.complete, false, 'the rounds were still running');
  assert.ok(typedMs < 1_500, `the typed bound's plan took ${typedMs} ms`);
  await page.waitForSelector(`${tid('frontier-resolution')}[data-complete="true"]`, { timeout: 300_000 });
  const resolvedMs = Date.now() - t0;
  const label = await resolution(page);
  await shot(page, 'resolution-c-imported');
  const longTasks = await page.evaluate(() => window.__longTasks.map((t) => Math.round(t.ms)));
  perf.imported = { first_plan_ms: firstPlanMs, typed_bound_plan_ms: typedMs, resolution_ms: resolvedMs, label: label.text, long_tasks_ms: longTasks,
    worker: await page.evaluate(() => window.__faasplanTimings ?? null) };
  await fs.writeFile(path.join(OUT, 'resolution-perf.json'), JSON.stringify(perf, null, 2));
  checkResolutionLabel(label);
  assert.ok(await page.$(tid('plan-row')));
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
