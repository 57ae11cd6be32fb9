/**
 * Every setting of the app lives in the page URL, so a mentor can send a learner a link to an exact
 * experiment: `?view=lab&normalize=none,scale&optimizer=adam&lr=0.001&units=128&epochs=5&seed=1`.
 * Parsing never throws: a value that is missing or invalid falls back to its default, and the reason is
 * collected in `problems` so the page can say which part of a link it ignored.
 */
import type { z } from 'zod';
import {
  DTYPE_CHOICES,
  HIDDEN_ACTIVATIONS,
  NORMALIZE_CHOICES,
  OPTIMIZER_CHOICES,
  TRAIN_LIMITS as L,
  TrainSettings,
  type NormalizeChoice,
} from '../../src/browser.js';

export const VIEWS = ['lab', 'why', 'sigmoid', 'report'] as const;
export type View = (typeof VIEWS)[number];
export const OPTIMIZERS = OPTIMIZER_CHOICES;
export const DTYPES = DTYPE_CHOICES;
export const BACKENDS = ['wasm', 'reference'] as const;
export const DATASET_CHOICES = ['fashion-mnist', 'mnist'] as const;

export interface LabSettings {
  dataset: (typeof DATASET_CHOICES)[number];
  /** One run per transform, trained side by side. */
  normalize: NormalizeChoice[];
  optimizer: (typeof OPTIMIZERS)[number];
  /** Undefined: Keras' default for the optimizer. */
  lr: number | undefined;
  /** Hidden layer sizes, e.g. [128] or [512, 256]. */
  units: number[];
  activation: (typeof HIDDEN_ACTIVATIONS)[number];
  epochs: number;
  batchSize: number;
  seed: number;
  dtype: (typeof DTYPES)[number];
  backend: (typeof BACKENDS)[number];
  /** Train on the first N images only (0 = the whole training set). */
  trainLimit: number;
}

export interface SigmoidSettings {
  /** Pixel value 0–255. */
  pixel: number;
  weight: number;
  /** Whether the pixel is divided by 255 before multiplying by the weight. */
  scaled: boolean;
}

export interface AppSettings {
  view: View;
  lab: LabSettings;
  sigmoid: SigmoidSettings;
}

export const DEFAULT_LAB: LabSettings = {
  dataset: 'fashion-mnist',
  normalize: ['none', 'scale'],
  optimizer: 'adam',
  lr: undefined,
  units: [128],
  activation: 'relu',
  epochs: 5,
  batchSize: 32,
  seed: 1,
  dtype: 'float32',
  backend: 'wasm',
  trainLimit: 0,
};

export const DEFAULT_SIGMOID: SigmoidSettings = { pixel: 255, weight: 0.05, scaled: false };

