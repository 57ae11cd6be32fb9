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
 * main: none vs scale × {adam, sgd} on the whole training set (the headline, every seed);
 * normalizations: none / scale / standardize / symmetric / centre × {adam, sgd} on the subset;
 * sigmoid: the sigmoid-hidden variant; reparam: raw inputs reparametrised to reproduce the scaled run
 * (and its float64 pair, seed 1, whole training set); sweep: raw inputs at smaller learning rates (adam
 * and sgd); precision: the raw runs in float64; ablation: one intervention per mechanism on raw inputs;
 * lossform: the loss from clipped probabilities (as TensorFlow.js layers) vs from the logits.
 * Everything but main and reparam runs on the subset tier (StudyOptionsResolved.subsetTrainLimit).
 */
export const STUDY_GROUPS = ['main', 'normalizations', 'sigmoid', 'reparam', 'sweep', 'precision', 'ablation', 'lossform'] as const;
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

/** Which data a run trains on: the whole training set, or the first `subsetTrainLimit` images (seed repeats). */
export type StudyTier = 'full' | 'subset';

/** One change to the raw-input run (an ablation arm); absent fields mean "as the plain run". */
export interface Intervention {
  /** Short id of the arm, e.g. 'init255', 'step255', 'both', 'lr', 'centre', 'clipped', 'clipnorm'. */
  arm: string;
  /** Divide the first kernel by this at initialisation (the weights hash is taken before). */
  kernel0Divisor?: number;
  /** Per-parameter learning-rate / ε multipliers. */
  paramScales?: ParamScale[];
  /** Compute the loss from clipped probabilities, as TensorFlow.js layers does. */
  clipProbabilities?: boolean;
  /** Gradient clipping by norm (engine optimizer option, when the engine has it). */
  clipnorm?: number;
  /** A layer put before the first dense layer (engine layers, when the engine has them). */
  firstLayer?: 'rescaling' | 'batchNormalization';
}

/** Second-order and mechanism measurements a run takes besides training (see lab/study/analyses.ts). */
export interface AnalysisSpec {
  /** At initialisation: raw vs /255 on the same weights (homogeneity, gradient split, Adam's steps, bias). */
  mechanism?: boolean;
  /** λ_max of the Hessian (whole, first layer; Adam: preconditioned) at these optimizer steps (0 = init; -1 = the end). */
  curvature?: { steps: number[]; rows: number; iterations: number; preconditioned: boolean; whole: boolean; firstLayer?: boolean };
  /** The loss on the plane of the top two Hessian eigenvectors at init, with the first `steps` SGD steps. */
  plane?: { rows: number; grid: number; steps: number; iterations: number };
  /** The spectrum of E[xxᵀ] for every transform, over the first `images` training images. */
  spectrum?: { images: number; transforms?: string[] };
}

