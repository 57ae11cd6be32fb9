/**
 * In-browser epoch time of the lab model (Flatten → Dense(128, relu) → Dense(10, softmax), adam, batch
 * 32, the full 60 000 Fashion-MNIST training images), measured in Debian's Chromium through the real
 * app, one Web Worker per run, probes on, beside the same model trained by Node in this process:
 *
 *   node --import tsx bench/web-epoch.ts [--epochs 2] [--skip reference,one-thread,side-by-side,node,study] [--json] [--out FILE]
 *
 * Scenarios (each can be skipped):
 *   wasm, 1 run            `normlab serve` (cross-origin isolated): one run, two threads when they win
 *   one-thread             the static site (`normlab site build --with-data`) on Python's http.server,
 *                          which sends no COOP/COEP: the same run on one thread
 *   side-by-side           two runs at once (none vs scale), as the lab does by default
 *   reference              one run, one epoch, on the reference backend
 *   node                   the same model in Node (bench/normlab.ts, the path of `normlab train`), threads
 *                          auto and one thread, timed between the browser scenarios so the ratio is taken
 *                          under the same load
 *   study                  the Why? view's browser-sized study
 * It also measures the first visit to an interactive lab and input latency while two runs train.
 *
 * Prints a table, and writes test-artifacts/web/web-epoch-bench.json (or --out). "epoch s" is the fit
 * loop's own measure of each epoch: every batch's forward, backward and update, the progress messages and
 * the diagnostics probes, but not the test-set evaluation after it; the first epoch includes the JIT
 * warming up, so "steady s" (the mean of the later epochs) is the figure to compare with Node's timed
 * epochs (which follow a warm-up fit). "wall s" is from pressing Start to the last run finishing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Page } from 'playwright-core';
import { integer } from '../src/cli/options.js';
import { FASHION_DIR } from '../test/shared-data.js';
import { ARTIFACTS, browserTestBlocker, ensureWebBuild, launchChromium, startServe } from '../test/e2e/web-harness.js';
import { buildSiteCli, startStaticServer } from '../test/e2e/web-static-harness.js';
import { registerNodeBackends } from '../src/node.js';
import { registerBackend } from '../src/engine/backends/registry.js';
import { loadWasmBackendSync } from '../src/engine/backends/wasm/node.js';
import { loadFashion } from './data.js';
import { timeNormlab } from './normlab.js';
import { mean, type EngineTiming } from './timing.js';

const PARTS = ['reference', 'one-thread', 'side-by-side', 'node', 'study'] as const;
type Part = (typeof PARTS)[number];

interface Flags {
  epochs: number;
  skip: Part[];
  json: boolean;
  out: string;
  dataDir?: string;
}

function partList(value: string): Part[] {
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new InvalidArgumentError(`unknown part '${p}'; use some of ${PARTS.join(', ')}.`);
  return parts as Part[];
}

const program = new Command('bench/web-epoch.ts')
  .description('time the lab model in headless Chromium (the real app, Web Workers) beside the same model in Node')
  .option('--epochs <n>', 'epochs of each wasm run (the first includes the JIT warming up)', integer(1, 20), 2)
  .option('--skip <parts>', `leave out some of: ${PARTS.join(', ')}`, partList, [] as Part[])
  .option('--data-dir <dir>', 'folder with the Fashion-MNIST files, for Node and the static site', FASHION_DIR)
  .option('--json', 'print one JSON object instead of the table', false)
  .option('--out <file>', 'where to write the JSON result', join(ARTIFACTS, 'web-epoch-bench.json'));

interface Scenario {
  name: string;
  /** 'serve': normlab serve (isolated); 'static': the static site on python3 -m http.server (not isolated). */
  host: 'serve' | 'static';
  backend: 'wasm' | 'reference';
  normalize: string[];
  epochs: number;
}

interface RunSnapshot {
  transform: string;
  state: string;
  backend?: string;
  epochsDone: number;
  epochSeconds: number[];
  testAcc?: number;
  threads?: 1 | 2;
  splitBatches?: number;
}

async function runScenario(
  page: Page,
  base: string,
  s: Scenario,
  during?: () => Promise<void>,
): Promise<{ runs: RunSnapshot[]; wallSeconds: number; isolated: boolean }> {
  await page.goto(`${base}?view=lab&backend=${s.backend}&normalize=${s.normalize.join(',')}&epochs=${s.epochs}`);
  await page.waitForFunction(() => (document.querySelector('#data-status')?.textContent ?? '') !== '');
  await page.getByRole('button', { name: 'Start' }).click();
  const started = Date.now();
  if (during) await during();
  const deadline = Date.now() + 600_000;
  for (;;) {
    const snap = (await page.evaluate(() => (window as unknown as { normlab: { lab: { snapshot(): unknown } } }).normlab.lab.snapshot())) as {
      running: boolean;
      runs: RunSnapshot[];
    };
    if (snap.runs.some((r) => r.state === 'error')) throw new Error(`${s.name}: a run failed: ${await page.locator('.run-status').allTextContents()}`);
    if (snap.runs.length && !snap.running)
      return { runs: snap.runs, wallSeconds: (Date.now() - started) / 1000, isolated: await page.evaluate(() => crossOriginIsolated) };
    if (Date.now() > deadline) throw new Error(`${s.name}: not done after 10 minutes`);
    await page.waitForTimeout(500);
  }
}