/** A value as the banner quotes it: long ones are cut (a 6 KB value must not widen the page). */
export function quote(value: string, max = 40): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length.toLocaleString('en')} characters)`;
}

/** Digits only: Number() alone would take "0x10" as 16, "1e1" as 10 and " 7" as 7. */
const WHOLE = /^\d+$/;
/** A plain decimal such as 0.001, -0.1, 1e-3 or .5 (no hex, no Infinity). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function choice<T extends string>(value: string | null, choices: readonly T[], fallback: T, key: string, problems: string[]): T {
  if (value === null) return fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  problems.push(`${key}=${quote(value)} (expected ${choices.join(', ')})`);
  return fallback;
}

function integer(value: string | null, min: number, max: number, fallback: number, key: string, problems: string[]): number {
  if (value === null) return fallback;
  const n = WHOLE.test(value) ? Number(value) : NaN;
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  problems.push(`${key}=${quote(value)} (expected a whole number from ${min} to ${max})`);
  return fallback;
}

/**
 * A training setting from the link, checked by TrainSettings' own rule for that field (src/lab/settings.ts),
 * so the app accepts exactly what `normlab train` accepts: the limits cannot drift apart. `read` turns the
 * text into a value (digits only for whole numbers); `expected` says the rule in the banner's words.
 */
function trained<K extends keyof typeof TrainSettings.shape>(
  field: K,
  text: string | null,
  read: (text: string) => unknown,
  expected: string,
  key: string,
  problems: string[],
): z.output<(typeof TrainSettings.shape)[K]> | undefined {
  if (text === null) return undefined;
  const parsed = TrainSettings.shape[field].safeParse(read(text));
  // An absent value parses to the schema's default: only a value the link gave counts.
  if (parsed.success && parsed.data !== undefined) return parsed.data as z.output<(typeof TrainSettings.shape)[K]>;
  problems.push(`${key}=${quote(text)} (${expected})`);
  return undefined;
}
const wholeNumber = (text: string) => (WHOLE.test(text) ? Number(text) : NaN);
const decimal = (text: string) => (DECIMAL.test(text) ? Number(text) : NaN);
const range = (r: { min: number; max: number }) => `expected a whole number from ${r.min} to ${r.max}`;

function real(value: string | null, min: number, max: number, fallback: number, key: string, problems: string[]): number {
  if (value === null) return fallback;
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (Number.isFinite(n) && n >= min && n <= max) return n;
  problems.push(`${key}=${quote(value)} (expected a number from ${min} to ${max})`);
  return fallback;
}

export function parseSettings(search: string): { settings: AppSettings; problems: string[] } {
  const q = new URLSearchParams(search);
  const problems: string[] = [];
  const d = DEFAULT_LAB;
  let normalize = d.normalize;
  const rawNormalize = q.get('normalize');
  if (rawNormalize !== null) {
    const parts = [
      ...new Set(
        rawNormalize
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ];
    const bad = parts.filter((p) => !(NORMALIZE_CHOICES as readonly string[]).includes(p));
    const good = NORMALIZE_CHOICES.filter((t) => parts.includes(t));
    const expected = `expected some of ${NORMALIZE_CHOICES.join(', ')}`;
    // Say exactly what happened: the unknown names were dropped and the known ones kept.
    if (good.length && bad.length) problems.push(`normalize=${quote(rawNormalize)}: ${quote(bad.join(', '))} ignored (${expected}); kept ${good.join(', ')}`);
    else if (!good.length) problems.push(`normalize=${quote(rawNormalize)} (${expected})`);
    if (good.length) normalize = good;
  }
  // The limits of every run (src/lab/settings.ts); whether a model fits in memory the engine checks.
  const units = trained(
    'units',
    q.get('units'),
    (text) => text.split(',').map((part) => wholeNumber(part.trim())),
    `expected up to ${L.hiddenLayers.max} layer sizes from ${L.units.min} to ${L.units.max}, e.g. 128 or 256,128`,
    'units',
    problems,
  );
  const rawLr = q.get('lr');
  const lr = trained('learningRate', rawLr === '' ? null : rawLr, decimal, 'expected a positive number such as 0.001', 'lr', problems);
  const lab: LabSettings = {
    dataset: choice(q.get('dataset'), DATASET_CHOICES, d.dataset, 'dataset', problems),
    normalize,
    optimizer: trained('optimizer', q.get('optimizer'), String, `expected ${OPTIMIZERS.join(', ')}`, 'optimizer', problems) ?? d.optimizer,
    lr,
    units: units ?? d.units,
    activation: trained('activation', q.get('activation'), String, `expected ${HIDDEN_ACTIVATIONS.join(', ')}`, 'activation', problems) ?? d.activation,
    epochs: trained('epochs', q.get('epochs'), wholeNumber, range(L.epochs), 'epochs', problems) ?? d.epochs,
    batchSize: trained('batchSize', q.get('batch'), wholeNumber, range(L.batchSize), 'batch', problems) ?? d.batchSize,
    seed: trained('seed', q.get('seed'), wholeNumber, range(L.seed), 'seed', problems) ?? d.seed,
    dtype: trained('dtype', q.get('dtype'), String, `expected ${DTYPES.join(', ')}`, 'dtype', problems) ?? d.dtype,
    backend: choice(q.get('backend'), BACKENDS, d.backend, 'backend', problems),
    trainLimit: integer(q.get('trainLimit'), 0, 60000, d.trainLimit, 'trainLimit', problems),
  };
  const s = DEFAULT_SIGMOID;
  const sigmoid: SigmoidSettings = {
    pixel: real(q.get('pixel'), 0, 255, s.pixel, 'pixel', problems),
    weight: real(q.get('weight'), -1, 1, s.weight, 'weight', problems),
    scaled: choice(q.get('input'), ['raw', 'scaled'] as const, s.scaled ? 'scaled' : 'raw', 'input', problems) === 'scaled',
  };
  return { settings: { view: choice(q.get('view'), VIEWS, 'lab', 'view', problems), lab, sigmoid }, problems };
}

/** The query string for the settings; defaults are left out to keep links short. */
export function formatSettings(settings: AppSettings): string {
  const q = new URLSearchParams();
  q.set('view', settings.view);
  const l = settings.lab;
  const d = DEFAULT_LAB;
  const put = (key: string, value: string, fallback: string) => {
    if (value !== fallback) q.set(key, value);
  };
  put('dataset', l.dataset, d.dataset);
  put('normalize', l.normalize.join(','), d.normalize.join(','));
  put('optimizer', l.optimizer, d.optimizer);
  if (l.lr !== undefined) q.set('lr', String(l.lr));
  put('units', l.units.join(','), d.units.join(','));
  put('activation', l.activation, d.activation);
  put('epochs', String(l.epochs), String(d.epochs));
  put('batch', String(l.batchSize), String(d.batchSize));
  put('seed', String(l.seed), String(d.seed));
  put('dtype', l.dtype, d.dtype);
  put('backend', l.backend, d.backend);
  put('trainLimit', String(l.trainLimit), String(d.trainLimit));
  const s = settings.sigmoid;
  put('pixel', String(s.pixel), String(DEFAULT_SIGMOID.pixel));
  put('weight', String(s.weight), String(DEFAULT_SIGMOID.weight));
  put('input', s.scaled ? 'scaled' : 'raw', DEFAULT_SIGMOID.scaled ? 'scaled' : 'raw');
  return `?${q.toString().replace(/%2C/g, ',')}`;
}
