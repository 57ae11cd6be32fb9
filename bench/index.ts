/**
 * `npm run bench`: the lab model (Flatten → Dense(128, relu) → Dense(10, softmax), adam, batch 32) on
 * Fashion-MNIST's 60,000 training images, in one process: normlab wasm (float32, float64; each as a
 * training run gets it by default — threads: auto, which shares batches between two threads when that
 * measures faster — and on one thread), normlab reference, and TensorFlow.js with its WASM backend —
 * each one warm-up fit, then timed epochs — plus predict throughput, peak RSS, and a sweep of 8
 * configurations × 3 epochs on a worker pool.
 *
 *   npm run bench [-- --json] [--quick] [--epochs 3] [--slow-epochs 1] [--skip reference,tfjs,float64,one-thread,sweep,why] [--out f.json]
 *
 * `why`: the normlab why study, --quick and (unless --quick) the default, wall and CPU time (bench/why.ts).
 *   npm run bench -- grading [...]   the course-scale grading benchmark instead (bench/grading.ts)
 *   npm run bench [-- --json] [--quick] [--epochs 3] [--slow-epochs 1] [--skip reference,tfjs,float64,one-thread,sweep,layers] [--out f.json]
 *
 * (`npm run -s bench -- --json` keeps npm's own banner out of the JSON on stdout; progress goes to stderr.)
 *
 * Timings are wall-clock seconds of the fit loop's epochs; "cpu s" is this process's CPU time over the
 * same fits, which other processes on a busy machine inflate less. Run on an otherwise idle machine for
 * numbers to quote.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { registerNodeBackends } from '../src/node.js';
import { getBackendName, registerBackend } from '../src/engine/backends/registry.js';
import { loadWasmBackendSync } from '../src/engine/backends/wasm/node.js';
import { defaultWorkerCount } from '../src/engine/parallel/index.js';
import { isNormlabError } from '../src/errors.js';
import { loadFashion } from './data.js';
import { timeNormlab, type RunPlan } from './normlab.js';
import { runSweep, type SweepResult } from './sweep.js';
import { timeWhy, type WhyTiming } from './why.js';
import { loadTfjsWasm, timeTfjs, type TfjsInfo } from './tfjs.js';
import { peakRssMB, type EngineTiming } from './timing.js';

registerNodeBackends();

const PARTS = ['float64', 'one-thread', 'reference', 'tfjs', 'sweep', 'layers', 'why'] as const;

// The wasm backend pinned to one thread, to show what the second thread adds to a single run.
registerBackend('wasm-1-thread', () => loadWasmBackendSync({ threads: 1 }));
type Part = (typeof PARTS)[number];

interface Flags {
  json: boolean;
  quick: boolean;
  epochs?: number;
  slowEpochs: number;
  skip: Part[];
  workers: number;
  dataDir?: string;
  out?: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

function partList(value: string): Part[] {
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new InvalidArgumentError(`unknown part '${p}'; use ${PARTS.join(', ')}`);
  return parts as Part[];
}

const program = new Command('bench')
  .description('time the lab model on normlab wasm, normlab reference and TensorFlow.js (wasm), and a parallel sweep')
  .option('--json', 'print one JSON object instead of the table', false)
  .option('--quick', 'a short run: 1 timed wasm epoch; reference, tfjs and the sweep on the first 6,000 images (scaled to 60,000)', false)
  .option('--epochs <n>', 'timed epochs of normlab wasm (default 3, --quick 1)', positiveInt)
  .option('--slow-epochs <n>', 'timed epochs of the reference backend and tfjs', positiveInt, 1)
  .option('--skip <parts>', `leave out some of: ${PARTS.join(', ')}`, partList, [] as Part[])
  .option('--workers <n>', 'worker threads of the sweep', positiveInt, defaultWorkerCount())
  .option('--data-dir <dir>', 'folder with the Fashion-MNIST IDX files')
  .option('--out <file>', 'also write the JSON result to this file');

async function main(flags: Flags): Promise<void> {
  const log = (line: string) => {
    if (!flags.json) console.error(line);
  };
  const load = loadavg()[0];
  const data = await loadFashion(flags.dataDir);
  const full = data.train.count;
  const quickRows = Math.min(6000, full);
  const wasmPlan: RunPlan = { warmupRows: full, timedRows: full, epochs: flags.epochs ?? (flags.quick ? 1 : 3) };
  const slowPlan: RunPlan = { warmupRows: Math.min(2000, full), timedRows: flags.quick ? quickRows : full, epochs: flags.slowEpochs };
  const skip = new Set(flags.skip);
  if (getBackendName() !== 'wasm') throw new Error('the wasm backend is not available: run `npm run build:wasm` first');

  const engines: EngineTiming[] = [];
  const run = async (what: string, fn: () => Promise<EngineTiming>) => {
    log(`bench: ${what} …`);
    const t = await fn();
    engines.push(t);
    log(`bench: ${what}: ${t.secondsPerEpoch.toFixed(2)} s/epoch${t.extrapolated ? ` (from ${t.timed.rows} rows)` : ''}`);
    return t;
  };
  const f32 = await run('normlab wasm float32', () => timeNormlab('wasm', 'float32', data, wasmPlan));
  // the training run's footprint, before anything else in this process grows it
  const trainingPeakRssMB = peakRssMB();
  // issue 11: the normalization answers inside the model, side by side with the fused x / 255 row above
  const layerRows = !skip.has('layers');
  const rescaling = layerRows
    ? await run('normlab wasm float32, rescaling(1/255) in the model', () =>
        timeNormlab('wasm', 'float32', data, wasmPlan, 'normlab wasm float32, rescaling(1/255) in the model', 'rescaling'),
      )
    : undefined;
  const batchNorm = layerRows
    ? await run('normlab wasm float32, batchNormalization after dense 1', () =>
        timeNormlab('wasm', 'float32', data, wasmPlan, 'normlab wasm float32, batchNormalization after dense 1', 'batchnorm'),
      )
    : undefined;
  const oneThread = !skip.has('one-thread');
  const f32one = oneThread
    ? await run('normlab wasm float32 (1 thread)', () => timeNormlab('wasm-1-thread', 'float32', data, wasmPlan, 'normlab wasm float32 (1 thread)'))
    : undefined;
  const f64 = skip.has('float64') ? undefined : await run('normlab wasm float64', () => timeNormlab('wasm', 'float64', data, wasmPlan));
  const f64one =
    f64 && oneThread
      ? await run('normlab wasm float64 (1 thread)', () => timeNormlab('wasm-1-thread', 'float64', data, wasmPlan, 'normlab wasm float64 (1 thread)'))
      : undefined;
  const reference = skip.has('reference') ? undefined : await run('normlab reference float32', () => timeNormlab('reference', 'float32', data, slowPlan));
  let tfjsInfo: TfjsInfo | undefined;
  let tfjs: EngineTiming | undefined;
  let tfjsBatchNorm: EngineTiming | undefined;
  if (!skip.has('tfjs')) {
    const loaded = await loadTfjsWasm();
    tfjsInfo = loaded.info;
    tfjs = await run(`tfjs ${tfjsInfo.version} wasm`, () => timeTfjs(loaded.tf, data, slowPlan));
    if (layerRows)
      tfjsBatchNorm = await run(`tfjs ${tfjsInfo.version} wasm, batchNormalization after dense 1`, () => timeTfjs(loaded.tf, data, slowPlan, true));
  }
  let sweep: SweepResult | undefined;
  if (!skip.has('sweep')) {
    log(`bench: sweep of 8 configurations × 3 epochs on ${flags.workers} worker threads …`);
    sweep = await runSweep(data, {
      workers: flags.workers,
      epochs: 3,
      trainRows: flags.quick ? quickRows : full,
      onProgress: (done, total) => log(`bench: sweep ${done}/${total}`),
    });
  }

  // The why study: --quick always, the default study unless the bench itself is --quick.
  const why: WhyTiming[] = [];
  if (!skip.has('why')) {
    for (const quick of flags.quick ? [true] : [true, false]) {
      log(`bench: normlab why${quick ? ' --quick' : ''} on ${flags.workers} worker threads …`);
      why.push(await timeWhy(quick, flags.workers, (done, total) => log(`bench: why ${done}/${total}`)));
    }
  }

  const ratios = {
    tfjsOverWasm: tfjs ? tfjs.secondsPerEpoch / f32.secondsPerEpoch : null,
    referenceOverWasm: reference ? reference.secondsPerEpoch / f32.secondsPerEpoch : null,
    float64OverFloat32: f64 ? f64.secondsPerEpoch / f32.secondsPerEpoch : null,
    tfjsOverWasmCpu: tfjs ? tfjs.cpuSecondsPerEpoch / f32.cpuSecondsPerEpoch : null,
    // what sharing batches between two threads gives a single run (1-thread time / default time)
    threadsSpeedupFloat32: f32one ? f32one.secondsPerEpoch / f32.secondsPerEpoch : null,
    threadsSpeedupFloat64: f64 && f64one ? f64one.secondsPerEpoch / f64.secondsPerEpoch : null,
    tfjsOverWasmOneThread: tfjs && f32one ? tfjs.secondsPerEpoch / f32one.secondsPerEpoch : null,
    float64OverFloat32OneThread: f32one && f64one ? f64one.secondsPerEpoch / f32one.secondsPerEpoch : null,
    rescalingOverFused: rescaling ? rescaling.secondsPerEpoch / f32.secondsPerEpoch : null,
    batchNormOverPlain: batchNorm ? batchNorm.secondsPerEpoch / f32.secondsPerEpoch : null,
    tfjsBatchNormOverWasmBatchNorm: tfjsBatchNorm && batchNorm ? tfjsBatchNorm.secondsPerEpoch / batchNorm.secondsPerEpoch : null,
  };
  const targets = {
    wasmAtMost1SecondPerEpoch: f32.secondsPerEpoch <= 1,
    atLeast15xTfjs: ratios.tfjsOverWasm === null ? null : ratios.tfjsOverWasm >= 15,
    float64AtMost2_5xFloat32: ratios.float64OverFloat32 === null ? null : ratios.float64OverFloat32 <= 2.5,
    trainingPeakRssAtMost300MB: trainingPeakRssMB <= 300,
    whyQuickAtMost10s: why.find((w) => w.name === 'why --quick') ? why.find((w) => w.name === 'why --quick')!.wallSeconds <= 10 : null,
    whyDefaultAtMost90s: why.find((w) => w.name === 'why (default)') ? why.find((w) => w.name === 'why (default)')!.wallSeconds <= 90 : null,
    rescalingWithin5PercentOfFused: ratios.rescalingOverFused === null ? null : ratios.rescalingOverFused <= 1.05,
    batchNormAtMost1_5xPlain: ratios.batchNormOverPlain === null ? null : ratios.batchNormOverPlain <= 1.5,
  };
  const result = {
    schema: 'normlab-bench/1',
    date: new Date().toISOString(),
    machine: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadAverageAtStart: load },
    model: { layers: '784 → 128 relu → 10 softmax', optimizer: 'adam 0.001', batchSize: 32, normalize: 'x / 255' },
    data: { dataset: data.train.name, verified: data.train.verified && data.test.verified, trainCount: data.train.count, testCount: data.test.count },
    quick: flags.quick,
    engines,
    tfjs: tfjsInfo ?? null,
    ratios,
    trainingPeakRssMB,
    peakRssMB: peakRssMB(),
    sweep: sweep ?? null,
    why,
    targets,
  };
  if (flags.out) writeFileSync(flags.out, `${JSON.stringify(result, null, 2)}\n`);
  if (flags.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  printTable(result, engines, sweep);
  for (const w of why) {
    console.log(
      `${w.name}: ${w.runs} runs (${w.seeds} seeds) on ${w.workers} worker threads: ${w.wallSeconds.toFixed(1)} s wall, ${w.cpuSeconds.toFixed(1)} cpu s ` +
        `(${(w.cpuSeconds / w.workers).toFixed(1)} s per worker thread if nothing else ran); budget ${w.budgetSeconds} s`,
    );
  }
}

function printTable(
  result: {
    machine: { cpu: string; cores: number; node: string; loadAverageAtStart: number };
    ratios: Record<string, number | null>;
    trainingPeakRssMB: number;
    targets: Record<string, boolean | null>;
  },
  engines: EngineTiming[],
  sweep?: SweepResult,
): void {
  const fmt = (n: number, digits = 2) => n.toFixed(digits);
  const int = (n: number) => Math.round(n).toLocaleString('en-US');
  const { machine } = result;
  console.log('normlab bench — Flatten → Dense(128, relu) → Dense(10, softmax), adam 0.001, batch 32, Fashion-MNIST (x / 255)');
  console.log(
    `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load average ${fmt(machine.loadAverageAtStart)} at the start${machine.loadAverageAtStart > 0.5 ? ' (other processes were using the CPU: timings are inflated)' : ''}`,
  );
  console.log('');
  const header = ['engine', 's/epoch', 'cpu s/epoch', 'predict samples/s', 'test acc', 'peak RSS MB'];
  const rows = engines.map((e) => [
    e.name + (e.extrapolated ? ` (${int(e.timed.rows)} rows, scaled)` : ''),
    fmt(e.secondsPerEpoch),
    fmt(e.cpuSecondsPerEpoch),
    int(e.predictSamplesPerSecond),
    fmt(e.testAcc, 4),
    int(e.peakRssMB),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log('');
  const r = result.ratios;
  const ratio = (label: string, v: number | null) => (v === null ? [] : [`${label} ${fmt(v, 1)}×`]);
  console.log(
    [
      'ratios:',
      ...ratio('tfjs wasm / normlab wasm', r.tfjsOverWasm),
      ...ratio('reference / wasm', r.referenceOverWasm),
      ...ratio('float64 / float32', r.float64OverFloat32),
    ].join('  '),
  );
  if (r.threadsSpeedupFloat32 !== null) {
    console.log(
      [
        'speed-up of one run from its second thread (1 thread / threads: auto):',
        ...ratio('float32', r.threadsSpeedupFloat32),
        ...ratio('float64', r.threadsSpeedupFloat64),
      ].join('  '),
    );
    console.log(
      ['ratios on 1 thread:', ...ratio('tfjs wasm / normlab wasm', r.tfjsOverWasmOneThread), ...ratio('float64 / float32', r.float64OverFloat32OneThread)].join(
        '  ',
      ),
    );
  }
  if (r.rescalingOverFused !== null) {
    console.log(
      [
        'layers in the model (issue 11):',
        ...ratio('rescaling(1/255) / fused x/255', r.rescalingOverFused),
        ...ratio('batchNormalization after dense 1 / plain', r.batchNormOverPlain),
        ...ratio('tfjs wasm / normlab wasm, batch-norm model', r.tfjsBatchNormOverWasmBatchNorm),
      ].join('  '),
    );
  }
  console.log(`peak RSS of the wasm float32 training run (process so far): ${int(result.trainingPeakRssMB)} MB`);
  if (sweep) {
    console.log('');
    console.log(
      `sweep: ${sweep.configurations} configurations × ${sweep.epochs} epochs × ${int(sweep.trainRows)} images on ${sweep.workers} worker threads: ` +
        `${fmt(sweep.wallSeconds, 1)} s wall (the runs' own time adds up to ${fmt(sweep.runSecondsSum, 1)} s: ${fmt(sweep.speedup, 2)}× from the threads), peak RSS ${int(sweep.peakRssMB)} MB`,
    );
    for (const run of sweep.runs) {
      console.log(
        `  ${`${run.normalize} · ${run.optimizer} · ${run.activation}`.padEnd(24)} ${fmt(run.secondsPerEpoch)} s/epoch  loss ${fmt(run.finalLoss, 4)}  test acc ${fmt(run.testAcc, 4)}`,
      );
    }
  }
  console.log('');
  const mark = (v: boolean | null) => (v === null ? '–' : v ? 'yes' : 'NO');
  const t = result.targets;
  console.log(
    `targets: why --quick ≤ 10 s: ${mark(t.whyQuickAtMost10s)} · why ≤ 90 s: ${mark(t.whyDefaultAtMost90s)} · wasm ≤ 1.0 s/epoch: ${mark(t.wasmAtMost1SecondPerEpoch)} · ≥ 15× tfjs: ${mark(t.atLeast15xTfjs)} · float64 ≤ 2.5× float32: ${mark(t.float64AtMost2_5xFloat32)} · training peak RSS ≤ 300 MB: ${mark(t.trainingPeakRssAtMost300MB)}` +
      ` · rescaling within 5% of x/255: ${mark(t.rescalingWithin5PercentOfFused)} · batch norm ≤ 1.5× plain: ${mark(t.batchNormAtMost1_5xPlain)}`,
  );
}

function fail(error: unknown): void {
  if (isNormlabError(error)) {
    console.error(`bench: ${error.describe()}`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
}

// `npm run bench -- grading [...]`: the course-scale grading benchmark (bench/grading.ts).
if (process.argv[2] === 'grading') {
  import('./grading.js').then((m) => m.runGradingBench(process.argv.slice(3))).catch(fail);
} else {
  const flags = program.parse().opts<Flags>();
  main(flags).catch(fail);
}
