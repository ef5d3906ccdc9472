// The loop with a real executor, end to end in Chromium: the test starts the local executor
// (release build of crates/faasplan-executor, a free port, this page's origin allowed, a token),
// opens the executor's example workflow with no profiles, profiles a first design through the
// Executor panel, plans, runs the plan, and checks that profiles come back, the frontier changes
// and predicted vs measured figures appear. Also `faasplan run` against the same executor.
// Run against the release builds (scripts/build and scripts/test build them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { start, openPage, shot, ROOT } from './support.mjs';

const run = promisify(execFile);
// FAASPLAN_EXECUTOR may name another build of the executor binary.
const EXECUTOR = process.env.FAASPLAN_EXECUTOR ?? path.join(ROOT, 'target', 'release', 'faasplan-executor');
const CLI = path.join(ROOT, 'target', 'release', 'faasplan');
const WORKFLOW = path.join(ROOT, 'crates', 'faasplan-executor', 'example', 'sort-compress.json');
const TOKEN = 'e2e-token-7f3a9c';

const tid = (id) => `[data-testid="${id}"]`;

let env;
let executor;
let dir;

/** Starts the executor on a free port; resolves with { url, process } once it listens. */
async function startExecutor(origin) {
  const tokenFile = path.join(dir, 'token');
  await fs.writeFile(tokenFile, `${TOKEN}\n`);
  const child = spawn(EXECUTOR, ['--bind', '127.0.0.1:0', '--allow-origin', origin,
    '--token-file', tokenFile, '--work-dir', path.join(dir, 'work')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the executor did not start: ${log}`)), 60_000);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /listening on (http:\/\/[0-9.:]+)\s/.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => reject(new Error(`the executor exited with ${code}: ${log}`)));
  });
  child.log = () => log;
  return { url, child };
}

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'faasplan-e2e-executor-'));
  env = await start();
  executor = await startExecutor(new URL(env.base).origin);
});
after(async () => {
  executor?.child.kill('SIGTERM');
  await env?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** The executor's example workflow as a project with no profiles yet. */
async function exampleProject() {
  const workflow = JSON.parse(await fs.readFile(WORKFLOW, 'utf8'));
  return {
    format: 'faasplan-project',
    version: 1,
    workflow,
    profiles: { mb_per_vcpu: 1769.0, stages: [] },
    platform: {
      name: 'AWS Lambda x86_64', price_per_gb_s: 1.66667e-05, price_per_request: 2e-07,
      mb_per_vcpu: 1769.0, min_memory_mb: 128, max_memory_mb: 10240, billing_granularity_ms: 1.0,
      timeout_s: 900.0, concurrency_limit: 1000,
    },
    settings: {
      bound: { type: 'latency', max_s: 600.0 }, percentile: 0.95, delta: 0.001, alpha: 0.0,
      samples: { type: 'auto' }, seed: 1, fresh_samples: { type: 'auto' },
    },
  };
}

async function setField(page, id, value) {
  await page.fill(tid(id), String(value));
  await page.press(tid(id), 'Tab');
}

/** Waits until no executor run is in flight; returns the newest timeline row's outcome. */
async function runEnds(page) {
  await page.waitForFunction(() => !document.querySelector('[data-testid="executor-progress"]')
    && document.querySelector('[data-testid="executor-run-row"]'), null, { timeout: 600_000 });
  return page.textContent(`${tid('executor-run-row')} ${tid('executor-run-outcome')}`);
}

async function frontierText(page) {
  const table = page.locator(tid('frontier-table'));
  if (!(await table.evaluate((d) => d.open))) await table.locator('summary').click();
  return table.textContent();
}

test('the Executor panel profiles the example, runs the plan, and sets measured against predicted', async () => {
  const page = await openPage(env.browser, { width: 1400, height: 1000 });
  await page.goto(env.base);
  const project = await exampleProject();
  await page.setInputFiles(tid('open-file'), {
    name: 'sort-compress.faasplan.json', mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(project)),
  });
  await page.waitForSelector(tid('executor-url'));

  // A wrong token is refused clearly.
  // The panel renders while the opened project is still being checked; on a loaded machine a
  // re-render may land between filling the fields and the click, so fill and ask again until
  // the executor's answer shows (each attempt waits for an answer, not for a fixed time).
  for (let attempt = 1; ; attempt++) {
    await setField(page, 'executor-url', executor.url);
    await setField(page, 'executor-token', 'wrong');
    await page.click(tid('executor-test'));
    try {
      await page.waitForFunction(() => /401/.test(document.querySelector('[data-testid="executor-connection"]')?.textContent ?? ''),
        null, { timeout: 20_000 });
      break;
    } catch (e) {
      if (attempt >= 4) throw e;
    }
  }
  await shot(page, 'executor-401');

  await setField(page, 'executor-token', TOKEN);
  await page.click(tid('executor-test'));
  await page.waitForFunction(() => /^Connected/.test(document.querySelector('[data-testid="executor-connection"]')?.textContent ?? ''));
  assert.match(await page.textContent(tid('executor-connection')), /local backend/);
  assert.equal(await page.$(tid('executor-missing')), null, 'the executor runs every stage of the example');

  // Profile a first design (no plan yet).
  await setField(page, 'executor-repetitions', 2);
  await setField(page, 'executor-workload', 256);
  await page.click('.executor-profile summary');
  await page.click(tid('executor-fill'));
  const configs = await page.inputValue(tid('executor-configs'));
  assert.ok(configs.trim().split('\n').length >= 3, configs);
  await page.click(tid('executor-profile'));
  await page.waitForSelector(tid('executor-progress'));
  await shot(page, 'executor-progress');
  assert.match(await runEnds(page), /^done, \d+ stage runs added/);

  // The returned profiles make a frontier and a plan.
  await page.waitForSelector(tid('plan-row'), { timeout: 300_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid="frontier-progress"]'), null, { timeout: 300_000 });
  const before = await frontierText(page);
  await shot(page, 'executor-profiled');

  // Run the plan; the predicted and measured figures sit side by side.
  await page.click(tid('executor-run-plan'));
  assert.match(await runEnds(page), /^done, \d+ stage runs added/);
  const row = page.locator(tid('executor-run-row')).first();
  const cell = async (id) => (await row.locator(tid(id)).textContent()).trim();
  for (const id of ['predicted-pq', 'measured-pq', 'measured-p50', 'predicted-cost', 'measured-cost']) {
    assert.match(await cell(id), /\d/, `${id}: ${await cell(id)}`);
  }
  assert.match(await cell('measured-p50'), /^\d+\.\d\d s$/);

  // The plan run's rows join the profiles: the frontier is computed again and changes.
  await page.waitForFunction(() => !document.querySelector('[data-testid="frontier-progress"]')
    && document.querySelector('[data-testid="plan-row"]'), null, { timeout: 300_000 });
  let after = await frontierText(page);
  for (let i = 0; i < 120 && after === before; i++) {
    await page.waitForTimeout(500);
    after = await frontierText(page);
  }
  assert.notEqual(after, before, 'the frontier changed after the measured runs were added');
  await shot(page, 'executor-predicted-vs-measured');

  // The browser logs the refused wrong-token request itself; nothing else may fail.
  assert.deepEqual(page.errors.filter((e) => !/status of 401/.test(e)), []);
  await page.context().close();
});

test('faasplan run profiles configurations on the executor and writes the CSV', async () => {
  const tokenFile = path.join(dir, 'token');
  const list = path.join(dir, 'configs.txt');
  await fs.writeFile(list, 'split=512x1, sort=512x2, compress=512x2, merge=512x1\n'
    + 'split=1024x1, sort=1024x4, compress=1024x4, merge=1024x1\n');
  const out = path.join(dir, 'profiles.csv');
  const project = path.join(dir, 'project.json');
  await fs.writeFile(project, JSON.stringify(await exampleProject()));
  const { stderr } = await run(CLI, ['run', '--executor', executor.url, '--token-file', tokenFile,
    '--project', project, '--configurations', list, '--repetitions', '2',
    '--workload-bytes', '65536', '--out', out, '--poll-ms', '100'], { timeout: 300_000 });
  assert.match(stderr, /backend local/);
  assert.match(stderr, /measured \(4 executions/);
  assert.ok(!stderr.includes(TOKEN), 'the token is never printed');
  const csv = await fs.readFile(out, 'utf8');
  const lines = csv.trim().split('\n');
  assert.match(lines[0], /^stage,memory_mb,d,rep,cold,/);
  // 2 configurations × 2 repetitions × 4 stages.
  const rows = lines.filter((l) => /^(split|sort|compress|merge),/.test(l));
  assert.equal(rows.length, 16, csv);
  for (const stage of ['split', 'sort', 'compress', 'merge']) {
    assert.ok(rows.some((l) => l.startsWith(`${stage},`)), `${stage} in ${csv}`);
  }
});
