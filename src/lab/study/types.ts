/**
 * The normalization study's plain data: what one run is (a RunSpec — a job that can go to a worker as
 * JSON), what it measured (a RunResult — JSON back), and what the whole study returns (StudyResult).
 * Every number the report quotes lives in these objects.
 */
import type { TransformName } from '../../data/transforms.js';
import type { DType, ParamScale } from '../../engine/backend.js';
import type { ProbeDiagnostics } from '../../engine/probes.js';
import type { SigmoidStudy } from '../sigmoid.js';

/**
 * main: 4 transforms × {adam, sgd}, relu hidden layer; sigmoid: the sigmoid-hidden variant;
 * reparam: raw inputs reparametrised to reproduce the scaled run (and its float64 pair);
 * sweep: raw inputs with adam at smaller learning rates; precision: the raw runs in float64.
 */
export const STUDY_GROUPS = ['main', 'sigmoid', 'reparam', 'sweep', 'precision'] as const;
export type StudyGroup = (typeof STUDY_GROUPS)[number];

export type StudyOptimizer = 'adam' | 'sgd';

/** Where a run's data comes from; each worker loads (and caches) it itself. */
export interface DataSpec {
  dataset: string;
  dataDir?: string;
  download?: boolean;
  /** Use only the first N training / test images (--quick and tests). */
  trainLimit?: number;
  testLimit?: number;
}

export interface RunSpec {
  /** Unique within a study, e.g. 'relu·none·sgd·f32·s1'. */
  id: string;
  /** The id without the seed: runs with the same key are repeats across seeds. */
  key: string;
  group: StudyGroup;
  /** Human label, e.g. 'none (0–255) · sgd 0.01'. */
  label: string;
  seed: number;
  transform: TransformName;
  activation: 'relu' | 'sigmoid';
  units: number[];
  optimizer: StudyOptimizer;
  learningRate: number;
  dtype: DType;
  backend: string;
  epochs: number;
  batchSize: number;
  /** Stop after this many optimizer steps (the float64 reparametrisation pair may be shortened). */
  maxSteps?: number;
  /**
   * The reparametrisation: start from the same initial weights with the first kernel divided by
   * `kernel0Divisor`, and train with per-parameter multipliers `paramScales`; `matches` is the key of
   * the normalized run this one should reproduce.
   */
  reparam?: { kernel0Divisor: number; paramScales: ParamScale[]; matches: string };
  probe: {
    /** Rows of the training set in the probe batch (the same rows for every run). */
    rows: number[];
    /** Optimizer steps at which to probe, besides every epoch's end (0 = initialisation). */
    steps: number[];
    /** Test rows evaluated at early probes (the whole test set is evaluated at every epoch's end). */
    testRows: number[];
  };
  /** Keep the per-step losses and the probe-batch outputs (needed for the reparametrisation check). */
  keepTrajectory: boolean;
  data: DataSpec;
}

/** A point of a curve. */
export interface CurvePoint {
  step: number;
  epoch: number;
  value: number;
}

export interface RunResult {
  spec: RunSpec;
  /** The backend that actually ran it (wasm may fall back to reference). */
  backend: string;
  transform: { name: TransformName; a: number; b: number; formula: string; range: [number, number] };
  dataset: { name: string; verified: boolean; trainCount: number; testCount: number };
  /** Per epoch: training loss/acc (means over the epoch's batches, before each update, as Keras). */
  history: Record<string, number[]>;
  /** Final test loss and accuracy on the whole test set (NaN when training stopped on a non-finite loss). */
  test: { loss: number; acc: number };
  /** Probes at initialisation, early steps and every epoch's end (extra: testLoss, testAcc, testRows). */
  probes: ProbeDiagnostics[];
  /** Mean training-batch loss over windows of `lossWindow` steps (for the loss-curve charts). */
  lossCurve: CurvePoint[];
  lossWindow: number;
  /** Loss of each training batch before its update (only when keepTrajectory). */
  stepLosses?: number[];
  /** Probe-batch network outputs at initialisation and at the end, row-major [rows, classes] (keepTrajectory). */
  outputs?: { initial: number[]; final: number[] };
  /** Optimizer steps taken. */
  steps: number;
  stepsPerEpoch: number;
  /** First non-finite training loss (fit stops there), and the first probe that saw a non-finite value. */
  nonFinite: { loss: { step: number; epoch: number; value: number } | null; firstProbeStep: number | null };
  /** FNV-1a hash of the initial weights as float32 (equal hashes: same starting point). */
  initialWeightsHash: string;
  seconds: number;
  secondsPerEpoch: number;
}

