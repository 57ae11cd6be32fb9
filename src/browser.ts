/**
 * `normlab` in the browser, and the one door from web/ into src/: the same tfjs-layers-compatible engine
 * as in Node minus the Node-only parts (file loading, model.save), the backends a browser can load, and
 * the data, lab and report code the web app renders. Every module of web/ (the page and its Workers)
 * imports from here and nowhere else in src/ — ESLint enforces it (eslint.config.js) — so what the
 * browser may use is listed in one place, and `npm run lint` checks (scripts/check-imports.mjs) that
 * nothing reachable from here imports a Node built-in (the disk dataset loader behind the study's job
 * module is replaced by web/vite.config.ts). Model files need a file system registered by Node's entry
 * points, which the browser never does. Importing this module does nothing: it only re-exports, and
 * backends are registered by calling registerBrowserBackends().
 *
 *   import { registerBrowserBackends, sequential, layers } from '.../src/browser.js';
 *   const { backends } = await registerBrowserBackends({ wasm: wasmUrl });   // ['reference', 'wasm']
 */
import { backendNames, registerBackend } from './engine/backends/registry.js';
import { loadWasmBackend } from './engine/backends/wasm/index.js';

// ---- the engine (the tfjs-layers-compatible API)
export * from './engine/index.js';
export { NormlabError, isNormlabError } from './errors.js';
export { datasetTensors } from './engine/dataset-tensors.js';
export { argmaxRow } from './engine/math/argmax.js';
export { ProbeCallback, type ProbeDiagnostics } from './engine/probes.js';

// ---- the wasm backend's two-thread split, for a page that runs its helper thread in a Web Worker
export { createSharedKernels, type HelperHandle, type ThreadedKernels } from './engine/backends/wasm/helper-thread.js';
export { kernelsFromInstance, wasmBackendFromKernels } from './engine/backends/wasm/index.js';
/** Offsets in the wasm module's memory (control block of the helper thread), for the helper's own code. */
export * as wasmLayout from './engine/backends/wasm/layout.js';

// ---- data: datasets the page loads and verifies itself (no disk loader in a browser)
export type { Dataset } from './data/dataset.js';
export { isGzip, parseIdx, type IdxImages } from './data/idx-format.js';
export { DATASETS, SPLITS, identifyByHash, officialFiles, type DatasetName, type FileKind, type Split } from './data/registry.js';
export { pickRows, sliceDataset } from './data/slice.js';
export { inputTransform, TRANSFORM_NAMES, type TransformName } from './data/transforms.js';
export { SiteConfigSchema, defaultCorsMirrors, type SiteConfig } from './data/site-config.js';

// ---- lab: training settings, runs and the normalization study
export { NORMALIZE_CHOICES, NORMALIZE_LABELS, normalizationFor, type NormalizeChoice } from './lab/normalizers.js';
export { DTYPE_CHOICES, HIDDEN_ACTIVATIONS, OPTIMIZER_CHOICES, TRAIN_LIMITS, TrainSettings } from './lab/settings.js';
export { TrainingConfigSchema, resolveBackendName, trainOnDataset, type TrainingConfig } from './lab/training.js';
export {
  METHOD_DESCRIPTIONS,
  SIGMOID_METHODS,
  getSigmoid,
  linspace,
  saturationThreshold,
  sigmoidBy,
  sigmoidDerivativeBy,
  sigmoidDerivativeExact,
  sigmoidStudy,
  type SigmoidMethod,
} from './lab/sigmoid.js';
export { runStudyJob, sliceForSpec } from './lab/study/job.js';
export { DEFAULT_PROBE_STEPS, planStudy, probeRowsFor, resolveStudyOptions, transformLabel, type StudyOptions } from './lab/study/plan.js';
export { analyzeStudy, sampleImages } from './lab/study/study.js';
export { formatRunKey } from './lab/study/run-id.js';
export type { RunResult, RunSpec, RunSummary, StudyOptimizer, StudyResult } from './lab/study/types.js';

// ---- report: findings, charts, tables and numbers, rendered by the page as by the terminal
export { NORMALIZE_COLORS, SIGMOID_METHOD_COLORS, studyCharts, type ChartSection } from './report/charts.js';
export { deriveFindings, type Finding, type Findings } from './report/findings.js';
export { fixed, num, pct, seconds } from './report/format.js';
export { measuredGapTable, methodNotes, proposedTable, reparamTable, runsTable, softmaxThresholdTable, thresholdTable, type Table } from './report/tables.js';
export { parseWhyJson, WhyJsonError } from './report/why-json.js';
export { parseJson, stringifyJson } from './util/json.js';
export { yieldToEventLoop } from './util/yield.js';

export interface BrowserBackendOptions {
  /** The compiled wasm backend (build/normlab.wasm): a URL to fetch, or its bytes. */
  wasm?: string | URL | ArrayBuffer | Uint8Array;
  /** Make wasm the default backend when it loads (default true). */
  makeDefault?: boolean;
}

export interface BrowserBackends {
  /** Every backend now registered, e.g. ['reference', 'wasm']. */
  backends: string[];
  /** Why the wasm backend is not among them, when it is not. */
  wasmError?: string;
}

/**
 * Register the backends this browser can run. `reference` is always there; `wasm` needs the compiled
 * module (fetched and instantiated asynchronously, so this is async like tfjs' `setBackend('wasm')`).
 */
export async function registerBrowserBackends(options: BrowserBackendOptions = {}): Promise<BrowserBackends> {
  if (options.wasm === undefined) return { backends: backendNames(), wasmError: 'no wasm module was given' };
  if (typeof WebAssembly !== 'object') return { backends: backendNames(), wasmError: 'this browser has no WebAssembly' };
  try {
    const backend = await loadWasmBackend(options.wasm);
    registerBackend('wasm', () => backend, { makeDefault: options.makeDefault ?? true });
    return { backends: backendNames() };
  } catch (error) {
    // Typically a browser without WebAssembly SIMD: the reference backend still trains, only slower.
    return { backends: backendNames(), wasmError: (error as Error).message };
  }
}
