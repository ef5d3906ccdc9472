// End-to-end import of a user's own AWS files against the release build (and, for the byte
// comparisons, the CLI: target/release/faasplan or target/debug/faasplan): a real Step Functions
// state machine, Power Tuning results and a Lambda REPORT log (from
// crates/faasplan-core/tests/data/imports) are dropped on the page together; the workflow, the
// profiles, the thin-data table and the deploy buttons appear. A file of another kind is
// refused with a message naming it, and nothing is lost. A Choice's probabilities are set in
// the stage inspector and saved in the project. Screenshots go to test-output/e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { start, openPage, shot, ROOT } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const tid = (id) => `[data-testid="${id}"]`;
const DATA = path.join(ROOT, 'crates/faasplan-core/tests/data/imports');
const SM = path.join(DATA, 'asl/parrotfish__ImageProcessing__state_machine.json');
const TUNING = ['Filter', 'Flip', 'GetInput', 'Resize', 'Rotate'].map((f) =>
  path.join(DATA, `powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessing${f}__README.md`))
  .concat([path.join(DATA, 'powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingGrayscale__README.md')]);
// A real REPORT log; its file name names the stage its runs belong to.
const LOG = { name: 'Rotate.log', path: path.join(DATA, 'report-logs/powertuning__test-utils.js__textLog.log') };

/** Drops files on the page as a drag and drop does (a DataTransfer with File objects). */
async function drop(page, files) {
  const payload = await Promise.all(files.map(async (f) => ({ name: f.name, text: await fs.readFile(f.path, 'utf8') })));
  const dt = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([f.text], f.name));
    return dt;
  }, payload);
  await page.dispatchEvent(tid('app'), 'drop', { dataTransfer: dt });
}

test('a state machine, Power Tuning results and a log dropped together give the workflow, profiles and deploy buttons; a wrong file loses nothing', async () => {
  const page = await openPage(env.browser);
  await page.goto(env.base);
  await page.waitForSelector(tid('app'));
  const files = [{ name: path.basename(SM), path: SM }, ...TUNING.map((p) => ({ name: path.basename(p), path: p })), LOG];
  await drop(page, files);
  // The workflow and the profiles appear.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="stage"]').length === 6, null, { timeout: 30_000 });
  const ids = await page.$$eval(tid('stage'), (s) => s.map((g) => g.dataset.id).sort());
  assert.deepEqual(ids, ['Filter', 'Flip', 'GetInput', 'GrayScale', 'Resize', 'Rotate']);
  assert.match(await page.textContent(tid('notices')), /parrotfish__ImageProcessing__state_machine\.json/);
  await page.waitForSelector(tid('thin-data'));
  const coverage = await page.$$eval('[data-testid^="coverage-"]', (rows) => rows.map((r) => r.dataset.testid));
  assert.equal(coverage.length, 6, 'one coverage row per stage');
  const rotate = await page.textContent(tid('coverage-Rotate'));
  assert.match(rotate, /\d+ %/, 'the cold share of the runs is shown');
  await shot(page, 'imports-a-dropped');
  await page.waitForSelector(tid('deploy-exports'));

  // Measured on: REPORT logs and Power Tuning results do not record the architecture; the
  // dialog offers it per file (the platform's, x86_64, until chosen) and imports them again.
  await page.waitForSelector(tid('measured-on'));
  assert.equal(await page.inputValue(tid('measured-on-Rotate.log')), 'x86_64');
  assert.equal(await page.textContent(tid('measured-arch-Rotate')), 'x86_64');
  await page.selectOption(tid('measured-on-Rotate.log'), 'arm64');
  // Rotate's runs come from its Power Tuning result (still x86_64) and the log (now arm64).
  await page.waitForFunction(() => document.querySelector('[data-testid="measured-arch-Rotate"]')?.textContent === 'x86_64, arm64', null, { timeout: 30_000 });
  assert.equal(await page.textContent(tid('measured-arch-Filter')), 'x86_64', 'the other files keep theirs');
  assert.equal(await page.inputValue(tid('measured-on-Rotate.log')), 'arm64');
  await page.click(tid('measured-on-done'));
  assert.equal(await page.locator(tid('measured-on')).count(), 0);
  assert.equal(await page.locator(tid('stage')).count(), 6);
  const stagesBefore = await page.locator(tid('stage')).count();

  // A file of another kind: a clear message naming it, and nothing lost.
  const input = path.join(DATA, 'powertuning/powertuning__scripts__sample-execution-input.json');
  await drop(page, [{ name: 'sample-execution-input.json', path: input }]);
  await page.waitForFunction(() => /sample-execution-input\.json/.test(document.querySelector('[data-testid="notices"]')?.textContent ?? ''));
  const notices = await page.textContent(tid('notices'));
  assert.match(notices, /sample-execution-input\.json/);
  assert.match(notices, /Power Tuning execution input/);
  assert.equal(await page.locator(tid('stage')).count(), 6);
  assert.equal(await page.locator(tid('stage')).count(), stagesBefore);
  assert.equal(await page.locator(tid('coverage-Rotate')).count(), 1, 'the profiles are kept');
  assert.equal(await page.locator(tid('deploy-exports')).count(), 1, 'the state machine is kept');
  await shot(page, 'imports-c-wrong-file');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a Choice of an imported state machine is set to probabilities in the stage inspector', async () => {
  const page = await openPage(env.browser);
  await page.goto(env.base);
  await page.waitForSelector(tid('app'));
  const sm = path.join(DATA, 'asl/sfn-workflows-collection__eventbridge-replay-events__statemachine.asl.json');
  await drop(page, [{ name: path.basename(sm), path: sm }]);
  await page.waitForSelector('[data-testid="stage"][data-id="Simulate Event"]');
  await page.click('[data-testid="stage"][data-id="Simulate Event"]');
  await page.waitForSelector(tid('choice'));
  assert.match(await page.textContent(tid('choice')), /Is event in the future\?/);
  await page.selectOption(tid('choice-mode'), 'probabilities');
  await page.waitForSelector(tid('choice-p-0'));
  await page.fill(tid('choice-p-0'), '0.2');
  await page.press(tid('choice-p-0'), 'Enter');
  // 0.2 against 0.5: 28.6 % (wait for the re-render before the next field).
  await page.waitForFunction(() => /28\.6 %/.test(document.querySelector('[data-testid="choice"]').textContent));
  await page.fill(tid('choice-p-1'), '0.8');
  await page.press(tid('choice-p-1'), 'Enter');
  await page.waitForFunction(() => /20\.0 %/.test(document.querySelector('[data-testid="choice"]').textContent));
  await shot(page, 'imports-d-choice');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(tid('save-project'))]);
  const project = JSON.parse(await fs.readFile(await dl.path(), 'utf8'));
  const choice = project.workflow.choices[0];
  assert.equal(choice.mode, 'probabilities');
  assert.deepEqual(choice.alternatives.map((a) => [a.label, a.probability]), [['Wait', 0.2], ['Pass', 0.8]]);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