export interface ReparamCheck {
  optimizer: StudyOptimizer;
  dtype: DType;
  /** Keys of the two runs compared. */
  normalized: string;
  reparametrised: string;
  /** What was changed, e.g. 'kernel0 ÷ 255; lr × 1/255² on kernel0'. */
  recipe: string;
  steps: number;
  /** max |Δ| of the probe batch's softmax outputs at initialisation. */
  initialMaxAbsDiff: number;
  /** max |Δ| of the per-step training losses over the first `earlySteps` steps and over all steps. */
  earlySteps: number;
  earlyLossMaxAbsDiff: number;
  lossMaxAbsDiff: number;
  /** max |Δ| of the probe batch's softmax outputs after the last step. */
  finalMaxAbsDiff: number;
  /** Test accuracies of the two runs. */
  testAcc: [number, number];
  /** For scale: the same numbers for raw inputs *without* the reparametrisation (null if not run). */
  unreparametrised: { finalMaxAbsDiff: number; lossMaxAbsDiff: number; testAcc: number } | null;
  /** |Δ loss| per window of steps (max within the window), for the chart. */
  lossDiffCurve: CurvePoint[];
  /** The fixed tolerance of the dtype (REPARAM_TOLERANCE). */
  tolerance: number;
  /**
   * float32 only: how far rounding alone moves this trajectory — the normalized run in float32 vs the
   * same run in float64 (same seed, weights, batches), measured over the same steps. In float32 tiny
   * rounding differences (kernel0 ÷ 255 is not exact) grow over thousands of steps, so "matches up to
   * rounding" means "differs no more than rounding itself makes the run differ". null when not run.
   */
  roundingReference: { lossMaxAbsDiff: number; finalMaxAbsDiff: number | null; lossDiffCurve: CurvePoint[] } | null;
  /** The bounds actually applied: max(tolerance, rounding reference) for float32, the tolerance for float64. */
  bound: { initial: number; loss: number; final: number };
  passed: boolean;
}

export interface SweepPoint {
  learningRate: number;
  key: string;
  testAcc: number;
  /** (acc − raw acc at the default lr) / (scaled acc − raw acc at the default lr). */
  gapRecovered: number | null;
}

export interface PrecisionComparison {
  optimizer: StudyOptimizer;
  float32: string;
  float64: string;
  testAcc: [number, number];
  finalLoss: [number, number];
  /** max over probes of the fraction of samples whose softmax max is exactly 1.0, per dtype. */
  maxSoftmaxOne: [number, number];
  firstNonFinite: [number | null, number | null];
  /** max |Δ| between the two runs' per-probe probe-batch losses. */
  probeLossMaxAbsDiff: number;
}

/** Summary of one key across seeds. */
export interface RunSummary {
  key: string;
  group: StudyGroup;
  label: string;
  transform: TransformName;
  activation: string;
  optimizer: StudyOptimizer;
  learningRate: number;
  dtype: DType;
  seeds: number[];
  testAcc: { mean: number; std: number; min: number; max: number; values: number[] };
  testLoss: { mean: number; values: number[] };
  /** Training loss of the first epoch (mean over seeds). */
  firstEpochLoss: number;
  /** Diagnostics of the first seed's run at initialisation and at the end. */
  init: ProbeDiagnostics | null;
  final: ProbeDiagnostics | null;
  nonFiniteRuns: number;
}

export interface SampleImages {
  height: number;
  width: number;
  /** A few training images: raw pixels and labels. */
  images: { index: number; label: number; className: string; pixels: number[] }[];
  /** Per transform: a, b, range, and statistics of the transformed training pixels. */
  transforms: { name: TransformName; formula: string; a: number; b: number; range: [number, number]; mean: number; std: number }[];
}

export interface StudyOptionsResolved {
  dataset: string;
  dataDir?: string;
  epochs: number;
  seeds: number[];
  groups: StudyGroup[];
  runFilter: string[] | null;
  quick: boolean;
  backend: string;
  batchSize: number;
  trainLimit: number | null;
  testLimit: number | null;
  probeRows: number;
  probeTestRows: number;
  probeSteps: number[];
  sweepLearningRates: number[];
  reparamMaxSteps: number | null;
  workers: number;
}

export interface StudyResult {
  tool: 'normlab why';
  version: 1;
  createdAt: string;
  options: StudyOptionsResolved;
  dataset: { name: string; verified: boolean; trainCount: number; testCount: number; classNames: string[]; directory: string; notes: string[] };
  environment: { node: string; platform: string; cpus: number; backends: string[] };
  wallSeconds: number;
  runs: RunResult[];
  summaries: RunSummary[];
  reparam: ReparamCheck[];
  sweep: SweepPoint[];
  precision: PrecisionComparison[];
  sigmoid: SigmoidStudy;
  samples: SampleImages;
  /** Whether all runs of the same architecture began from identical weights. */
  sameInitialWeights: { relu: boolean | null; sigmoid: boolean | null };
}