/** Keydown → handler delays (ms) for 12 keys typed into the seed field while runs train. */
async function inputLatency(page: Page): Promise<number[]> {
  await page.evaluate(() => {
    const w = window as unknown as { delays: number[] };
    w.delays = [];
    document.querySelector('#lab-seed')!.addEventListener('keydown', (e) => w.delays.push(performance.now() - e.timeStamp));
  });
  await page.focus('#lab-seed');
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press(i % 2 === 0 ? '7' : 'Backspace');
    await page.waitForTimeout(100);
  }
  return page.evaluate(() => (window as unknown as { delays: number[] }).delays);
}

/** Navigation start → the data panel saying where the data comes from (the lab is usable from then on). */
async function firstVisit(page: Page, base: string): Promise<number> {
  await page.goto(`${base}?view=lab`);
  await page.waitForFunction(() => (document.querySelector('#data-status')?.textContent ?? '') !== '');
  return page.evaluate(() => performance.now());
}

/** The Why? view's default (browser-sized) study: seconds from Run to the findings. */
async function browserStudy(page: Page, base: string): Promise<{ runs: number; seconds: number }> {
  await page.goto(`${base}?view=why`);
  await page.getByRole('button', { name: 'Run the study' }).click();
  await page.waitForFunction(() => (window as unknown as { normlab: { why: { snapshot(): { runs: number } } } }).normlab.why.snapshot().runs > 0, null, {
    timeout: 900_000,
  });
  return page.evaluate(() => (window as unknown as { normlab: { why: { snapshot(): { runs: number; seconds: number } } } }).normlab.why.snapshot());
}

/** Mean of the epochs after the first (the first includes the JIT warming up); all of them when there is one. */
function steady(seconds: number[]): number {
  return mean(seconds.length > 1 ? seconds.slice(1) : seconds);
}

interface BrowserResult {
  scenario: string;
  host: Scenario['host'];
  isolated: boolean;
  wallSeconds: number;
  runs: RunSnapshot[];
}