/** The CLI binary (built by `cargo build -p faasplan-cli`, release or debug); fails when missing. */
function cli() {
  const tried = [];
  for (const p of ['target/release/faasplan', 'target/debug/faasplan']) {
    try {
      execFileSync(path.join(ROOT, p), ['export', '--help'], { stdio: 'pipe' });
      return path.join(ROOT, p);
    } catch (e) { tried.push(`${p}: ${e.message.split('\n')[0]}`); }
  }
  assert.fail(`no faasplan binary with an export command to compare the deploy files with (cargo build -p faasplan-cli): ${tried.join('; ')}`);
}

/** Clicks `selector` and returns the text of the download it starts. */
async function download(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return { name: dl.suggestedFilename(), text: await fs.readFile(await dl.path(), 'utf8') };
}

/** The DAG on the canvas: sorted stage ids and sorted `from -> to` edges. */
async function dag(page) {
  const stages = await page.$$eval(tid('stage'), (s) => s.map((g) => g.dataset.id).sort());
  const edges = await page.$$eval(tid('edge'), (e) => e.map((g) => `${g.dataset.from} -> ${g.dataset.to}`).sort());
  return { stages, edges };
}

async function planRows(page) {
  return page.$$eval(tid('plan-row'), (rows) => rows.map((r) => ({
    stage: r.dataset.stage,
    memory_mb: Number(r.querySelector('[data-testid="cell-memory"]').textContent),
    d: Number(r.querySelector('[data-testid="cell-d"]').textContent),
  })));
}

// The fast flow. The EventBridge replay state machine has one Lambda stage (inside a Map with
// MaxConcurrency 40) and one service stage (events:putEvents, a fixed configuration), so the
// planner chooses among 80 memory sizes × 7 values of d for one stage: the exact frontier takes
// well under a second, and the app shows a plan on an app that computes the whole frontier
// first. Its Lambda function is the deployment placeholder `${functionArn}`; the log and the
// Power Tuning result are named after it (`functionArn.log`, `functionArn.url.txt`), which is
// how a file is mapped to a function by name.
const FAST_SM = path.join(DATA, 'asl/sfn-workflows-collection__eventbridge-replay-events__statemachine.asl.json');
const FAST_FILES = [
  { name: path.basename(FAST_SM), path: FAST_SM },
  { name: 'functionArn.log', path: path.join(DATA, 'report-logs/powertuning__test-utils.js__textLog.log') },
  { name: 'functionArn.url.txt', path: path.join(DATA, 'powertuning/powertuning__README__example-visualization-url.txt') },
];

