/**
 * Messages between the Why? view and its study workers. Each worker gets the verified dataset once, then
 * runs jobs: a RunSpec in, a RunResult out — the very job `normlab why` runs on its Node worker pool
 * (src/lab/study/job.ts), so the browser's study is the CLI's study, not a copy of it.
 */
import type { Dataset, RunResult, RunSpec } from '../../../src/browser.js';

export type ToStudyWorker = { type: 'init'; data: { train: Dataset; test: Dataset }; wasmUrl?: string } | { type: 'run'; index: number; spec: RunSpec };

export type FromStudyWorker =
  | { type: 'ready'; backends: string[]; wasmError?: string }
  | { type: 'result'; index: number; result: RunResult }
  | { type: 'error'; index: number; message: string };