async function main(flags: Flags): Promise<void> {
  const blocker = browserTestBlocker();
  if (blocker) throw new Error(`cannot run the browser bench: ${blocker}`);
  const skip = new Set(flags.skip);
  const log = (line: string) => console.error(line);
  ensureWebBuild(log);
  const loadAtStart = loadavg()[0];
  const scenarios: Scenario[] = [
    { name: 'wasm, 1 run', host: 'serve', backend: 'wasm', normalize: ['scale'], epochs: flags.epochs },
    ...(skip.has('one-thread')
      ? []
      : [{ name: 'wasm, 1 run, static site', host: 'static' as const, backend: 'wasm' as const, normalize: ['scale'], epochs: flags.epochs }]),
    ...(skip.has('side-by-side')
      ? []
      : [{ name: 'wasm, 2 runs side by side', host: 'serve' as const, backend: 'wasm' as const, normalize: ['none', 'scale'], epochs: flags.epochs }]),
    ...(skip.has('reference') ? [] : [{ name: 'reference, 1 run', host: 'serve' as const, backend: 'reference' as const, normalize: ['scale'], epochs: 1 }]),
  ];
  let work: string | undefined;
  const server = await startServe();
  const statics = skip.has('one-thread')
    ? undefined
    : await (async () => {
        work = mkdtempSync(join(tmpdir(), 'normlab-bench-site-'));
        buildSiteCli(join(work, 'site'), ['--with-data', 'fashion-mnist', '--data-dir', flags.dataDir ?? FASHION_DIR]);
        return startStaticServer(join(work, 'site'));
      })();
  const browser = await launchChromium();
  const results: BrowserResult[] = [];
  const node: EngineTiming[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const firstVisitMs = await firstVisit(await browser.newPage({ viewport: { width: 1366, height: 768 } }), server.url);
    let latencies: number[] = [];
    const runBrowser = async (s: Scenario) => {
      log(`running: ${s.name} (${s.epochs} epoch${s.epochs > 1 ? 's' : ''})…`);
      const measure = s.normalize.length === 2 && s.backend === 'wasm';
      const base = s.host === 'static' ? statics!.url : server.url;
      const r = await runScenario(
        page,
        base,
        s,
        measure
          ? async () => {
              await page.waitForFunction(() => document.querySelectorAll('.run-card[data-state=training]').length === 2, null, { timeout: 300_000 });
              latencies = await inputLatency(page);
            }
          : undefined,
      );
      results.push({ scenario: s.name, host: s.host, ...r });
    };
    // Browser, then Node, then the other browser scenarios: the one-run browser figure and Node's are
    // taken minutes apart at most, under the same load.
    await runBrowser(scenarios[0]);
    if (!skip.has('node')) {
      const data = await loadFashion(flags.dataDir);
      const plan = { warmupRows: 6000, timedRows: data.train.count, epochs: flags.epochs };
      log('running: Node, wasm threads auto…');
      node.push(await timeNormlab('wasm', 'float32', data, plan, 'Node wasm (threads auto)'));
      log('running: Node, wasm one thread…');
      node.push(await timeNormlab('wasm-1-thread', 'float32', data, plan, 'Node wasm (1 thread)'));
    }
    for (const s of scenarios.slice(1)) await runBrowser(s);
    const study = skip.has('study') ? undefined : await browserStudy(page, server.url);
    const userAgent = await page.evaluate(() => navigator.userAgent);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const pick = (name: string) => results.find((r) => r.scenario === name)?.runs[0];
    const two = pick('wasm, 1 run');
    const one = pick('wasm, 1 run, static site');
    const ratios = {
      browserTwoThreadsOverNodeAuto: two && node[0] ? steady(two.epochSeconds) / mean(node[0].timed.epochSeconds) : undefined,
      browserOneThreadOverNodeOneThread: one && node[1] ? steady(one.epochSeconds) / mean(node[1].timed.epochSeconds) : undefined,
    };
    const report = {
      measuredAt: new Date().toISOString(),
      loadAverage: { atStart: loadAtStart, atEnd: loadavg()[0] },
      userAgent,
      hardwareConcurrency: cores,
      firstVisitMs,
      inputLatencyMs: latencies,
      study,
      results,
      node: node.map((n) => ({ name: n.name, epochSeconds: n.timed.epochSeconds, testAcc: n.testAcc })),
      ratios,
    };
    mkdirSync(dirname(flags.out), { recursive: true });
    writeFileSync(flags.out, `${JSON.stringify(report, null, 2)}\n`);
    if (flags.json) {
      console.log(JSON.stringify(report));
      return;
    }
    console.log(
      `In-browser epoch time, Fashion-MNIST 60 000 images, ${userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'Chromium'}, ${cores} cores, load average ${loadAtStart.toFixed(1)} → ${report.loadAverage.atEnd.toFixed(1)}`,
    );
    console.log('scenario                       run     isolated backend            epoch s (each)          steady s  test acc   wall s');
    for (const r of results) {
      for (const run of r.runs) {
        console.log(
          `${r.scenario.padEnd(30)} ${run.transform.padEnd(7)} ${String(r.isolated).padEnd(8)} ${`${run.backend ?? '?'}${run.threads === 2 ? `×2 (${run.splitBatches} split)` : '×1'}`.padEnd(18)} ${run.epochSeconds
            .map((x) => x.toFixed(2))
            .join(', ')
            .padEnd(
              23,
            )} ${steady(run.epochSeconds).toFixed(2).padEnd(9)} ${(run.testAcc !== undefined ? `${(run.testAcc * 100).toFixed(2)}%` : '–').padEnd(10)} ${r.wallSeconds.toFixed(1)}`,
        );
      }
    }
    for (const n of node) {
      console.log(
        `${n.name.padEnd(30)} scale   –        wasm               ${n.timed.epochSeconds
          .map((x) => x.toFixed(2))
          .join(', ')
          .padEnd(23)} ${mean(n.timed.epochSeconds).toFixed(2).padEnd(9)} ${(n.testAcc * 100).toFixed(2)}%`,
      );
    }
    if (ratios.browserTwoThreadsOverNodeAuto !== undefined)
      console.log(`browser (isolated, 1 run) / Node (threads auto), steady epochs: ${ratios.browserTwoThreadsOverNodeAuto.toFixed(2)}×`);
    if (ratios.browserOneThreadOverNodeOneThread !== undefined)
      console.log(`browser (static site, 1 thread) / Node (1 thread), steady epochs: ${ratios.browserOneThreadOverNodeOneThread.toFixed(2)}×`);
    console.log(`first visit to an interactive lab: ${firstVisitMs.toFixed(0)} ms (target ≤ 2000)`);
    if (latencies.length)
      console.log(
        `input while 2 runs train, keydown → handler: max ${Math.max(...latencies).toFixed(1)} ms, median ${latencies.sort((a, b) => a - b)[latencies.length >> 1].toFixed(1)} ms (target ≤ 50)`,
      );
    if (study) console.log(`Why? browser-sized study: ${study.runs} runs in ${study.seconds.toFixed(1)} s (target ≤ 60)`);
  } finally {
    await browser.close();
    await Promise.all([server.close(), statics?.close()]);
    if (work) rmSync(work, { recursive: true, force: true });
  }
}

registerNodeBackends();
// The wasm backend pinned to one thread, as bench/index.ts registers it: what one thread does in Node.
registerBackend('wasm-1-thread', () => loadWasmBackendSync({ threads: 1 }));
const flags = program.parse(process.argv).opts<Flags>();
main(flags).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
