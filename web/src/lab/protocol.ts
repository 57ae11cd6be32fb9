/**
 * Messages between the page and a training Worker (one Worker per run). Plain, structured-cloneable data.
 *
 * page → worker: start (once), then pause / resume / stop at any time; the worker acts on them between
 * batches (the fit loop yields to the event loop every ~100 ms).
 * worker → page: status lines while loading, `ready` with the data it trains on, throttled `batch`
 * progress (≤ 10 per second), one `epoch` per finished epoch with test numbers and diagnostics, `diag`
 * points between epochs, and finally `done` or `error`.
 */
import type { Dataset, ProbeDiagnostics, TrainingConfig } from '../../../src/browser.js';

export interface StartMessage {
  type: 'start';
  runId: string;
  /** The verified splits, loaded once by the page (web/src/datasets) and copied to each worker. */
  data: { train: Dataset; test: Dataset };
  config: Partial<TrainingConfig>;
  /** Train on the first N training images only (the `trainLimit` URL setting); 0 = all. */
  trainLimit: number;
  /** URL of normlab.wasm, when the app was built with it. */
  wasmUrl?: string;
  /** URL of normlab-mt.wasm (two threads per run, when the page is cross-origin isolated). */
  wasmMtUrl?: string;
  /** 'auto': split batches over two threads when that is faster; 1: one thread (runs share the cores). */
  threads: 1 | 'auto';
  /** How many test images to show with their predictions. */
  samplesPerClass: number;
}

export type ControlMessage = { type: 'pause' } | { type: 'resume' } | { type: 'stop' };
export type ToWorker = StartMessage | ControlMessage;

/**
 * Diagnostics of one moment of training: the engine's probe of a fixed batch of training images (the
 * same definitions `normlab why` reports), taken at early steps, a few times per epoch and at each
 * epoch's end.
 */
export type DiagnosticPoint = ProbeDiagnostics;

export interface ReadyInfo {
  backend: string;
  backendNote?: string;
  /** 2 when this run may split its batches over two threads (wasm, cross-origin isolated page). */
  threads: 1 | 2;
  trainCount: number;
  testCount: number;
  batches: number;
  transform: { name: string; formula: string; a: number; b: number; range: [number, number] };
  classNames: string[];
  verified: boolean;
  notes: string[];
  /** The sample grid: images (count × height × width bytes), their labels and test-set indices. */
  samples: { images: Uint8Array; labels: number[]; indices: number[]; height: number; width: number };
  params: number;
}

export interface EpochInfo {
  epoch: number;
  /**
   * Epochs of training behind these numbers: epoch + 1 for a finished epoch, less for one cut short by
   * Stop (e.g. 0.43), so the charts plot it where training really stopped.
   */
  at: number;
  /** True for an epoch cut short by Stop. */
  partial: boolean;
  /** Seconds of training in this epoch (pauses excluded; diagnostics probes included). */
  seconds: number;
  loss: number;
  acc: number;
  testLoss: number;
  testAcc: number;
  /** Row-major [true class][predicted class] counts over the test set. */
  confusion: number[];
  /** Predicted class and its probability for each sample image. */
  samplePredictions: { label: number; prob: number }[];
}

export type FromWorker =
  | { type: 'status'; runId: string; text: string }
  | { type: 'ready'; runId: string; info: ReadyInfo }
  | {
      type: 'batch';
      runId: string;
      epoch: number;
      batch: number;
      batches: number;
      /** Keras' running means over the epoch so far (what the progress bar shows). */
      loss: number;
      acc: number;
      /** Means over the last WINDOW batches (a continuous curve across epoch boundaries, for the charts). */
      windowLoss: number;
      windowAcc: number;
    }
  | { type: 'diag'; runId: string; point: DiagnosticPoint }
  | { type: 'epoch'; runId: string; info: EpochInfo }
  | { type: 'paused'; runId: string; paused: boolean }
  | {
      type: 'done';
      runId: string;
      stopped: boolean;
      test: { loss: number; acc: number };
      /** Mean seconds per full epoch of training (pauses excluded); undefined when no epoch finished. */
      secondsPerEpoch: number | undefined;
      /** Seconds of training per epoch, pauses excluded. */
      epochSeconds: number[];
      /** Epochs of training done (fractional when stopped mid-epoch). */
      epochsDone: number;
      /** Training batches that ran on two threads. */
      splitBatches: number;
      nonFinite?: { epoch: number; batch: number; step: number; value: number };
    }
  | { type: 'error'; runId: string; message: string; hint?: string };
