// End-to-end flow of the advisor panels against the release build: the ML example's two known
// anomalous configurations of stage 1 (5,120 MB at d = 4 and 8) are flagged in the profiles panel
// and ringed on its chart; excluding them refits; the advisor's proposals are listed, drawn on
// the profile chart, sent to the Executor panel and exported; the pre-warm planner on a generated
// trace shows its schedule and cost, and using its cold-start rates plans again with them
// (undoable). Screenshots go to test-output/e2e/; any console error fails the test; axe-core
// finds no serious or critical violation with the panels filled.
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

async function text(page, id) {
  return (await page.textContent(tid(id))).trim();
}

/** The timings object of the last frontier run (changes on every finished run). */
async function timings(page) {
  return page.evaluate(() => JSON.stringify(window.__faasplanTimings ?? null));
}

async function waitForReplan(page, prev) {
  await page.waitForFunction(
    (prev) => JSON.stringify(window.__faasplanTimings ?? null) !== prev
      && document.querySelector('[data-testid="plan-row"]') !== null,
    prev, { timeout: 120_000 });
}

async function fitErrors(page) {
  await page.waitForSelector(tid('fit-errors'), { timeout: 120_000 });
  return text(page, 'fit-errors');
}

test('flagged runs, excluding them, the advisor\'s proposals and pre-warming on the ML example', async () => {
  const page = await openPage(env.browser, { width: 1280, height: 900 });
  await page.goto(env.base);
  const t0 = await timings(page);
  await page.selectOption(tid('examples-menu'), { label: 'ML pipeline' });
  await waitForReplan(page, t0);

  // 1. The two known anomalous configurations of stage 1, and nothing else.
  await page.waitForSelector(tid('flagged-table'), { timeout: 120_000 });
  const flagged = await page.$$eval('[data-testid^="flagged-stage"]', (rows) => rows.map((r) => r.dataset.testid));
  assert.deepEqual(flagged.sort(), ['flagged-stage1-5120-4', 'flagged-stage1-5120-8']);
  assert.match(await text(page, 'flagged-summary'), /2 configurations look anomalous/);
  await page.selectOption(tid('profile-stage'), 'stage1');
  await page.waitForFunction(() => document.querySelector('[data-testid="profile-chart"]')
    .getAttribute('aria-label').includes('stage1'));
  await shot(page, 'advisor-a-flagged');

  // 2. Exclude them: the fit is redone without their runs (stage 1's errors change).
  await page.selectOption(tid('profile-stage'), 'stage1');
  const before = await fitErrors(page);
  const t1 = await timings(page);
  await page.check(tid('exclude-flagged'));
  await waitForReplan(page, t1);
  await page.waitForFunction((b) => {
    const el = document.querySelector('[data-testid="fit-errors"]');
    return el && el.textContent.trim() !== b;
  }, before, { timeout: 120_000 });
  const after = await fitErrors(page);
  const cv = (s) => Number(s.match(/cross-validated ([\d.]+) %/)[1]);
  assert.ok(cv(after) < cv(before), `stage 1's cross-validated error drops without the flagged runs: ${before} → ${after}`);
  assert.match(await text(page, 'flagged-summary'), /left out of the fit/);
  // Unticking puts them back: the earlier fit, not a cached one of the other setting.
  const t2 = await timings(page);
  await page.uncheck(tid('exclude-flagged'));
  await waitForReplan(page, t2);
  await page.waitForFunction((b) => document.querySelector('[data-testid="fit-errors"]')?.textContent.trim() === b,
    before, { timeout: 120_000 });
  const t3 = await timings(page);
  await page.check(tid('exclude-flagged'));
  await waitForReplan(page, t3);

  // 3. The advisor's proposals: listed with their gains and the stopping rule, drawn on the chart.
  await page.waitForSelector(tid('advisor-proposals'), { timeout: 120_000 });
  const proposals = await page.$$eval('[data-testid^="proposal-"]', (rows) => rows.map((r) => r.textContent));
  assert.equal(proposals.length, 4, 'a batch of 4 by default');
  assert.match(await text(page, 'advisor-stop'), /^(Stop|Keep measuring)/);
  assert.match(await text(page, 'advisor-plan'), /Current plan at [\d.]+ s/);
  const firstStage = await page.textContent('[data-testid="proposal-1"] th');
  await page.selectOption(tid('profile-stage'), firstStage.trim());
  await page.locator(tid('panel-advisor')).scrollIntoViewIfNeeded();
  await shot(page, 'advisor-b-proposals');

  // Exported as CSV (the CLI's columns) and JSON.
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click(tid('advisor-export-csv'))]);
  const csvFile = path.join(OUT, 'advisor-measure-next.csv');
  await csvDl.saveAs(csvFile);
  const csv = (await fs.readFile(csvFile, 'utf8')).trim().split('\n');
  assert.equal(csv[0], 'stage,memory_mb,d,predicted_s,ln_sd,expected_gain_usd');
  assert.equal(csv.length, 1 + proposals.length);
  assert.equal(csv[1].split(',')[0], firstStage.trim());
  const [jsonDl] = await Promise.all([page.waitForEvent('download'), page.click(tid('advisor-export-json'))]);
  const jsonFile = path.join(OUT, 'advisor-measure-next.json');
  await jsonDl.saveAs(jsonFile);
  const advice = JSON.parse(await fs.readFile(jsonFile, 'utf8'));
  assert.ok(advice.bound_s > 0 && advice.plan !== null, JSON.stringify(advice.plan));
  assert.equal(advice.proposals.length, proposals.length);

  // Sent to the Executor panel's list to profile: one whole configuration per proposal.
  await page.click(tid('advisor-send'));
  await page.waitForFunction(() => document.querySelector('[data-testid="executor-configs"]').value.includes('# proposed by the advisor'));
  const list = await page.inputValue(tid('executor-configs'));
  const lines = list.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.equal(lines.length, proposals.length);
  assert.ok(lines.every((l) => l.split(',').length === 4), list);

  // A batch of 2 asks again.
  await page.fill(tid('advisor-batch'), '2');
  await page.press(tid('advisor-batch'), 'Tab');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid^="proposal-"]').length === 2, null, { timeout: 120_000 });

  // 4. Pre-warming with the generator: schedule and cost, then its cold-start rates in the plan.
  await page.selectOption(tid('prewarm-shape'), 'diurnal');
  await page.click(tid('prewarm-run'));
  await page.waitForSelector(tid('prewarm-table'), { timeout: 180_000 });
  const summary = await text(page, 'prewarm-summary');
  assert.match(summary, /per month/);
  const monthly = Number(summary.match(/on-demand: \$([\d.]+) per month/)[1]);
  assert.ok(monthly > 0, summary);
  const stages = await page.$$eval('[data-testid^="prewarm-stage-"]', (rows) => rows.length);
  assert.equal(stages, 4);
  await page.waitForSelector(tid('forecast-chart'));
  await page.locator(tid('panel-prewarm')).scrollIntoViewIfNeeded();
  await shot(page, 'advisor-c-prewarm');

  // The worker's time for each job, for docs/advisor.md.
  const ms = async (id) => Number(await page.getAttribute(tid(id), 'data-ms'));
  await fs.writeFile(path.join(OUT, 'advisor-perf.json'), JSON.stringify({
    advise_ms: await ms('advisor-elapsed'), prewarm_ms: await ms('prewarm-elapsed'),
  }, null, 2));

  const planBefore = await text(page, 'plan-table');
  const t4 = await timings(page);
  await page.click(tid('prewarm-apply'));
  await page.waitForSelector(tid('prewarm-applied'));
  await waitForReplan(page, t4);
  await page.waitForFunction((b) => document.querySelector('[data-testid="plan-table"]')?.textContent.trim() !== b,
    planBefore, { timeout: 120_000 });
  const planAfter = await text(page, 'plan-table');
  assert.notEqual(planAfter, planBefore, 'the plan accounts for the pre-warmed cold-start rates');
  await shot(page, 'advisor-d-applied');

  // Undo restores the previous cold-start settings (and the plan).
  const t5 = await timings(page);
  await page.click(tid('prewarm-undo'));
  await waitForReplan(page, t5);
  await page.waitForFunction((b) => document.querySelector('[data-testid="plan-table"]')?.textContent.trim() === b,
    planBefore, { timeout: 120_000 });

  // axe-core with the panels filled.
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), []);

  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a trace CSV that cannot be read is named in the pre-warm panel', async () => {
  const page = await openPage(env.browser);
  await page.goto(env.base);
  const t0 = await timings(page);
  await page.selectOption(tid('examples-menu'), { label: 'ML pipeline' });
  await waitForReplan(page, t0);
  const bad = path.join(OUT, 'bad-trace.csv');
  await fs.writeFile(bad, 'count\n3\nmany\n');
  await page.setInputFiles(tid('prewarm-trace-file'), bad);
  await page.waitForFunction(() => document.querySelector('[data-testid="prewarm-shape"]').value === 'file');
  await page.click(tid('prewarm-run'));
  await page.waitForSelector(tid('prewarm-error'), { timeout: 60_000 });
  assert.match(await text(page, 'prewarm-error'), /bad-trace\.csv.*line 3/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
