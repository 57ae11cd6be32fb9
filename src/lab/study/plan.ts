/**
 * The study's design as data: options → the list of independent runs (jobs). Every run of one seed
 * shares the seed, hence the initial weights (where the shapes are the same) and the batch order; the
 * probe batch is the same fixed set of training images for every run.
 */
import { NormlabError } from '../../errors.js';
import type { TransformName } from '../../data/transforms.js';
import type { DType, ParamScale } from '../../engine/backend.js';
import { Random } from '../../engine/random.js';
import { DEFAULT_LR, formatRunInstanceId, formatRunKey, type RunId } from './run-id.js';
import { parseStudyOptions, type StudyOptions } from './options.js';
import {
  STUDY_GROUPS,
  type AnalysisSpec,
  type Intervention,
  type RunSpec,
  type StudyGroup,
  type StudyOptimizer,
  type StudyOptionsResolved,
  type StudyTier,
} from './types.js';

export { StudyOptions, STUDY_LIMITS, parseStudyOptions } from './options.js';

export const DEFAULT_PROBE_STEPS = [0, 10, 20, 50, 100, 200, 500, 1000];
export const SUBSET_PROBE_STEPS = [0, 10, 100];
export const QUICK_PROBE_STEPS = [0, 5, 10];
export const DEFAULT_SWEEP = [3e-4, 1e-4, 3e-5];
export const DEFAULT_SGD_SWEEP = [1e-3, 1e-4, 1e-5];
export const DEFAULT_SEEDS = 5;
/**
 * Training images of the subset tier. Sized so the default study (≈ 200 runs: 5 seeds × every arm, plus
 * the headline on all 60,000 images) fits the 90 s budget on 2 cores; the report says which numbers come
 * from it.
 */
export const DEFAULT_SUBSET = 6000;
/** Seed of the fixed probe rows (independent of the runs' seeds, so every run is probed on the same images). */
export const PROBE_SEED = 20240229;

export function resolveStudyOptions(input: StudyOptions): StudyOptionsResolved {
  const options = parseStudyOptions(input);
  const quick = options.quick ?? false;
  const browser = options.profile === 'browser';
  const seeds = Array.isArray(options.seeds) ? options.seeds : Array.from({ length: options.seeds ?? (quick ? 2 : DEFAULT_SEEDS) }, (_, i) => i + 1);
  if (seeds.length === 0) throw new NormlabError('flag', 'the study needs at least one seed', 'use --seeds 1 or more');
  const filter = options.runs?.map((r) => r.trim()).filter(Boolean) ?? [];
  const groups = filter.length ? STUDY_GROUPS.filter((g) => filter.includes(g)) : [...STUDY_GROUPS];
  const keyFilters = filter.filter((f) => !(STUDY_GROUPS as readonly string[]).includes(f));
  const trainLimit = options.trainLimit ?? (quick ? 1000 : browser ? 12_000 : null);
  return {
    dataset: options.dataset ?? 'fashion-mnist',
    dataDir: options.dataDir,
    epochs: options.epochs ?? (quick ? 1 : 2),
    seeds,
    // Named groups are planned whole; run keys are matched within all groups.
    groups: keyFilters.length ? [...STUDY_GROUPS] : groups,
    runFilter: keyFilters.length ? [...groups, ...keyFilters] : null,
    quick,
    profile: browser ? 'browser' : 'cli',
    backend: options.backend ?? 'wasm',
    batchSize: options.batchSize ?? 32,
    trainLimit,
    testLimit: options.testLimit ?? (quick ? 500 : null),
    subsetTrainLimit: Math.min(options.subsetTrainLimit ?? (quick ? 600 : browser ? 3000 : DEFAULT_SUBSET), trainLimit ?? Infinity),
    probeRows: options.probeRows ?? (quick ? 64 : 512),
    probeTestRows: options.probeTestRows ?? (quick ? 200 : 2000),
    probeSteps: options.probeSteps ?? (quick ? QUICK_PROBE_STEPS : DEFAULT_PROBE_STEPS),
    sweepLearningRates: options.sweepLearningRates ?? (quick || browser ? [1e-4] : DEFAULT_SWEEP),
    sgdSweepLearningRates: options.sgdSweepLearningRates ?? (quick ? [] : browser ? [1e-4] : DEFAULT_SGD_SWEEP),
    // The float64 pair runs the whole 2 epochs: the float32 check's rounding reference (normalized run in
    // float32 vs float64) needs every step of the float32 run.
    reparamMaxSteps: options.reparamMaxSteps ?? null,
    curvature: options.curvature ?? true,
    // The Hessian of 64 probe images: the scale of the minibatches (32) SGD actually steps on, and cheap
    // enough for every seed (Lanczos converges on the top eigenvalue in ~10 products).
    curvatureRows: 64,
    curvatureIterations: quick ? 8 : 12,
    spectrumImages: quick ? 1000 : browser ? 3000 : 10_000,
    workers: options.workers ?? 2,
  };
}

