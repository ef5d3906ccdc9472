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
  const started = Date.now();
  await setField(page, 'percentile', 99.9);
  // Either the frontier is computed or it is refused with the figures; never "planning" forever.
  await page.waitForFunction(() => {
    const failed = document.querySelector('[data-testid="frontier-failed"]');
    const row = document.querySelector('[data-testid="plan-row"]');
    const busy = document.querySelector('[data-testid="frontier-progress"]');
    return (failed && /MiB|stopped/.test(failed.textContent)) || (row && !busy);
  }, null, { timeout: 180_000 });
  const refused = await page.$(tid('frontier-failed'));
  // Time from the percentile change to the answer on screen, and the worker's memory.
  const p999 = {
    answer_ms: Date.now() - started,
    refused: Boolean(refused),
    worker: await page.evaluate(() => window.__faasplanTimings ?? null),
  };
  await fs.writeFile(path.join(OUT, 'p999-perf.json'), JSON.stringify(p999, null, 2));
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

/** The ML example's runs, as [stage, run] pairs (from its saved project). */
async function mlRuns(page) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(tid('save-project'))]);
  const project = JSON.parse(await fs.readFile(await dl.path(), 'utf8'));
  return project.profiles.stages.flatMap((st) => st.runs.map((r) => [st.stage, r]));
}

/** The native profile CSV with exactly `runs` runs: the ML runs repeated, with new rep numbers. */
function csvOf(all, runs) {
  const lines = ['stage,memory_mb,d,rep,cold,start_mean_s,start_p95_s,read_mean_s,read_p95_s,compute_mean_s,compute_p95_s,write_mean_s,write_p95_s'];
  for (let i = 0; i < runs; i++) {
    const k = Math.floor(i / all.length);
    const [stage, r] = all[i % all.length];
    const j = 1 + 0.01 * ((k * 7919) % 13 - 6);
    const w = r.write ? `${r.write.mean_s * j},${r.write.p95_s * j}` : ',';
    lines.push(`${stage},${r.memory_mb},${r.d},${r.rep + 2 * k},${r.cold},${r.start.mean_s * j},${r.start.p95_s * j},${r.read.mean_s * j},${r.read.p95_s * j},${r.compute.mean_s * j},${r.compute.p95_s * j},${w}`);
  }
  return lines.join('\n') + '\n';
}

/** A CSV of at least `bytes` bytes and its run count. */
function csvOfBytes(all, bytes) {
  const perRun = csvOf(all, 1000).length / 1000;
  const runs = Math.ceil((bytes * 1.01) / perRun);
  return { csv: csvOf(all, runs), runs };
}

