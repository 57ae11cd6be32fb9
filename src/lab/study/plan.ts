/**
 * The study's design as data: options → the list of independent runs (jobs). Every run of one seed
 * shares the seed, hence the initial weights (where the shapes are the same) and the batch order; the
 * probe batch is the same fixed set of training images for every run.
 */
import { NormlabError } from '../../errors.js';
import { TRANSFORM_NAMES, type TransformName } from '../../data/transforms.js';
import type { DType, ParamScale } from '../../engine/backend.js';
import { Random } from '../../engine/random.js';
import { STUDY_GROUPS, type RunSpec, type StudyGroup, type StudyOptimizer, type StudyOptionsResolved } from './types.js';

export interface StudyOptions {
  dataset?: string;
  dataDir?: string;
  /** Download the dataset if it is missing (default true). */
  download?: boolean;
  epochs?: number;
  /** Number of seeds (1, 2, … N) or an explicit list. */
  seeds?: number | number[];
  /** Restrict to these groups and/or run keys (substring match on keys). */
  runs?: string[];
  quick?: boolean;
  backend?: string;
  batchSize?: number;
  trainLimit?: number;
  testLimit?: number;
  probeRows?: number;
  probeTestRows?: number;
  probeSteps?: number[];
  sweepLearningRates?: number[];
  reparamMaxSteps?: number;
  workers?: number;
}

export const DEFAULT_LR: Record<StudyOptimizer, number> = { adam: 0.001, sgd: 0.01 };
export const DEFAULT_PROBE_STEPS = [0, 10, 20, 50, 100, 200, 500, 1000];
export const QUICK_PROBE_STEPS = [0, 5, 10];
export const DEFAULT_SWEEP = [3e-4, 1e-4, 3e-5, 1e-5];
/** Seed of the fixed probe rows (independent of the runs' seeds, so every run is probed on the same images). */
export const PROBE_SEED = 20240229;

export function resolveStudyOptions(options: StudyOptions): StudyOptionsResolved {
  const quick = options.quick ?? false;
  const seeds = Array.isArray(options.seeds)
    ? options.seeds
    : Array.from({ length: options.seeds ?? 1 }, (_, i) => i + 1);
  if (seeds.length === 0) throw new NormlabError('flag', 'the study needs at least one seed', 'use --seeds 1 or more');
  const filter = options.runs?.map((r) => r.trim()).filter(Boolean) ?? [];
  const groups = filter.length ? STUDY_GROUPS.filter((g) => filter.includes(g)) : [...STUDY_GROUPS];
  const keyFilters = filter.filter((f) => !(STUDY_GROUPS as readonly string[]).includes(f));
  return {
    dataset: options.dataset ?? 'fashion-mnist',
    dataDir: options.dataDir,
    epochs: options.epochs ?? (quick ? 1 : 2),
    seeds,
    // Named groups are planned whole; run keys are matched within all groups.
    groups: keyFilters.length ? [...STUDY_GROUPS] : groups,
    runFilter: keyFilters.length ? [...groups, ...keyFilters] : null,
    quick,
    backend: options.backend ?? 'wasm',
    batchSize: options.batchSize ?? 32,
    trainLimit: options.trainLimit ?? (quick ? 1000 : null),
    testLimit: options.testLimit ?? (quick ? 500 : null),
    probeRows: options.probeRows ?? (quick ? 64 : 512),
    probeTestRows: options.probeTestRows ?? (quick ? 200 : 2000),
    probeSteps: options.probeSteps ?? (quick ? QUICK_PROBE_STEPS : DEFAULT_PROBE_STEPS),
    sweepLearningRates: options.sweepLearningRates ?? (quick ? [1e-4, 1e-5] : DEFAULT_SWEEP),
    reparamMaxSteps: options.reparamMaxSteps ?? null,
    workers: options.workers ?? 2,
  };
}

