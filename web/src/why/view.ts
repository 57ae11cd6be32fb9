/**
 * The "Why?" view: `normlab why`'s study, run in this browser. The runs are planned by the study's own
 * planStudy, executed by its own runStudyJob in Web Workers (one per core, each given the verified
 * dataset once), analysed by analyzeStudy and put into words by the report layer's deriveFindings —
 * then shown by the report view's renderer, exactly as a why.json from the CLI is. Only the size differs:
 * the default is a slice sized for a browser (BROWSER_STUDY), and the learner can ask for more.
 */
import {
  type Dataset,
  type DatasetName,
  sliceForSpec,
  planStudy,
  resolveStudyOptions,
  type StudyOptions,
  analyzeStudy,
  sampleImages,
  type RunResult,
  type RunSpec,
  type StudyResult,
  deriveFindings,
  type Findings,
  stringifyJson,
} from '../../../src/browser.js';
import { DatasetProblem } from '../datasets/verify.js';
import type { DatasetStore } from '../datasets/store.js';
import { h, setText } from '../dom.js';
import { ReportView } from '../report/view.js';
import type { FromStudyWorker, ToStudyWorker } from './protocol.js';

/**
 * Study sizes offered here. `browser` (the default) aims at well under a minute on a laptop's cores. The
 * label is short enough for a phone-wide select; `note` (shown under it) says what the choice means.
 */
export const STUDY_SIZES: Record<string, { label: string; note: string; options: StudyOptions }> = {
  browser: {
    label: 'Browser-sized · 12,000 images, 1 epoch',
    note: 'Under a minute on a laptop.',
    options: { profile: 'browser', epochs: 1, trainLimit: 12000, testLimit: 2000, probeRows: 256, probeTestRows: 1000 },
  },
  quick: { label: 'Quick · 1,000 images', note: 'As normlab why --quick: seconds, and the numbers are indicative only.', options: { quick: true } },
  full: { label: 'Full · 60,000 images, 2 epochs', note: 'As normlab why by default: many minutes.', options: {} },
};

/** why.json's text: NaN and ±Infinity as strings, as the CLI writes them (JSON has no such numbers). */
function whyJsonText(study: StudyResult, findings: Findings): string {
  const value = { ...study, runs: study.runs.map(({ outputs: _outputs, ...run }) => run), findings };
  return stringifyJson(value);
}