const TRANSFORM_LABEL: Record<TransformName, string> = {
  none: 'none (0–255)',
  scale: 'scale (/255)',
  standardize: 'standardize (z-score)',
  symmetric: 'symmetric ([−1, 1])',
  centre: 'centre only (x − mean)',
};

export function transformLabel(name: TransformName): string {
  return TRANSFORM_LABEL[name];
}

function fmtLr(lr: number): string {
  return Number(lr.toPrecision(3)).toString();
}

/** Rows chosen by a fixed seeded permutation: the same for every run and every seed. */
export function probeRowsFor(count: number, n: number, salt: string): number[] {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  new Random(PROBE_SEED).derive(salt).shuffle(order);
  return Array.from(order.subarray(0, Math.min(n, count))).sort((a, b) => a - b);
}

/**
 * The reparametrisation recipe: with x_raw = 255·x and W_raw = W/255 the first layer computes the same
 * z; its gradient is 255× larger, so SGD needs lr/255² on that kernel, Adam lr/255 and ε×255.
 */
export function reparamScales(optimizer: StudyOptimizer, factor = 255): ParamScale[] {
  const kernel0: ParamScale = optimizer === 'sgd' ? { lr: 1 / (factor * factor), epsilon: 1 } : { lr: 1 / factor, epsilon: factor };
  return [kernel0, { lr: 1, epsilon: 1 }, { lr: 1, epsilon: 1 }, { lr: 1, epsilon: 1 }];
}

/** Global-norm clipping threshold of the clipnorm arm (Keras' clipnorm; 1 is the value tutorials use). */
export const CLIPNORM = 1;

interface AddParams {
  transform: TransformName;
  activation: 'relu' | 'sigmoid';
  optimizer: StudyOptimizer;
  lr?: number;
  dtype?: DType;
  tag?: RunId['tag'];
  reparam?: RunSpec['reparam'];
  intervention?: Intervention;
  analyses?: AnalysisSpec;
  maxSteps?: number;
  keep?: boolean;
  tier: StudyTier;
}