/** Records the page's long tasks (over 50 ms) in window.__longTasks from the start. */
async function recordLongTasks(page) {
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** Opens `csv` as `name` and waits until its frontier is on screen or it is refused; returns what happened. */
async function openCsv(page, name, csv) {
  // From a file on disk: with a buffer Playwright would build the File with script in the
  // page (seconds of base64 decoding on the page's thread for 20 MB), which the app never does.
  const file = path.join(OUT, name);
  await fs.writeFile(file, csv);
  const { t0, roundsRunning } = await page.evaluate(() => {
    performance.clearMeasures('open-to-frontier');
    performance.clearMeasures('open-to-resolution');
    // Whether the previous frontier's rounds are still coming in at the drop.
    const res = document.querySelector('[data-testid="frontier-resolution"]');
    return { t0: performance.now(), roundsRunning: !!res && res.dataset.complete !== 'true' };
  });
  await page.setInputFiles(tid('open-file'), file);
  await page.waitForFunction((name) => performance.getEntriesByName('open-to-frontier').length > 0
    || document.querySelector('[data-testid="frontier-failed"]')
    || new RegExp(`cannot open ${name.replace('.', '\\.')}`).test(document.querySelector('[data-testid="notices"]')?.textContent ?? ''),
  name, { timeout: 900_000 });
  // Then the whole frontier at the slider's resolution (the first frame shows its first round).
  if (await page.evaluate(() => performance.getEntriesByName('open-to-frontier').length > 0)) {
    await page.waitForFunction(() => performance.getEntriesByName('open-to-resolution').length > 0, null, { timeout: 900_000 });
    // And the job's final answer (after the refinement), with its timings.
    await page.waitForFunction((t0) => (window.__faasplanTimings?.timings?.start?.started_at_ms ?? 0) > performance.timeOrigin + t0, t0, { timeout: 900_000 });
  }
  return page.evaluate(({ t0, roundsRunning }) => ({
    open_to_frontier_ms: performance.getEntriesByName('open-to-frontier')[0]?.duration ?? null,
    open_to_resolution_ms: performance.getEntriesByName('open-to-resolution')[0]?.duration ?? null,
    failed: document.querySelector('[data-testid="frontier-failed"]')?.textContent ?? null,
    notices: document.querySelector('[data-testid="notices"]')?.textContent ?? '',
    long_tasks_ms: window.__longTasks.filter((t) => t.start >= t0).map((t) => Math.round(t.ms)),
    // The same with when each began after the pick, ms: [start, duration].
    long_tasks_at: window.__longTasks.filter((t) => t.start >= t0).map((t) => [Math.round(t.start - t0), Math.round(t.ms)]),
    // The page's own steps (decoding the worker's answers, applying the import, drawing), ms.
    steps_ms: performance.getEntriesByType('measure')
      .filter((m) => m.startTime >= t0 && !/^open-to-|^bound-to-/.test(m.name))
      .map((m) => [m.name, Math.round(m.startTime - t0), Math.round(m.duration)]),
    timings: window.__faasplanTimings ?? null,
    // The frontier job's start in the planning worker: how long it waited there after the
    // page posted it, whether it stopped the previous job's rounds, and its steps to the
    // first round (prepare, the positions' bounds, the first round, the certified solve), ms.
    job: (() => {
      const start = window.__faasplanTimings?.timings?.start;
      const posted = performance.getEntriesByName('frontier-job-posted').at(-1);
      if (!start || !start.started_at_ms) return null;
      return { ...start, wait_ms: posted ? start.started_at_ms - (performance.timeOrigin + posted.startTime) : null };
    })(),
    rounds_running_at_drop: roundsRunning,
  }), { t0, roundsRunning });
}

test('a 20 MB CSV is planned without freezing the page for more than 200 ms at a time', async () => {
  const page = await openPage(env.browser);
  await recordLongTasks(page);
  await page.goto(env.base);
  await loadMl(page);
  const { csv: big, runs } = csvOfBytes(await mlRuns(page), 20e6);
  assert.ok(big.length >= 20e6, `${big.length} bytes`);
  const seen = await openCsv(page, 'big20.csv', big);
  await fs.writeFile(path.join(OUT, 'big-csv.json'), JSON.stringify({ bytes: big.length, runs, ...seen }, null, 2));
  await fs.rm(path.join(OUT, 'big20.csv'), { force: true });
  await shot(page, 'real-20mb-csv');
  // Within the app's memory limit for profiles (about 430,000 runs), so planned, not refused.
  assert.ok(seen.open_to_frontier_ms !== null, `planned: ${JSON.stringify(seen).slice(0, 600)}`);
  // The page's own work on the runs (decoding the import's answer, applying it, drawing the
  // profile chart, the autosave, encoding the planning job), each step under 200 ms ...
  const steps = seen.steps_ms.filter(([name]) => /^(wire-decode|wire-encode|apply-import|draw-profile|autosave-profiles)/.test(name));
  assert.ok(steps.some(([name]) => name.startsWith('wire-decode')), `the answer was decoded: ${JSON.stringify(seen.steps_ms)}`);
  assert.ok(steps.some(([name]) => name.startsWith('draw-profile')), `the profile chart was drawn: ${JSON.stringify(seen.steps_ms)}`);
  const slow = steps.filter(([, , ms]) => ms > 200);
  assert.deepEqual(slow, [], `the page's steps on the runs: ${JSON.stringify(steps)}`);
  // ... and every task on the page's thread, from the pick until every slider position is
  // answered (the steps above, the render and layout of the panels, the frontier's rounds
  // drawn), under 200 ms: the page never freezes longer (big-csv.json: long_tasks_at).
  const frozen = seen.long_tasks_at.filter(([, ms]) => ms > 200);
  assert.deepEqual(frozen, [], `tasks over 200 ms on the page, [start after the pick, ms]: ${JSON.stringify(seen.long_tasks_at)}`);
  // Still usable: another percentile is planned (or refused) and answered.
  await setField(page, 'percentile', 90);
  await page.waitForFunction(() => !document.querySelector('[data-testid="frontier-progress"]'), null, { timeout: 300_000 });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('opening 1k, 10k and 100k-run profiles: time from the drop to the frontier on screen', async () => {
  const marks = {};
  for (const runs of [1_000, 10_000, 100_000]) {
    const page = await openPage(env.browser);
    await recordLongTasks(page);
    await page.goto(env.base);
    await loadMl(page);
    const csv = csvOf(await mlRuns(page), runs);
    const seen = await openCsv(page, `runs${runs}.csv`, csv);
    marks[runs] = { bytes: csv.length, ...seen, notices: undefined };
    await fs.rm(path.join(OUT, `runs${runs}.csv`), { force: true });
    await fs.writeFile(path.join(OUT, 'open-perf.json'), JSON.stringify(marks, null, 2));
    assert.ok(seen.open_to_frontier_ms !== null, `${runs} runs are planned: ${JSON.stringify(seen).slice(0, 400)}`);
    // A new frontier job never waits for the previous one's rounds: dropped while they
    // run, the job says it stopped them (the pool of workers solving them is terminated).
    assert.ok(seen.job, `the job's start is reported: ${JSON.stringify(seen.timings).slice(0, 400)}`);
    assert.ok(!seen.rounds_running_at_drop || seen.job.stopped_previous, JSON.stringify(seen.job));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});

test('a 2 MB profile survives a reload', async () => {
  const page = await openPage(env.browser);
  await page.goto(env.base);
  await loadMl(page);
  const { csv, runs } = csvOfBytes(await mlRuns(page), 2e6);
  assert.ok(csv.length >= 2e6, `${csv.length} bytes`);
  const file = path.join(OUT, 'big.csv');
  await fs.writeFile(file, csv);
  await page.setInputFiles(tid('open-file'), file);
  await page.waitForFunction(() => /big\.csv/.test(document.querySelector('[data-testid="notices"]')?.textContent ?? ''), null, { timeout: 60_000 });
  // Autosave runs right after the import; a failure would be a warning or an error notice.
  await page.waitForTimeout(3_000);
  if (await page.$(tid('notices-more'))) await page.click(tid('notices-more'));
  const notices = await page.textContent(tid('notices'));
  assert.doesNotMatch(notices, /not the profiles|nothing was kept|Autosave/, 'autosave kept everything');
  await shot(page, 'real-2mb-saved');
  // localStorage holds only the small settings; the project is in IndexedDB.
  const local = await page.evaluate(() => Object.keys(localStorage).map((k) => [k, localStorage.getItem(k).length]));
  assert.ok(local.every(([, n]) => n < 10_000), `localStorage holds small settings only: ${JSON.stringify(local)}`);
  await page.reload();
  // The restored project brings its stages (and its profiles with them).
  await page.waitForSelector(tid('stage'), { timeout: 60_000 });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(tid('save-project'))]);
  const project = JSON.parse(await fs.readFile(await dl.path(), 'utf8'));
  const restored = project.profiles.stages.reduce((n, s) => n + s.runs.length, 0);
  assert.equal(restored, runs, 'every run of the big profile came back after the reload');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
