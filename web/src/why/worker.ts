/**
 * One study worker: registers the browser backends, keeps the dataset it was given, and runs the study's
 * jobs with the CLI's own `runStudyJob` on the spec's slice of the data.
 */
import { registerBrowserBackends, type Dataset, runStudyJob, sliceForSpec } from '../../../src/browser.js';
import type { FromStudyWorker, ToStudyWorker } from './protocol.js';

let data: { train: Dataset; test: Dataset } | undefined;
let ready: Promise<unknown> = Promise.resolve();

function post(message: FromStudyWorker): void {
  (self as unknown as Worker).postMessage(message);
}

self.onmessage = (event: MessageEvent<ToStudyWorker>) => {
  const m = event.data;
  if (m.type === 'init') {
    data = m.data;
    ready = registerBrowserBackends({ wasm: m.wasmUrl }).then((r) => post({ type: 'ready', backends: r.backends, wasmError: r.wasmError }));
    return;
  }
  void ready
    .then(async () => {
      if (!data) throw new Error('the study worker got a run before its data');
      const result = await runStudyJob(m.spec, sliceForSpec(data, m.spec));
      post({ type: 'result', index: m.index, result });
    })
    .catch((error: unknown) => post({ type: 'error', index: m.index, message: (error as Error)?.message ?? String(error) }));
};