export interface RunSpec {
  /** Unique within a study, e.g. 'relu·none·sgd·f32·s1' (run-id.ts: formatRunInstanceId). */
  id: string;
  /** The id without the seed: runs with the same key are repeats across seeds (run-id.ts: formatRunKey / parseRunKey). */
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
  /** The data tier (what each number is measured on). */
  tier: StudyTier;
  /** An ablation arm (raw inputs with one change). */
  intervention?: Intervention;
  /** Extra measurements taken during this run. */
  analyses?: AnalysisSpec;
  probe: {
    /** Rows of the training set in the probe batch (the same rows for every run). */
    rows: number[];
    /** Optimizer steps at which to probe, besides every epoch's end (0 = initialisation). */
    steps: number[];
    /** Test rows evaluated at early probes (the whole test set is evaluated at every epoch's end). */
    testRows: number[];
    /**
     * Where the whole test set is evaluated: at every epoch's end (the default), or at the last one only,
     * earlier epoch ends then using `testRows` (the probe records which: extra.testRows). The plan picks
     * 'last-epoch' for the repeats whose intermediate test accuracy no chart or finding shows.
     */
    wholeTest?: 'every-epoch' | 'last-epoch';
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
  /** What spec.analyses asked for (absent when nothing was asked). */
  analyses?: RunAnalyses;
}

/** At initialisation, the raw network and the /255 network on the same weights and probe rows (float64). */
export interface MechanismAtInit {
  rows: number;
  /** max over rows/classes of |z_raw − 255·z_scaled| / max |z_raw| for the logits (0 = exactly homogeneous). */
  logitHomogeneityError: number;
  /** mean |logit| raw / scaled. */
  logitRatio: number;
  /** ‖∇kernel0‖ raw / scaled, and its factors: 255 (inputs) × per-sample error size × alignment. */
  kernel0GradRatio: number;
  /** mean over rows of ‖x_r‖·‖δ_r‖ raw / (255 · the same scaled): per-sample error size (δ: error at layer 1). */
  perSampleErrorRatio: number;
  /** alignment = ‖Σ_r x_r δ_rᵀ‖ / Σ_r ‖x_r‖‖δ_r‖; raw / scaled. */
  alignmentRatio: number;
  alignment: [number, number];
  /** mean ‖softmax − onehot‖ (output error per sample) raw, scaled. */
  outputError: [number, number];
  /** Adam's first step (m̂/√v̂ ≈ sign g): mean |Δlogit| caused by the second layer's step, raw / scaled. */
  adamLayer2LogitMoveRatio: number;
  /** Adam's first step on kernel0, mean |Δz1| raw / scaled (with the first-layer step rescaled ÷255: ≈1). */
  adamLayer1PreactMoveRatio: number;
  /** Bias0 step / mean |z1| for the first step: [raw, scaled] under SGD (lr 0.01) and Adam (lr 0.001). */
  biasRelativeStep: { sgd: [number, number]; adam: [number, number] };
  /** Mean of x² per pixel value: raw, scaled (glorot assumes order 1). */
  meanSquaredInput: [number, number];
}

export interface CurvaturePoint {
  step: number;
  /** λ_max of the whole network's Hessian (probe rows, float64), null when not measured. */
  lambdaMax: number | null;
  /** λ_max of the first layer's block (kernel0 + bias0). */
  lambdaMaxFirstLayer: number | null;
  /**
   * Adam: λ_max(D⁻¹H) with D = √v̂ + ε; null for SGD. v̂: see `preconditionerFrom`.
   */
  preconditioned: number | null;
  /**
   * Where the preconditioner's v̂ came from: 'adam-state', the run's own second moment at that step
   * (bias-corrected, v/(1 − β₂ᵗ)) — what Adam divides by; 'minibatch-gradients', the mean of the squared
   * gradients of the probe rows' minibatches (at initialisation, where Adam has no state yet: v̂ after
   * one step is g²). Absent in studies written before it was recorded (then always the latter).
   */
  preconditionerFrom?: 'adam-state' | 'minibatch-gradients' | null;
  iterations: number;
  gradientCalls: number;
  converged: boolean;
}

export interface LossPlaneResult {
  rows: number;
  /** Top two eigenvalues of the Hessian at init (their eigenvectors span the plane). */
  eigenvalues: [number, number];
  alphas: number[];
  losses: number[][];
  /** The first SGD steps projected on the plane (coordinates along d1, d2), starting at (0, 0). */
  path: { step: number; a: number; b: number; loss: number }[];
  /** ‖w_t − w_0‖ not in the plane, per step (how much of each step the picture cannot show). */
  offPlane: number[];
}

export interface SpectrumRow {
  transform: string;
  formula: string;
  top: number;
  second: number;
  ratio12: number;
  /** λ_max / λ_min over the eigenvalues above `floor` × λ_max. */
  condition: number;
  nonNegligible: number;
  /** Share of the trace in the top eigenvalue. */
  topShare: number;
  /** The ten largest eigenvalues. */
  largest10: number[];
}

export interface InputSpectrum {
  images: number;
  floor: number;
  rows: SpectrumRow[];
  seconds: number;
}

export interface RunAnalyses {
  mechanism?: MechanismAtInit;
  curvature?: CurvaturePoint[];
  plane?: LossPlaneResult;
  spectrum?: InputSpectrum;
  seconds: number;
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
  /** Mean test accuracy over seeds (float32, float64), and across seeds. */
  testAcc: [number, number];
  testAccStats: [Stat, Stat];
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
  testAcc: { mean: number; std: number; min: number; max: number; values: number[]; lo: number; hi: number };
  tier: StudyTier;
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
  /** 'browser': the lighter set for a browser tab. */
  profile: 'cli' | 'browser';
  backend: string;
  batchSize: number;
  trainLimit: number | null;
  testLimit: number | null;
  /** Training images of the subset tier (the seed repeats of everything but main and reparam). */
  subsetTrainLimit: number;
  sgdSweepLearningRates: number[];
  curvature: boolean;
  curvatureRows: number;
  curvatureIterations: number;
  spectrumImages: number;
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
  /** What each tier trains on: the whole training set (main, reparam) and the subset (seed repeats of the rest). */
  tiers: { full: number; subset: number };
  ablation: AblationRow[];
  lossForm: LossFormComparison[];
  curvature: CurvatureSummary[];
  mechanismAtInit: MechanismSummary | null;
  spectrum: InputSpectrum | null;
  /** The loss planes at init (seed 1), by transform. */
  planes: { transform: string; plane: LossPlaneResult }[];
}

/** A quantity across seeds: mean, sample std, range, and the 95% t-interval of the mean. */
export interface Stat {
  n: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  lo: number;
  hi: number;
  values: number[];
}

export interface AblationRow {
  optimizer: StudyOptimizer;
  /** 'init255' | 'step255' | 'both' | 'lr' | 'centre' | 'clipnorm' | 'rescaling' | 'batchnorm' | 'clipped'. */
  arm: string;
  key: string;
  label: string;
  /** Share of the raw → /255 gap recovered (paired by seed): 0 = as raw, 1 = as /255, < 0 worse than raw. */
  share: Stat;
  acc: Stat;
  /** The gap itself (acc /255 − acc raw) per seed. */
  gap: Stat;
}

export interface LossFormComparison {
  optimizer: StudyOptimizer;
  transform: 'none' | 'scale';
  /** Test accuracy with the loss from the logits (normlab, tf.keras) and from clipped probabilities (tfjs). */
  logits: Stat;
  clipped: Stat;
  /** clipped − logits, paired by seed. */
  difference: Stat;
  firstEpochLoss: [number, number];
  /** Share of probe samples whose true-class probability is exactly 0 at init (below ε: no gradient when clipped). */
  trueProbZeroAtInit: Stat;
}

export interface CurvatureSummary {
  key: string;
  transform: string;
  optimizer: StudyOptimizer;
  learningRate: number;
  /** SGD: 2/lr for λ_max; Adam: 38/lr for the preconditioned sharpness. */
  limit: number;
  points: { step: number; lambdaMax: Stat; firstLayer: Stat; preconditioned: Stat }[];
  rows: number;
}

export interface MechanismSummary {
  seeds: number;
  rows: number;
  logitHomogeneityError: Stat;
  logitRatio: Stat;
  kernel0GradRatio: Stat;
  perSampleErrorRatio: Stat;
  alignmentRatio: Stat;
  alignmentRaw: Stat;
  alignmentScaled: Stat;
  outputErrorRaw: Stat;
  outputErrorScaled: Stat;
  adamLayer2LogitMoveRatio: Stat;
  adamLayer1PreactMoveRatio: Stat;
  biasRelativeStepSgd: [Stat, Stat];
  biasRelativeStepAdam: [Stat, Stat];
  meanSquaredInput: [Stat, Stat];
}
