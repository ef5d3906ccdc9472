// End-to-end import of a user's own AWS files against the release build: a real Step Functions
// state machine, Power Tuning results and a Lambda REPORT log (from
// crates/faasplan-core/tests/data/imports) are dropped on the page together; the workflow, the
// profiles, the thin-data table and the deploy buttons appear. A file of another kind is
// refused with a message naming it, and nothing is lost. A Choice's probabilities are set in
// the stage inspector and saved in the project. Screenshots go to test-output/e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
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