export function planStudy(
  o: StudyOptionsResolved,
  counts: { train: number; test: number },
  engine: { clipnorm?: boolean; rescaling?: boolean; batchNormalization?: boolean } = {},
): RunSpec[] {
  const trainCount = o.trainLimit ? Math.min(o.trainLimit, counts.train) : counts.train;
  const testCount = o.testLimit ? Math.min(o.testLimit, counts.test) : counts.test;
  const subsetCount = Math.min(o.subsetTrainLimit, trainCount);
  const probeFull = {
    rows: probeRowsFor(trainCount, o.probeRows, 'train'),
    steps: o.probeSteps,
    testRows: probeRowsFor(testCount, o.probeTestRows, 'test'),
  };
  // Subset runs are many: fewer probe points and test rows (the whole test set is still evaluated at every epoch's end).
  const probeSubset = {
    rows: probeRowsFor(subsetCount, Math.min(o.probeRows, subsetCount), 'train'),
    steps: o.quick ? QUICK_PROBE_STEPS : SUBSET_PROBE_STEPS,
    testRows: probeRowsFor(testCount, Math.min(o.probeTestRows, 500), 'test'),
  };
  const dataFull = { dataset: o.dataset, dataDir: o.dataDir, download: false, trainLimit: o.trainLimit ?? undefined, testLimit: o.testLimit ?? undefined };
  const dataSubset = { ...dataFull, trainLimit: subsetCount };
  const specs: RunSpec[] = [];
  const add = (seed: number, group: StudyGroup, p: AddParams) => {
    const lr = p.lr ?? DEFAULT_LR[p.optimizer];
    const dtype = p.dtype ?? 'float32';
    const key = formatRunKey({ activation: p.activation, transform: p.transform, optimizer: p.optimizer, learningRate: lr, dtype, tag: p.tag, tier: p.tier });
    const existing = specs.find((s) => s.key === key && s.seed === seed);
    if (existing) {
      // planned by another group already; merge what this one asks of it
      if (p.analyses) existing.analyses = { ...existing.analyses, ...p.analyses };
      if (p.keep) existing.keepTrajectory = true;
      return;
    }
    const label =
      `${transformLabel(p.transform)} · ${p.optimizer} ${fmtLr(lr)}` +
      (p.activation === 'sigmoid' ? ' · sigmoid hidden' : '') +
      (dtype === 'float64' ? ' · float64' : '') +
      (p.reparam ? ` · reparametrised (kernel0 ÷ 255, ${p.optimizer === 'sgd' ? 'lr ÷ 255²' : 'lr ÷ 255, ε × 255'})` : '') +
      (p.intervention && !p.reparam ? ` · ${armLabel(p.intervention, p.optimizer)}` : '') +
      (p.tier === 'subset' ? ` · ${subsetCount} images` : '');
    specs.push({
      id: formatRunInstanceId(key, seed),
      key,
      group,
      tier: p.tier,
      label,
      seed,
      transform: p.transform,
      activation: p.activation,
      units: [128],
      optimizer: p.optimizer,
      learningRate: lr,
      dtype,
      backend: o.backend,
      epochs: o.epochs,
      batchSize: o.batchSize,
      maxSteps: p.maxSteps,
      reparam: p.reparam,
      intervention: p.intervention,
      analyses: p.analyses,
      // The charts show the first seed's runs along training; the other seeds' subset repeats only need
      // the whole test set at the end (their earlier epoch ends use the test subset: one 10,000-image
      // evaluation less per run, ~10% of a subset run's time).
      // Their early probe points (steps 10 and 100: a 512-row trace and a test-subset evaluation each) are
      // likewise shown for the first seed only; the repeats keep initialisation and the epoch ends.
      probe:
        p.tier === 'full'
          ? probeFull
          : seed === o.seeds[0]
            ? probeSubset
            : { ...probeSubset, steps: o.quick ? probeSubset.steps : [0], wholeTest: 'last-epoch' },
      keepTrajectory: p.keep ?? false,
      data: p.tier === 'full' ? dataFull : dataSubset,
    });
  };
  const optimizers: StudyOptimizer[] = ['adam', 'sgd'];
  const sub = 'subset' as const;
  const curvatureRows = Math.min(o.curvatureRows, probeSubset.rows.length);
  o.seeds.forEach((seed, seedIndex) => {
    const first = seedIndex === 0;
    if (o.groups.includes('main')) {
      for (const transform of ['none', 'scale'] as const) {
        for (const optimizer of optimizers) add(seed, 'main', { transform, activation: 'relu', optimizer, tier: 'full', keep: first });
      }
    }
    if (o.groups.includes('normalizations') || o.groups.includes('ablation')) {
      for (const transform of ['none', 'scale', 'standardize', 'symmetric', 'centre'] as const) {
        for (const optimizer of optimizers) {
          const analyses: AnalysisSpec = {};
          if (transform === 'none') analyses.mechanism = true;
          if (o.curvature && (transform === 'none' || transform === 'scale' || transform === 'standardize')) {
            // Every seed at init; seed 1 also along the run. SGD runs measure λ_max (whole + first layer),
            // Adam runs the preconditioned sharpness (same initial weights as the SGD run of the seed).
            analyses.curvature = {
              steps: first ? [0, o.quick ? 10 : 100, -1] : [0],
              rows: curvatureRows,
              iterations: o.curvatureIterations,
              preconditioned: optimizer === 'adam',
              whole: optimizer === 'sgd',
              firstLayer: first && optimizer === 'sgd',
            };
            if (first && optimizer === 'sgd' && transform !== 'standardize')
              analyses.plane = { rows: curvatureRows, grid: o.quick ? 7 : 15, steps: 10, iterations: o.curvatureIterations };
          }
          if (o.curvature && first && transform === 'scale' && optimizer === 'adam')
            analyses.spectrum = { images: o.spectrumImages, transforms: o.quick ? ['none', 'scale', 'standardize', 'centre'] : undefined };
          add(seed, 'normalizations', { transform, activation: 'relu', optimizer, tier: sub, analyses: Object.keys(analyses).length ? analyses : undefined });
        }
      }
    }
    if (o.groups.includes('sigmoid') && !o.quick) {
      for (const transform of ['none', 'scale'] as const)
        for (const optimizer of optimizers) add(seed, 'sigmoid', { transform, activation: 'sigmoid', optimizer, tier: sub });
    }
    if (o.groups.includes('sweep')) {
      for (const lr of o.sweepLearningRates) add(seed, 'sweep', { transform: 'none', activation: 'relu', optimizer: 'adam', lr, tier: sub });
      for (const lr of o.sgdSweepLearningRates) add(seed, 'sweep', { transform: 'none', activation: 'relu', optimizer: 'sgd', lr, tier: sub });
    }
    if (o.groups.includes('precision') && !o.quick) {
      for (const optimizer of optimizers) add(seed, 'precision', { transform: 'none', activation: 'relu', optimizer, dtype: 'float64', tier: sub });
    }
    if (o.groups.includes('ablation')) {
      for (const optimizer of optimizers) {
        const scales = reparamScales(optimizer);
        add(seed, 'ablation', {
          transform: 'none',
          activation: 'relu',
          optimizer,
          tier: sub,
          tag: 'init255',
          intervention: { arm: 'init255', kernel0Divisor: 255 },
        });
        add(seed, 'ablation', {
          transform: 'none',
          activation: 'relu',
          optimizer,
          tier: sub,
          tag: 'step255',
          intervention: { arm: 'step255', paramScales: scales },
        });
        add(seed, 'ablation', {
          transform: 'none',
          activation: 'relu',
          optimizer,
          tier: sub,
          tag: 'reparam',
          intervention: { arm: 'both', kernel0Divisor: 255, paramScales: scales },
          reparam: { kernel0Divisor: 255, paramScales: scales, matches: formatRunKey({ activation: 'relu', transform: 'scale', optimizer, tier: sub }) },
        });
        if (engine.clipnorm && !o.quick)
          add(seed, 'ablation', {
            transform: 'none',
            activation: 'relu',
            optimizer,
            tier: sub,
            tag: 'clipnorm',
            intervention: { arm: 'clipnorm', clipnorm: CLIPNORM },
          });
        if (engine.rescaling)
          add(seed, 'ablation', {
            transform: 'none',
            activation: 'relu',
            optimizer,
            tier: sub,
            tag: 'rescaling',
            intervention: { arm: 'rescaling', firstLayer: 'rescaling' },
          });
        if (engine.batchNormalization && !o.quick)
          add(seed, 'ablation', {
            transform: 'none',
            activation: 'relu',
            optimizer,
            tier: sub,
            tag: 'batchnorm',
            intervention: { arm: 'batchnorm', firstLayer: 'batchNormalization' },
          });
      }
    }
    if (o.groups.includes('lossform')) {
      for (const transform of o.quick ? (['none'] as const) : (['none', 'scale'] as const)) {
        for (const optimizer of optimizers)
          add(seed, 'lossform', {
            transform,
            activation: 'relu',
            optimizer,
            tier: sub,
            tag: 'clipped',
            intervention: { arm: 'clipped', clipProbabilities: true },
          });
      }
    }
    if (o.groups.includes('reparam') && first) {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const optimizer of optimizers) {
          const maxSteps = dtype === 'float64' ? (o.reparamMaxSteps ?? undefined) : undefined;
          const normalizedKey = formatRunKey({ activation: 'relu', transform: 'scale', optimizer, dtype });
          // The normalized partner: in float32 it is the main run (planned here if main is filtered out).
          add(seed, 'reparam', { transform: 'scale', activation: 'relu', optimizer, dtype, maxSteps, keep: true, tier: 'full' });
          add(seed, 'reparam', {
            transform: 'none',
            activation: 'relu',
            optimizer,
            dtype,
            tag: 'reparam',
            maxSteps,
            keep: true,
            tier: 'full',
            reparam: { kernel0Divisor: 255, paramScales: reparamScales(optimizer), matches: normalizedKey },
          });
        }
      }
    }
  });
  const chosen = o.runFilter ? specs.filter((s) => o.runFilter!.some((f) => s.group === f || s.key.includes(f) || s.id === f)) : specs;
  // A reparametrised run is only meaningful with the normalized run it should reproduce.
  const partners = new Set(chosen.filter((s) => s.reparam).map((s) => `${s.reparam!.matches}|${s.seed}`));
  const filtered = specs.filter((s) => chosen.includes(s) || partners.has(`${s.key}|${s.seed}`));
  if (filtered.length === 0) {
    throw new NormlabError(
      'flag',
      `no run of the study matches --runs ${(o.runFilter ?? o.groups).join(',')}`,
      `use group names (${STUDY_GROUPS.join(', ')}) or parts of run keys such as none·sgd`,
    );
  }
  // Longest first, so the pool's last jobs are short ones (less idle time at the end).
  const cost = (r: RunSpec) => (r.tier === 'full' ? trainCount : subsetCount) * (r.dtype === 'float64' ? 2 : 1) + (r.analyses ? 4000 : 0);
  return filtered
    .map((r, i) => ({ r, i }))
    .sort((a, b) => cost(b.r) - cost(a.r) || a.i - b.i)
    .map(({ r }) => r);
}

export function armLabel(i: Intervention, optimizer: StudyOptimizer): string {
  switch (i.arm) {
    case 'init255':
      return 'first kernel ÷ 255 at init only';
    case 'step255':
      return `first-layer step rescaled only (${optimizer === 'sgd' ? 'lr ÷ 255²' : 'lr ÷ 255, ε × 255'})`;
    case 'both':
      return 'init ÷ 255 and step rescaled (the reparametrisation)';
    case 'clipped':
      return 'loss from clipped probabilities (tfjs)';
    case 'clipnorm':
      return `clipnorm ${CLIPNORM}`;
    case 'rescaling':
      return 'rescaling(1/255) layer in the model';
    case 'batchnorm':
      return 'batchNormalization as the first layer';
    default:
      return i.arm;
  }
}