test('a real state machine, log and Power Tuning result give the DAG, the runs and a plan; every deploy file is the CLI\'s bytes; the exported state machine gives the same DAG', async () => {
  const faasplan = cli();
  const page = await openPage(env.browser);
  await page.goto(env.base);
  await page.waitForSelector(tid('app'));
  await drop(page, FAST_FILES);
  // The DAG.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="stage"]').length === 2, null, { timeout: 30_000 });
  const before = await dag(page);
  assert.deepEqual(before.stages, ['Convert past event to today', 'Simulate Event']);
  assert.deepEqual(before.edges, ['Convert past event to today -> Simulate Event']);
  // The runs: 6 Power Tuning points and one logged cold run of the Lambda stage.
  await page.waitForSelector(tid('thin-data'));
  const runs = await page.$eval('[data-testid="coverage-Convert past event to today"]', (r) => r.querySelectorAll('td')[3].textContent);
  assert.equal(runs, '7', 'the 6 Power Tuning points and the logged run');
  // A plan.
  await page.waitForSelector(tid('plan-row'), { timeout: 120_000 });
  const rows = await planRows(page);
  assert.deepEqual(rows.map((r) => r.stage).sort(), before.stages);
  const lambda = rows.find((r) => r.stage === 'Convert past event to today');
  assert.ok(lambda.memory_mb >= 128 && lambda.memory_mb <= 10240 && [1, 2, 4, 8, 16, 32, 40].includes(lambda.d), JSON.stringify(lambda));
  await shot(page, 'imports-e-planned');

  // The plan JSON is the CLI's for the saved project at the same bound.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'faasplan-imports-'));
  const plan = await download(page, tid('export-plan'));
  const project = await download(page, tid('save-project'));
  const planFile = path.join(dir, 'plan.json');
  const projectFile = path.join(dir, 'project.json');
  await fs.writeFile(planFile, plan.text);
  await fs.writeFile(projectFile, project.text);
  const bound = JSON.parse(plan.text).settings.bound;
  const boundFlag = bound.type === 'latency' ? ['--latency-bound', String(bound.max_s)] : ['--cost-bound', String(bound.max_usd)];
  const cliPlan = execFileSync(faasplan, ['plan', '--project', projectFile, ...boundFlag], { encoding: 'utf8' });
  assert.equal(plan.text, cliPlan, 'the plan JSON bytes equal `faasplan plan` on the saved project');

  // Every deploy file equals `faasplan export` on that plan, byte for byte.
  const out = path.join(dir, 'deploy');
  execFileSync(faasplan, ['export', '--state-machine', FAST_SM, '--plan', planFile, '--out-dir', out], { stdio: 'pipe' });
  const names = ['statemachine.asl.json', 'parameters.txt', 'parameters.json', 'memory.auto.tfvars', 'update-memory.sh'];
  const files = {};
  for (const name of names) {
    const file = await download(page, tid(`deploy-${name}`));
    assert.equal(file.name, name);
    assert.equal(file.text, await fs.readFile(path.join(out, name), 'utf8'), `${name}: the bytes of faasplan export`);
    files[name] = file.text;
  }
  const machine = JSON.parse(files['statemachine.asl.json']);
  assert.equal(machine.States['For Each Event'].MaxConcurrency, lambda.d, 'the Map runs at the planned d');
  assert.match(files['update-memory.sh'], new RegExp(`--function-name '\\$\\{functionArn\\}' --memory-size ${lambda.memory_mb}\\n`));
  assert.match(files['memory.auto.tfvars'], new RegExp(`"\\$\\$\\{functionArn\\}" = ${lambda.memory_mb}`));
  assert.match(files['parameters.txt'], new RegExp(`FunctionArnMemorySize=${lambda.memory_mb}\\n$`));
  assert.deepEqual(page.errors, []);
  await page.context().close();

  // The exported state machine, dropped on a fresh page, gives the same DAG.
  const again = await openPage(env.browser);
  await again.goto(env.base);
  await again.waitForSelector(tid('app'));
  const exported = path.join(dir, 'statemachine.asl.json');
  await fs.writeFile(exported, files['statemachine.asl.json']);
  await drop(again, [{ name: 'statemachine.asl.json', path: exported }]);
  await again.waitForFunction(() => document.querySelectorAll('[data-testid="stage"]').length === 2, null, { timeout: 30_000 });
  assert.deepEqual(await dag(again), before);
  await shot(again, 'imports-f-reimported');
  assert.deepEqual(again.errors, []);
  await again.context().close();
  await fs.rm(dir, { recursive: true, force: true });
});