function formatSeconds(s: number): string {
  return s < 60 ? `${Math.max(1, Math.round(s))} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export class WhyView {
  readonly root: HTMLElement;
  private readonly sizeSelect: HTMLSelectElement;
  private readonly sizeNote: HTMLParagraphElement;
  private readonly startButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly downloadButton: HTMLButtonElement;
  private readonly progress: HTMLProgressElement;
  private readonly status: HTMLElement;
  private readonly error: HTMLElement;
  private readonly report = new ReportView(undefined, { embedded: true });
  private workers: Worker[] = [];
  private running = false;
  private result: { study: StudyResult; findings: Findings } | undefined;
  private runSeconds = 0;

  constructor(
    private readonly store: DatasetStore,
    private readonly env: { wasmUrl?: string; dataset(): DatasetName },
  ) {
    this.sizeSelect = h(
      'select',
      { id: 'why-size', 'aria-describedby': 'why-size-note' },
      ...Object.entries(STUDY_SIZES).map(([key, s]) => h('option', { value: key }, s.label)),
    );
    this.sizeNote = h('p', { className: 'field-note', id: 'why-size-note' }, STUDY_SIZES.browser.note);
    this.sizeSelect.addEventListener('change', () => setText(this.sizeNote, (STUDY_SIZES[this.sizeSelect.value] ?? STUDY_SIZES.browser).note));
    this.startButton = h('button', { type: 'button', className: 'primary', id: 'why-start', onclick: () => void this.start() }, 'Run the study');
    this.stopButton = h('button', { type: 'button', id: 'why-stop', disabled: true, onclick: () => this.stop('Stopped.') }, 'Stop');
    this.downloadButton = h('button', { type: 'button', id: 'why-download', disabled: true, onclick: () => this.download() }, 'Download why.json');
    this.progress = h('progress', { id: 'why-progress', max: 1, value: 0, hidden: true, 'aria-label': 'study progress' });
    this.status = h('p', { className: 'why-status', id: 'why-status', role: 'status', 'aria-live': 'polite' }, '');
    this.error = h('p', { className: 'data-error', id: 'why-error', role: 'alert' });
    this.root = h(
      'section',
      { id: 'view-why', className: 'view', hidden: true, 'aria-labelledby': 'why-title' },
      h('h2', { id: 'why-title' }, 'Why does dividing by 255 change the results so much?'),
      h(
        'p',
        { className: 'lede' },
        'This runs the study of ',
        h('code', {}, 'normlab why'),
        ' here, in Web Workers: the same network trained with each input transform, optimizer and precision, probed as it learns, then the same comparisons and written findings as the command line’s report.',
      ),
      h(
        'div',
        { className: 'controls why-controls' },
        h('div', { className: 'field' }, h('label', { for: 'why-size' }, 'Study size'), this.sizeSelect, this.sizeNote),
        h('div', { className: 'buttons' }, this.startButton, this.stopButton, this.downloadButton),
        this.progress,
        this.status,
        this.error,
      ),
      this.report.root,
    );
  }

  shown(): void {
    this.report.shown();
  }

  private async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.startButton.disabled = true;
    this.stopButton.disabled = false;
    this.downloadButton.disabled = true;
    setText(this.error, '');
    const started = performance.now();
    try {
      const name = this.env.dataset();
      const size = STUDY_SIZES[this.sizeSelect.value] ?? STUDY_SIZES.browser;
      const options = resolveStudyOptions({ ...size.options, dataset: name, backend: 'wasm' });
      this.progress.hidden = false;
      this.progress.removeAttribute('value');
      setText(this.status, 'Loading the dataset…');
      const full = await this.store.load(name, (p) =>
        setText(this.status, p.total ? `${p.text} ${(p.loaded / 1e6).toFixed(1)} of ${(p.total / 1e6).toFixed(1)} MB` : p.text),
      );
      if (!this.running) return;
      const specs = planStudy(options, { train: full.train.count, test: full.test.count });
      const runs = await this.execute(specs, full, started);
      if (!runs) return;
      const sliced = sliceForSpec(full, { data: { dataset: name, trainLimit: options.trainLimit ?? undefined, testLimit: options.testLimit ?? undefined } });
      const study = analyzeStudy(options, runs, {
        dataset: {
          name,
          verified: full.train.verified && full.test.verified,
          trainCount: sliced.train.count,
          testCount: sliced.test.count,
          classNames: full.train.classNames,
          directory: full.train.directory,
          notes: [...new Set([...full.train.notes, ...full.test.notes])],
        },
        samples: sampleImages(sliced),
        wallSeconds: (performance.now() - started) / 1000,
        inputSize: full.train.height * full.train.width,
        environment: { platform: navigator.userAgent, cpus: navigator.hardwareConcurrency || 0, node: '' },
      });
      this.result = { study, findings: deriveFindings(study) };
      this.runSeconds = (performance.now() - started) / 1000;
      this.report.show(this.result, `the study just run in this browser (${specs.length} runs in ${formatSeconds(this.runSeconds)})`);
      this.progress.value = 1;
      setText(
        this.status,
        `Done: ${specs.length} runs in ${formatSeconds(this.runSeconds)} on ${this.workers.length || 1} worker${this.workers.length === 1 ? '' : 's'}. The answer and the findings are below.`,
      );
      this.downloadButton.disabled = false;
      this.report.root.scrollIntoView({ block: 'start' });
    } catch (error) {
      setText(
        this.error,
        error instanceof DatasetProblem ? `${error.message} Try: ${error.hint} (in the lab's Data panel).` : `The study failed: ${(error as Error).message}`,
      );
      setText(this.status, 'Not finished.');
    } finally {
      this.finish();
    }
  }

  /** Run every spec on a pool of Web Workers; undefined when stopped. */
  private execute(specs: RunSpec[], data: { train: Dataset; test: Dataset }, started: number): Promise<RunResult[] | undefined> {
    const count = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4, specs.length));
    const results: RunResult[] = new Array(specs.length);
    let next = 0;
    let done = 0;
    return new Promise((resolve, reject) => {
      this.onStop = () => resolve(undefined);
      const dispatch = (worker: Worker) => {
        if (next >= specs.length) return;
        const index = next++;
        worker.postMessage({ type: 'run', index, spec: specs[index] } satisfies ToStudyWorker);
      };
      for (let i = 0; i < count; i++) {
        const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: `normlab study ${i + 1}` });
        this.workers.push(worker);
        worker.onmessage = (e: MessageEvent<FromStudyWorker>) => {
          const m = e.data;
          if (m.type === 'ready') {
            dispatch(worker);
            return;
          }
          if (m.type === 'error') {
            reject(new Error(`run ${specs[m.index].key}: ${m.message}`));
            return;
          }
          results[m.index] = m.result;
          done++;
          const elapsed = (performance.now() - started) / 1000;
          this.progress.value = done / specs.length;
          setText(
            this.status,
            `${done} of ${specs.length} runs done (last: ${m.result.spec.label}) · ${done < specs.length ? `about ${formatSeconds((elapsed / done) * (specs.length - done))} left` : 'analysing…'}`,
          );
          if (done === specs.length) resolve(results);
          else dispatch(worker);
        };
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(e.message || 'a study worker failed to start'));
        };
        worker.postMessage({ type: 'init', data, wasmUrl: this.env.wasmUrl } satisfies ToStudyWorker);
      }
      setText(this.status, `0 of ${specs.length} runs done · starting ${count} worker${count > 1 ? 's' : ''}…`);
    });
  }

  private onStop: (() => void) | undefined;

  private stop(text: string): void {
    if (!this.running) return;
    this.onStop?.();
    setText(this.status, text);
    this.finish();
  }

  private finish(): void {
    for (const w of this.workers) w.terminate();
    this.workers = [];
    this.onStop = undefined;
    this.running = false;
    const hadFocus = document.activeElement === this.stopButton;
    this.startButton.disabled = false;
    this.stopButton.disabled = true;
    if (hadFocus) this.startButton.focus();
    if (this.progress.value !== 1) this.progress.hidden = true;
  }

  private download(): void {
    if (!this.result) return;
    const url = URL.createObjectURL(new Blob([whyJsonText(this.result.study, this.result.findings)], { type: 'application/json' }));
    const a = h('a', { href: url, download: 'why.json' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  /** What the e2e test reads. */
  snapshot(): { running: boolean; runs: number; findings: number; answer: string[]; seconds: number } {
    return {
      running: this.running,
      runs: this.result?.study.runs.length ?? 0,
      findings: this.result?.findings.list.length ?? 0,
      answer: this.result?.findings.closing ?? [],
      seconds: this.runSeconds,
    };
  }
}
