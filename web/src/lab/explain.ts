/**
 * The lab's runs in words, written by the report layer's own findings code (src/report/findings.ts), so
 * the lab and `normlab why` never explain the same numbers differently. The lab's runs are the study's
 * "main" runs under another name — same network, seed, data and probes — so they are handed to
 * deriveFindings as a study of those runs; only the findings that compare them (what raw inputs cost,
 * and the mechanism: logit size, softmax saturation, dead units, update sizes) are shown. The findings
 * speak about ReLU networks trained with Adam or SGD in float32, as the study trains them; for other
 * settings the lab says so instead of stretching their words.
 */
import {
  type TransformName,
  type ProbeDiagnostics,
  sigmoidStudy,
  resolveStudyOptions,
  formatRunKey,
  type RunResult,
  type RunSummary,
  type StudyOptimizer,
  type StudyResult,
  deriveFindings,
  type Finding,
} from '../../../src/browser.js';
import type { LabSettings } from '../settings.js';

export interface ExplainedRun {
  transform: TransformName;
  learningRate: number;
  testAcc: number;
  testLoss: number;
  /** Mean training loss of the first epoch (as Keras reports it). */
  firstEpochLoss: number;
  /** Every probe taken (initialisation, early steps, during and at the end of epochs). */
  probes: ProbeDiagnostics[];
}

/** Findings that compare the runs on screen. */
const SHOWN: Finding['id'][] = ['outcome', 'mechanism'];

/** Why there is nothing to say, or undefined when the settings are the study's. */
export function unexplainable(settings: LabSettings): string | undefined {
  if (settings.activation !== 'relu' || settings.dtype !== 'float32' || (settings.optimizer !== 'adam' && settings.optimizer !== 'sgd')) {
    return 'The written comparison follows normlab why’s study, which trains ReLU networks with Adam or SGD in float32; with these settings, read the numbers and charts.';
  }
  if (settings.units.length !== 1) return 'The written comparison follows normlab why’s study of one hidden layer; with several, read the numbers and charts.';
  return undefined;
}

export function explainRuns(
  settings: LabSettings,
  runs: ExplainedRun[],
  dataset: { name: string; classNames: string[]; trainCount: number; testCount: number },
  epochs: number,
): Finding[] {
  if (unexplainable(settings) || !runs.some((r) => r.transform === 'none') || runs.length < 2) return [];
  const optimizer = settings.optimizer as StudyOptimizer;
  const key = (t: TransformName) => formatRunKey({ activation: 'relu', transform: t, optimizer });
  const summaries: RunSummary[] = runs.map((r) => ({
    key: key(r.transform),
    group: 'main',
    label: r.transform,
    transform: r.transform,
    activation: 'relu',
    optimizer,
    learningRate: r.learningRate,
    dtype: 'float32',
    seeds: [settings.seed],
    testAcc: { mean: r.testAcc, std: 0, min: r.testAcc, max: r.testAcc, values: [r.testAcc], lo: NaN, hi: NaN },
    tier: 'full',
    testLoss: { mean: r.testLoss, values: [r.testLoss] },
    firstEpochLoss: r.firstEpochLoss,
    init: r.probes.find((p) => p.step === 0) ?? null,
    final: r.probes[r.probes.length - 1] ?? null,
    nonFiniteRuns: 0,
  }));
  // The findings read a run's probes (early steps, the loss peak) by key and seed; nothing else of it.
  const probeRuns = runs.map((r) => ({ spec: { key: key(r.transform), seed: settings.seed }, probes: r.probes }) as unknown as RunResult);
  const study: StudyResult = {
    tool: 'normlab why',
    version: 1,
    createdAt: new Date().toISOString(),
    // The lab run's own epoch count (up to the training limit, more than a study plans), written over the study's.
    options: { ...resolveStudyOptions({ seeds: [settings.seed], batchSize: settings.batchSize }), epochs },
    dataset: { ...dataset, verified: true, directory: '', notes: [] },
    environment: { node: '', platform: '', cpus: 0, backends: [] },
    wallSeconds: 0,
    runs: probeRuns,
    summaries,
    reparam: [],
    sweep: [],
    precision: [],
    sigmoid: sigmoidStudy({ inputSize: 784, hiddenUnits: settings.units[0] }),
    samples: { height: 28, width: 28, images: [], transforms: [] },
    sameInitialWeights: { relu: true, sigmoid: null },
    tiers: { full: dataset.trainCount, subset: dataset.trainCount },
    ablation: [],
    lossForm: [],
    curvature: [],
    mechanismAtInit: null,
    spectrum: null,
    planes: [],
  };
  return deriveFindings(study).list.filter((f) => SHOWN.includes(f.id));
}
