/**
 * In-browser epoch time of the lab model (Flatten → Dense(128, relu) → Dense(10, softmax), adam, batch
 * 32, the full 60 000 Fashion-MNIST training images), measured in Debian's Chromium through the real
 * app: `normlab serve`, one Web Worker per run, probes on. Scenarios: one run alone on each backend,
 * and two runs side by side (what the lab view does by default).
 *
 *   node --import tsx bench/web-epoch.ts [--epochs 2] [--skip-reference] [--skip-study] [--json]
 *
 * Besides the epochs it measures the issue-13 targets of the static site: the first visit to an
 * interactive lab (navigation to the data panel saying where the data comes from, on localhost), input
 * latency while two runs train (keydown to its handler), and the Why? view's browser-sized study.
 *
 * Prints a table, and writes test-artifacts/web/web-epoch-bench.json. "epoch s" is the fit loop's own
 * measure of each epoch: every batch's forward, backward and update, the progress messages and the
 * diagnostics probes, but not the test-set evaluation after it; the first epoch includes the JIT warming
 * up. "wall s" is from pressing Start to the last run finishing: loading the engine, fetching, gunzipping
 * and verifying the dataset, all epochs and every test evaluation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, browserTestBlocker, ensureWebBuild, launchChromium, startServe } from '../test/e2e/web-harness.js';

interface Scenario {
  name: string;
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

const args = process.argv.slice(2);
const epochsArg = args.includes('--epochs') ? Number(args[args.indexOf('--epochs') + 1]) : 2;
const scenarios: Scenario[] = [
  { name: 'wasm, 1 run', backend: 'wasm', normalize: ['scale'], epochs: epochsArg },
  { name: 'wasm, 2 runs side by side', backend: 'wasm', normalize: ['none', 'scale'], epochs: epochsArg },
  ...(args.includes('--skip-reference') ? [] : [{ name: 'reference, 1 run', backend: 'reference' as const, normalize: ['scale'], epochs: 1 }]),
];

async function runScenario(page: Page, base: string, s: Scenario, during?: () => Promise<void>): Promise<{ runs: RunSnapshot[]; wallSeconds: number }> {
  await page.goto(`${base}?view=lab&backend=${s.backend}&normalize=${s.normalize.join(',')}&epochs=${s.epochs}`);
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
    if (snap.runs.length && !snap.running) return { runs: snap.runs, wallSeconds: (Date.now() - started) / 1000 };
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

async function main(): Promise<void> {
  const blocker = browserTestBlocker();
  if (blocker) throw new Error(`cannot run the browser bench: ${blocker}`);
  ensureWebBuild((line) => console.error(line));
  const server = await startServe();
  const browser = await launchChromium();
  const results: { scenario: string; wallSeconds: number; runs: RunSnapshot[] }[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const firstVisitMs = await firstVisit(await browser.newPage({ viewport: { width: 1366, height: 768 } }), server.url);
    let latencies: number[] = [];
    for (const s of scenarios) {
      console.error(`running: ${s.name} (${s.epochs} epoch${s.epochs > 1 ? 's' : ''})…`);
      const measure = s.normalize.length === 2 && s.backend === 'wasm';
      const { runs, wallSeconds } = await runScenario(
        page,
        server.url,
        s,
        measure
          ? async () => {
              await page.waitForFunction(() => document.querySelectorAll('.run-card[data-state=training]').length === 2, null, { timeout: 300_000 });
              latencies = await inputLatency(page);
            }
          : undefined,
      );
      results.push({ scenario: s.name, wallSeconds, runs });
    }
    const study = args.includes('--skip-study') ? undefined : await browserStudy(page, server.url);
    const userAgent = await page.evaluate(() => navigator.userAgent);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const report = { measuredAt: new Date().toISOString(), userAgent, hardwareConcurrency: cores, firstVisitMs, inputLatencyMs: latencies, study, results };
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'web-epoch-bench.json'), `${JSON.stringify(report, null, 2)}\n`);
    if (args.includes('--json')) {
      console.log(JSON.stringify(report));
    } else {
      console.log(`In-browser epoch time, Fashion-MNIST 60 000 images, ${userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'Chromium'}, ${cores} cores`);
      console.log('scenario                       run     backend     epoch s (each)          test acc   wall s');
      for (const r of results) {
        for (const run of r.runs) {
          console.log(
            `${r.scenario.padEnd(30)} ${run.transform.padEnd(7)} ${`${run.backend ?? '?'}${run.threads === 2 ? `×2 (${run.splitBatches} split)` : ''}`.padEnd(11)} ${run.epochSeconds
              .map((x) => x.toFixed(2))
              .join(', ')
              .padEnd(23)} ${(run.testAcc !== undefined ? `${(run.testAcc * 100).toFixed(2)}%` : '–').padEnd(10)} ${r.wallSeconds.toFixed(1)}`,
          );
        }
      }
      console.log(`first visit to an interactive lab: ${firstVisitMs.toFixed(0)} ms (target ≤ 2000)`);
      if (latencies.length)
        console.log(
          `input while 2 runs train, keydown → handler: max ${Math.max(...latencies).toFixed(1)} ms, median ${latencies.sort((a, b) => a - b)[latencies.length >> 1].toFixed(1)} ms (target ≤ 50)`,
        );
      if (study) console.log(`Why? browser-sized study: ${study.runs} runs in ${study.seconds.toFixed(1)} s (target ≤ 60)`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
