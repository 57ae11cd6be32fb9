/**
 * `normlab why` as a lab function: plan the runs, execute them (in-process, or on a pool of workers —
 * each run is an independent job), and derive the comparisons. Returns one plain StudyResult; the
 * report layer turns it into words, tables and charts.
 */
import { inputTransform, pixelStatistics, TRANSFORM_NAMES } from '../../data/transforms.js';
import { backendNames } from '../../engine/backends/registry.js';
import { sigmoidStudy, softmaxAtGaps } from '../sigmoid.js';
import {
  ablationRanking,
  curvatureSummary,
  lossFormComparisons,
  mechanismSummary,
  precisionComparisons,
  reparamChecks,
  sameInitialWeights,
  summarize,
  sweepPoints,
} from './analyze.js';
import { loadStudyData, runStudyJob, sliceForSpec, type StudyData } from './job.js';
import { planStudy, resolveStudyOptions, type StudyOptions } from './plan.js';
import type { RunResult, RunSpec, SampleImages, StudyOptionsResolved, StudyResult } from './types.js';

/**
 * Runs a list of jobs and reports each result as it arrives; returns results in the specs' order. `data`:
 * the full train/test splits the study already loaded (each job slices its own view); without it each
 * job loads what its spec names.
 */
export type JobExecutor = (specs: RunSpec[], onResult: (result: RunResult, index: number) => void, data?: StudyData) => Promise<RunResult[]>;

/** The simplest executor: one job after another in this thread. */
export function inProcessExecutor(): JobExecutor {
  return async (specs, onResult, data) => {
    const results: RunResult[] = [];
    for (let i = 0; i < specs.length; i++) {
      const r = await runStudyJob(specs[i], data ? sliceForSpec(data, specs[i]) : undefined);
      results.push(r);
      onResult(r, i);
    }
    return results;
  };
}

export interface StudyHooks {
  /** How to run the jobs (default: in-process, one after another). */
  execute?: JobExecutor;
  onPlan?(specs: RunSpec[], options: StudyOptionsResolved): void;
  onRunDone?(result: RunResult, done: number, total: number): void;
  /** Where the study ran (recorded in the result); the CLI fills in the machine's details. */
  environment?: Partial<StudyResult['environment']>;
}

export function sampleImages(data: StudyData, count = 6): SampleImages {
  const { train } = data;
  const size = train.height * train.width;
  const picked: number[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < train.count && picked.length < count; i++) {
    if (!seen.has(train.labels[i])) {
      seen.add(train.labels[i]);
      picked.push(i);
    }
  }
  const stats = pixelStatistics(train.images);
  return {
    height: train.height,
    width: train.width,
    images: picked.map((index) => ({
      index,
      label: train.labels[index],
      className: train.classNames[train.labels[index]] ?? String(train.labels[index]),
      pixels: Array.from(train.images.subarray(index * size, (index + 1) * size)),
    })),
    transforms: TRANSFORM_NAMES.map((name) => {
      const t = inputTransform(name, train.images);
      return { name, formula: t.formula, a: t.a, b: t.b, range: t.range, mean: t.a * stats.mean + t.b, std: Math.abs(t.a) * stats.std };
    }),
  };
}

/** Every comparison the report needs, from the runs (pure; used by tests with synthetic runs too). */
export function analyzeStudy(
  options: StudyOptionsResolved,
  runs: RunResult[],
  context: {
    dataset: StudyResult['dataset'];
    samples: SampleImages;
    wallSeconds: number;
    inputSize: number;
    environment?: Partial<StudyResult['environment']>;
  },
): StudyResult {
  const summaries = summarize(runs);
  const sigmoid = sigmoidStudy({ inputSize: context.inputSize, hiddenUnits: 128 });
  const gaps: { label: string; gap: number }[] = [];
  for (const s of summaries.filter((x) => x.group === 'main' && (x.transform === 'none' || x.transform === 'scale'))) {
    const name = `${s.transform} · ${s.optimizer}`;
    if (s.init) gaps.push({ label: `${name} · init, median`, gap: s.init.logits.gapMedian });
    if (s.final) {
      gaps.push({ label: `${name} · end, median`, gap: s.final.logits.gapMedian });
      gaps.push({ label: `${name} · end, largest`, gap: s.final.logits.gapMax });
    }
  }
  sigmoid.softmaxAtMeasuredGaps = softmaxAtGaps(gaps);
  return {
    tool: 'normlab why',
    version: 1,
    createdAt: new Date().toISOString(),
    options,
    dataset: context.dataset,
    environment: { node: '', platform: '', cpus: 0, ...context.environment, backends: backendNames() },
    wallSeconds: context.wallSeconds,
    runs,
    summaries,
    reparam: reparamChecks(runs),
    sweep: sweepPoints(summaries),
    precision: precisionComparisons(runs),
    sigmoid,
    samples: context.samples,
    sameInitialWeights: { relu: sameInitialWeights(runs, 'relu'), sigmoid: sameInitialWeights(runs, 'sigmoid') },
    tiers: {
      full: runs.find((r) => r.spec.tier === 'full')?.dataset.trainCount ?? context.dataset.trainCount,
      subset: runs.find((r) => r.spec.tier === 'subset')?.dataset.trainCount ?? Math.min(options.subsetTrainLimit, context.dataset.trainCount),
    },
    ablation: ablationRanking(runs),
    lossForm: lossFormComparisons(runs),
    curvature: curvatureSummary(runs),
    mechanismAtInit: mechanismSummary(runs),
    spectrum: runs.find((r) => r.analyses?.spectrum)?.analyses?.spectrum ?? null,
    planes: runs
      .filter((r) => r.analyses?.plane)
      .sort((a, b) => a.spec.seed - b.spec.seed)
      .filter((r, i, list) => list.findIndex((q) => q.spec.transform === r.spec.transform) === i)
      .map((r) => ({ transform: r.spec.transform, plane: r.analyses!.plane! })),
  };
}

/** The ablation arms the engine can run (clipnorm, rescaling and batchNormalization layers). */
export const ENGINE_ARMS = { clipnorm: true, rescaling: true, batchNormalization: true };

export async function runStudy(input: StudyOptions, hooks: StudyHooks = {}): Promise<StudyResult> {
  const started = performance.now();
  const options = resolveStudyOptions(input);
  const dataSpec = {
    dataset: options.dataset,
    dataDir: options.dataDir,
    download: false,
    trainLimit: options.trainLimit ?? undefined,
    testLimit: options.testLimit ?? undefined,
  };
  // Load (and, if allowed, download) once here; the jobs then find the files in place.
  const full = await loadStudyData({ ...dataSpec, download: input.download ?? true, trainLimit: undefined, testLimit: undefined });
  const data = await loadStudyData(dataSpec);
  const specs = planStudy(options, { train: full.train.count, test: full.test.count }, ENGINE_ARMS);
  hooks.onPlan?.(specs, options);
  const execute = hooks.execute ?? inProcessExecutor();
  let done = 0;
  const runs = await execute(specs, (result) => hooks.onRunDone?.(result, ++done, specs.length), full);
  return analyzeStudy(options, runs, {
    dataset: {
      name: full.train.name,
      verified: full.train.verified && full.test.verified,
      trainCount: data.train.count,
      testCount: data.test.count,
      classNames: full.train.classNames,
      directory: full.train.directory,
      notes: [...new Set([...full.train.notes, ...full.test.notes])],
    },
    samples: sampleImages(data),
    wallSeconds: (performance.now() - started) / 1000,
    inputSize: full.train.height * full.train.width,
    environment: hooks.environment,
  });
}