// The slow flow: the 6-stage ImageProcessing state machine with Power Tuning results of its
// functions, every stage on the 80 memory sizes from 128 MB to 10,240 MB. Its exact frontier
// takes minutes (more than 300 s in the planner alone), so the app solves the bound first and
// then fills the frontier in at the slider's resolution: the plan for the bound within
// PLAN_WAIT_MS of the DAG, the resolution frontier within RESOLUTION_WAIT_MS, and the page
// answers meanwhile (no main-thread task longer than LONG_TASK_MS). An app that computes the
// whole exact frontier before it shows a plan fails this test by timeout; it is not skipped.
const PLAN_WAIT_MS = 10_000;
const RESOLUTION_WAIT_MS = 30_000;
const LONG_TASK_MS = 200;

test('the imported 6-stage × 80-size workflow shows the plan for its bound within seconds and its resolution frontier soon after', { timeout: 120_000 }, async () => {
  const faasplan = cli();
  const page = await openPage(env.browser);
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(env.base);
  await page.waitForSelector(tid('app'));
  const files = [{ name: path.basename(SM), path: SM }, ...TUNING.map((p) => ({ name: path.basename(p), path: p })), LOG];
  await drop(page, files);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="stage"]').length === 6, null, { timeout: 30_000 });
  const t0 = Date.now();
  const since = await page.evaluate(() => performance.now());
  await page.waitForSelector(`${tid('plan-table')}[data-plan="solved"]`, { timeout: PLAN_WAIT_MS });
  const planMs = Date.now() - t0;
  const rows = await planRows(page);
  assert.deepEqual(rows.map((r) => r.stage).sort(), ['Filter', 'Flip', 'GetInput', 'GrayScale', 'Resize', 'Rotate']);
  for (const r of rows) assert.ok(r.memory_mb >= 128 && r.memory_mb <= 10240, JSON.stringify(r));
  await page.waitForSelector(`${tid('frontier-resolution')}[data-complete="true"]`, { timeout: RESOLUTION_WAIT_MS });
  const resolutionMs = Date.now() - t0;
  const unproven = Number(await page.getAttribute(tid('frontier-resolution'), 'data-unproven'));
  const label = await page.textContent(tid('frontier-resolution'));
  assert.match(label, unproven === 0 ? /Exact at this resolution: an optimal plan for each of 500 slider positions/
    : new RegExp(`At this resolution: an optimal plan for ${500 - unproven} of 500 slider positions; the other ${unproven} keep the best plan found`));
  await shot(page, 'imports-g-six-stages-planned');
  const long = await page.evaluate((since) => window.__longTasks.filter((t) => t.start >= since).map((t) => Math.round(t.ms)), since);
  console.log(`6-stage import: plan ${planMs} ms, resolution frontier ${resolutionMs} ms after the DAG; long tasks ${JSON.stringify(long)} ms`);
  assert.ok(long.every((ms) => ms <= LONG_TASK_MS), `the page stays responsive: long tasks ${JSON.stringify(long)} ms`);

  // The plan is the CLI's plan for the saved project at the same bound.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'faasplan-imports-'));
  const project = await download(page, tid('save-project'));
  const projectFile = path.join(dir, 'project.json');
  await fs.writeFile(projectFile, project.text);
  const bound = JSON.parse(project.text).settings.bound;
  const boundFlag = bound.type === 'latency' ? ['--latency-bound', String(bound.max_s)] : ['--cost-bound', String(bound.max_usd)];
  const cliPlan = JSON.parse(execFileSync(faasplan, ['plan', '--project', projectFile, ...boundFlag], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  assert.deepEqual(cliPlan.stages.map((s) => ({ stage: s.stage, memory_mb: s.memory_mb, d: s.d })).sort((a, b) => a.stage.localeCompare(b.stage)),
    [...rows].sort((a, b) => a.stage.localeCompare(b.stage)), 'the plan shown is `faasplan plan` for the same bound');
  assert.deepEqual(page.errors, []);
  await page.context().close();
  await fs.rm(dir, { recursive: true, force: true });
});