const TRANSFORM_LABEL: Record<TransformName, string> = {
  none: 'none (0–255)',
  scale: 'scale (/255)',
  standardize: 'standardize (z-score)',
  symmetric: 'symmetric ([−1, 1])',
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

export function planStudy(o: StudyOptionsResolved, counts: { train: number; test: number }): RunSpec[] {
  const trainCount = o.trainLimit ? Math.min(o.trainLimit, counts.train) : counts.train;
  const testCount = o.testLimit ? Math.min(o.testLimit, counts.test) : counts.test;
  const probe = {
    rows: probeRowsFor(trainCount, o.probeRows, 'train'),
    steps: o.probeSteps,
    testRows: probeRowsFor(testCount, o.probeTestRows, 'test'),
  };
  const data = { dataset: o.dataset, dataDir: o.dataDir, download: false, trainLimit: o.trainLimit ?? undefined, testLimit: o.testLimit ?? undefined };
  const specs: RunSpec[] = [];
  const add = (
    seed: number,
    group: StudyGroup,
    p: { transform: TransformName; activation: 'relu' | 'sigmoid'; optimizer: StudyOptimizer; lr?: number; dtype?: DType; tag?: string; reparam?: RunSpec['reparam']; maxSteps?: number; keep?: boolean },
  ) => {
    const lr = p.lr ?? DEFAULT_LR[p.optimizer];
    const dtype = p.dtype ?? 'float32';
    const key = [p.activation, p.transform, `${p.optimizer}${lr === DEFAULT_LR[p.optimizer] ? '' : `@${fmtLr(lr)}`}`, dtype === 'float32' ? 'f32' : 'f64', ...(p.tag ? [p.tag] : [])].join('·');
    if (specs.some((s) => s.key === key && s.seed === seed)) return; // planned by another group already
    const label =
      `${transformLabel(p.transform)} · ${p.optimizer} ${fmtLr(lr)}` +
      (p.activation === 'sigmoid' ? ' · sigmoid hidden' : '') +
      (dtype === 'float64' ? ' · float64' : '') +
      (p.reparam ? ` · reparametrised (kernel0 ÷ 255, ${p.optimizer === 'sgd' ? 'lr ÷ 255²' : 'lr ÷ 255, ε × 255'})` : '');
    specs.push({
      id: `${key}·s${seed}`,
      key,
      group,
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
      probe,
      keepTrajectory: p.keep ?? false,
      data,
    });
  };
  const optimizers: StudyOptimizer[] = ['adam', 'sgd'];
  o.seeds.forEach((seed, seedIndex) => {
    if (o.groups.includes('main')) {
      for (const transform of TRANSFORM_NAMES) {
        for (const optimizer of optimizers) {
          add(seed, 'main', { transform, activation: 'relu', optimizer, keep: seedIndex === 0 && (transform === 'scale' || transform === 'none') });
        }
      }
    }
    if (o.groups.includes('sigmoid')) {
      for (const transform of ['none', 'scale'] as const) for (const optimizer of optimizers) add(seed, 'sigmoid', { transform, activation: 'sigmoid', optimizer });
    }
    if (o.groups.includes('sweep')) {
      for (const lr of o.sweepLearningRates) add(seed, 'sweep', { transform: 'none', activation: 'relu', optimizer: 'adam', lr });
    }
    if (o.groups.includes('precision')) {
      for (const optimizer of optimizers) add(seed, 'precision', { transform: 'none', activation: 'relu', optimizer, dtype: 'float64', keep: seedIndex === 0 });
    }
    if (o.groups.includes('reparam') && seedIndex === 0) {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const optimizer of optimizers) {
          const maxSteps = dtype === 'float64' ? (o.reparamMaxSteps ?? undefined) : undefined;
          const normalizedKey = `relu·scale·${optimizer}·${dtype === 'float32' ? 'f32' : 'f64'}`;
          // The normalized partner: in float32 it is the main run (planned here if main is filtered out).
          add(seed, 'reparam', { transform: 'scale', activation: 'relu', optimizer, dtype, maxSteps, keep: true });
          add(seed, 'reparam', {
            transform: 'none',
            activation: 'relu',
            optimizer,
            dtype,
            tag: 'reparam',
            maxSteps,
            keep: true,
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
    throw new NormlabError('flag', `no run of the study matches --runs ${(o.runFilter ?? o.groups).join(',')}`, `use group names (${STUDY_GROUPS.join(', ')}) or parts of run keys such as none·sgd`);
  }
  return filtered;
}
