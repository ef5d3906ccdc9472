#!/usr/bin/env node
// Where opening a profile spends its time: serves dist/ (scripts/build), plans the ML example,
// waits 3 s, opens a native CSV of RUNS runs (default 10,000; the example's runs repeated with
// ±6 % perturbations, as the open flow of e2e/real_use.test.mjs builds it) under a Chromium trace,
// and prints the page's and the workers' tasks of at least MIN_MS (default 50) and every User
// Timing measure (wire-decode, import-parse, draw-profile, ...) with its start after the pick.
// Usage: node scripts/open-trace.mjs [RUNS] [MIN_MS]   (trace kept in test-output/open-trace-RUNS.json)
import fs from 'node:fs/promises';
import path from 'node:path';
import { start, openPage, OUT } from '../e2e/support.mjs';

const runs = Number(process.argv[2] ?? 10000);
const minMs = Number(process.argv[3] ?? 50);
const tid = (id) => `[data-testid="${id}"]`;
const env = await start();
const page = await openPage(env.browser);
await page.addInitScript(() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration }); }).observe({ type: 'longtask', buffered: true });
});
await page.goto(env.base);
await page.selectOption(tid('examples-menu'), { label: 'ML pipeline' });
await page.waitForSelector(tid('plan-row'), { timeout: 120_000 });
await page.waitForTimeout(3000);
const [dl] = await Promise.all([page.waitForEvent('download'), page.click(tid('save-project'))]);
const project = JSON.parse(await fs.readFile(await dl.path(), 'utf8'));
const all = project.profiles.stages.flatMap((st) => st.runs.map((r) => [st.stage, r]));
const lines = ['stage,memory_mb,d,rep,cold,start_mean_s,start_p95_s,read_mean_s,read_p95_s,compute_mean_s,compute_p95_s,write_mean_s,write_p95_s'];
for (let i = 0; i < runs; i++) {
  const k = Math.floor(i / all.length);
  const [stage, r] = all[i % all.length];
  const j = 1 + 0.01 * ((k * 7919) % 13 - 6);
  const w = r.write ? `${r.write.mean_s * j},${r.write.p95_s * j}` : ',';
  lines.push(`${stage},${r.memory_mb},${r.d},${r.rep + 2 * k},${r.cold},${r.start.mean_s * j},${r.start.p95_s * j},${r.read.mean_s * j},${r.read.p95_s * j},${r.compute.mean_s * j},${r.compute.p95_s * j},${w}`);
}
const file = path.join(OUT, `open-trace-${runs}.csv`);
await fs.writeFile(file, lines.join('\n') + '\n');
const traceFile = path.join(OUT, `open-trace-${runs}.json`);
await env.browser.startTracing(page, { path: traceFile, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'toplevel'] });
const t0 = await page.evaluate(() => performance.now());
await page.setInputFiles(tid('open-file'), file);
await page.waitForFunction(() => performance.getEntriesByName('open-to-frontier').length > 0, null, { timeout: 600_000 });
const first = await page.evaluate(() => performance.getEntriesByName('open-to-frontier')[0].duration);
await page.waitForTimeout(4000);
await env.browser.stopTracing();
const longTasks = await page.evaluate((t0) => window.__longTasks.filter((t) => t.start >= t0).map((t) => [Math.round(t.start - t0), Math.round(t.ms)]), t0);
await fs.rm(file, { force: true });
await env.close();
console.log(`open-to-frontier ${Math.round(first)} ms; long tasks [start, ms]: ${JSON.stringify(longTasks)}`);

const trace = JSON.parse(await fs.readFile(traceFile, 'utf8'));
const ev = trace.traceEvents ?? trace;
const names = {};
for (const e of ev) if (e.ph === 'M' && e.name === 'thread_name') names[`${e.pid}:${e.tid}`] = e.args.name;
const pick = ev.find((e) => e.name === 'open-files' && e.cat?.includes('user_timing'));
const origin = pick ? pick.ts : 0;
const ms = (us) => Math.round(us / 1000);
const threads = {};
for (const e of ev) {
  const th = names[`${e.pid}:${e.tid}`] ?? '';
  if (e.ph === 'X' && e.dur && /CrRendererMain|DedicatedWorker/.test(th)) (threads[`${th} ${e.tid}`] ??= []).push(e);
}
for (const [th, list] of Object.entries(threads)) {
  // The outermost task only (Chromium nests a RunTask in a RunTask).
  const tasks = list.filter((e) => /RunTask/.test(e.name) && ms(e.dur) >= minMs && e.ts >= origin)
    .filter((e, i, all) => !all.some((o, j) => j !== i && o.ts <= e.ts && o.ts + o.dur >= e.ts + e.dur && (o.dur > e.dur || j < i)));
  if (!tasks.length) continue;
  console.log(`${th}: tasks of ${minMs} ms or more`);
  for (const t of tasks) {
    const inner = list.filter((e) => e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && !/RunTask/.test(e.name) && ms(e.dur) >= 5);
    console.log(`  +${ms(t.ts - origin)} ms, ${ms(t.dur)} ms: ${inner.slice(0, 6).map((e) => `${e.name} ${ms(e.dur)}`).join(' | ')}`);
  }
}
const begun = {};
console.log('measures [thread, name, start after the pick ms, duration ms]');
for (const e of ev.filter((e) => e.cat?.includes('user_timing')).sort((a, b) => a.ts - b.ts)) {
  const k = `${e.name}|${e.id ?? e.id2?.local}|${e.pid}`;
  if (e.ph === 'b') begun[k] = e;
  else if (e.ph === 'e' && begun[k] && begun[k].ts >= origin) {
    console.log(`  ${names[`${e.pid}:${e.tid}`] ?? ''}  ${e.name}  ${ms(begun[k].ts - origin)}  ${ms(e.ts - begun[k].ts)}`);
    delete begun[k];
  }
}
