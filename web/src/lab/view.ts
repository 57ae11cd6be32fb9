/**
 * The normalization lab: pick the settings, start one run per input transform, and watch them train side
 * by side — live loss, accuracy and diagnostics charts, and one panel per run. Each run trains in its own
 * Worker; at most `navigator.hardwareConcurrency` train at once, the rest wait for a free core.
 */
import {
  TRANSFORM_NAMES,
  type TransformName,
  NORMALIZE_CHOICES,
  NORMALIZE_LABELS,
  NORMALIZE_COLORS,
  fixed,
  DEFAULT_LEARNING_RATE,
  HIDDEN_ACTIVATIONS,
  TRAIN_LIMITS as L,
  DATASETS,
  type Dataset,
} from '../../../src/browser.js';
import { Chart, chartCanvas, redraws, refreshCharts, scheduleUpdate } from '../charts.js';
import { h, richText, setText, uid } from '../dom.js';
import { DatasetProblem } from '../datasets/verify.js';
import type { DatasetStore } from '../datasets/store.js';
import { BACKENDS, DATASET_CHOICES, DTYPES, OPTIMIZERS, type LabSettings } from '../settings.js';
import type { DiagnosticPoint, EpochInfo, FromWorker, StartMessage, ToWorker } from './protocol.js';
import { RunCard } from './run-card.js';
import { explainRuns, unexplainable } from './explain.js';

export interface LabEnvironment {
  wasmUrl?: string;
  wasmMtUrl?: string;
  /** Called whenever the settings change (the app writes them into the URL). */
  onSettingsChange(settings: LabSettings): void;
}

/** A plain decimal number such as 0.001, 1e-3 or .5 (no hex, no Infinity, no blanks). */
const DECIMAL = /^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

const DIAG_METRICS: { key: string; label: string; get(d: DiagnosticPoint): number | null; log?: boolean }[] = [
  { key: 'logitMax', label: 'max |logit|', get: (d) => d.logits.maxAbs, log: true },
  { key: 'logitGap', label: 'mean top-2 logit gap', get: (d) => d.logits.gapMean, log: true },
  { key: 'softmaxOne', label: 'softmax exactly 1.0 (share)', get: (d) => d.softmax.maxExactlyOne },
  {
    key: 'deadUnits',
    label: 'dead / saturated hidden units (share)',
    get: (d) => (d.layers.length > 1 ? (d.layers[0].deadFraction ?? d.layers[0].saturatedFraction) : null),
  },
  { key: 'gradNorm0', label: 'gradient norm, first kernel', get: (d) => d.layers[0].kernelGradNorm, log: true },
  { key: 'gradNormLast', label: 'gradient norm, output kernel', get: (d) => d.layers[d.layers.length - 1].kernelGradNorm, log: true },
  { key: 'updateRatio', label: 'update ratio ‖ΔW₁‖/‖W₁‖', get: (d) => d.layers[0].updateRatio, log: true },
];

/** A diagnostics value as a chart point (Chart.js skips NaN: log axes cannot show 0 or null). */
function diagPoint(metric: (typeof DIAG_METRICS)[number], d: DiagnosticPoint): { x: number; y: number } {
  const v = metric.get(d);
  return { x: d.epoch, y: v === null || (metric.log && v <= 0) ? NaN : v };
}

interface Run {
  id: string;
  transform: string;
  color: string;
  card: RunCard;
  worker?: Worker;
  state: 'queued' | 'loading' | 'training' | 'paused' | 'done' | 'stopped' | 'error';
  batches: number;
  epochs: EpochInfo[];
  diagnostics: DiagnosticPoint[];
  lossPoints: { x: number; y: number }[];
  accPoints: { x: number; y: number }[];
  testLoss: { x: number; y: number }[];
  testAcc: { x: number; y: number }[];
  secondsPerEpoch?: number;
  /** Share of its epochs done (0–1), for the overall progress bar. */
  progress: number;
  /** 2 when the run may split batches over two threads; batches that did. */
  threads?: 1 | 2;
  splitBatches?: number;
  /** The newest batch progress not yet shown on the card (see paintProgress). */
  pendingBatch?: Extract<FromWorker, { type: 'batch' }>;
}

/**
 * How often run cards and the overall bar show batch progress (the worker reports ten times a second;
 * every report still becomes a point of the loss curve). Each repaint costs the main thread style,
 * layout, paint and raster work, which on a 2-core machine is taken from the two training threads — see
 * UPDATE_INTERVAL_MS in ../charts.ts for what that costs.
 */
const PROGRESS_PAINT_MS = 250;

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds - m * 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** What the e2e test (and a curious learner in the console) can read about the runs. */
export interface LabSnapshot {
  running: boolean;
  /** Chart redraws so far, and the number of points in each chart's datasets (by label). */
  chartRedraws: number;
  chartPoints: Record<'loss' | 'acc' | 'diag', Record<string, number>>;
  runs: {
    transform: string;
    state: string;
    backend?: string;
    epochsDone: number;
    batchPoints: number;
    lastLoss?: number;
    lastAcc?: number;
    testLoss?: number;
    testAcc?: number;
    epochSeconds: number[];
    threads?: 1 | 2;
    splitBatches?: number;
    diagnostics?: DiagnosticPoint;
  }[];
}

export class LabView {
  readonly root: HTMLElement;
  private settings: LabSettings;
  private runs: Run[] = [];
  private readonly form: HTMLFormElement;
  private readonly statusEl: HTMLElement;
  private readonly runsEl: HTMLElement;
  private readonly startButton: HTMLButtonElement;
  private readonly pauseButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private lossChart!: Chart;
  private accChart!: Chart;
  private diagChart!: Chart;
  private diagMetric = DIAG_METRICS[0];
  private paused = false;
  private backendBadge: HTMLElement;
  private readyInfo = new Map<string, string>();
  private readonly dataStatus: HTMLElement;
  private readonly dataProgress: HTMLProgressElement;
  private readonly dataError: HTMLElement;
  private readonly dataVerdicts: HTMLElement;
  private readonly overall: HTMLProgressElement;
  private readonly overallText: HTMLElement;
  private readonly explainEl: HTMLElement;
  private starting = false;
  private data: { train: Dataset; test: Dataset } | undefined;
  private startedAt = 0;
  private progressTimer: ReturnType<typeof setTimeout> | undefined;
  private pausedSince = 0;
  private pausedTotal = 0;

  constructor(
    initial: LabSettings,
    private readonly env: LabEnvironment,
    private readonly store: DatasetStore,
  ) {
    this.settings = structuredClone(initial);
    this.statusEl = h(
      'p',
      { className: 'lab-status', role: 'status', 'aria-live': 'polite' },
      'Pick settings and press Start. Each checked input transform trains as its own run, side by side.',
    );
    this.dataStatus = h('p', { className: 'data-status', id: 'data-status', 'aria-live': 'polite' }, '');
    this.dataProgress = h('progress', { id: 'data-progress', max: 1, value: 0, hidden: true, 'aria-label': 'dataset download and verification' });
    this.dataError = h('p', { className: 'data-error', id: 'data-error', role: 'alert' });
    this.dataVerdicts = h('ul', { className: 'data-verdicts', id: 'data-verdicts' });
    this.overall = h('progress', { id: 'overall-progress', max: 1, value: 0, 'aria-label': 'training progress, all runs' });
    this.overallText = h('span', { className: 'overall-text', id: 'overall-text' }, '');
    this.explainEl = h('section', { className: 'explain', id: 'lab-explain', 'aria-label': 'what these runs show', hidden: true });
    this.runsEl = h('div', { className: 'runs', 'aria-label': 'runs' });
    this.startButton = h('button', { type: 'submit', className: 'primary', id: 'start' }, 'Start');
    this.pauseButton = h('button', { type: 'button', id: 'pause', disabled: true, onclick: () => this.togglePause() }, 'Pause');
    this.stopButton = h('button', { type: 'button', id: 'stop', disabled: true, onclick: () => this.stop() }, 'Stop');
    this.backendBadge = h('span', { className: 'badge' });
    this.form = this.buildForm();
    const charts = this.buildCharts();
    this.root = h(
      'section',
      { id: 'view-lab', className: 'view', 'aria-labelledby': 'lab-title' },
      h('h2', { id: 'lab-title' }, 'Normalization lab'),
      h('p', { className: 'lede' }, 'The same network, the same seed, the same data — only the input transform differs. Watch what dividing by 255 changes.'),
      this.form,
      h(
        'div',
        { className: 'lab-progress', id: 'lab-progress' },
        this.statusEl,
        h('div', { className: 'overall', hidden: true }, this.overall, this.overallText),
      ),
      charts,
      this.explainEl,
      this.runsEl,
    );
    void this.describeData();
  }

  // ---- data

  /** Say where the selected dataset will come from, and label each option with its availability. */
  private async describeData(): Promise<void> {
    const name = this.settings.dataset;
    setText(this.dataStatus, await this.store.describe(name));
    const select = this.form.elements.namedItem('dataset') as HTMLSelectElement;
    for (const option of Array.from(select.options)) {
      const where = await this.store.availability(option.value as LabSettings['dataset']);
      const title = DATASETS[option.value as LabSettings['dataset']].title;
      option.textContent =
        where === 'pick' ? `${title} (pick files)` : where === 'cached' ? `${title} (cached)` : where === 'test-only' ? `${title} (test split only)` : title;
    }
  }

  private async pickFiles(files: File[]): Promise<void> {
    if (!files.length) return;
    setText(this.dataError, '');
    setText(this.dataStatus, `checking ${files.length} file${files.length > 1 ? 's' : ''}…`);
    const verdicts = await this.store.addFiles(files, this.settings.dataset);
    this.dataVerdicts.replaceChildren(...verdicts.map((v) => h('li', { className: v.ok ? 'ok' : 'bad' }, v.text)));
    const missing = await this.store.missing(this.settings.dataset);
    await this.describeData();
    if (missing.length && missing.length < 4) setText(this.dataStatus, `${this.dataStatus.textContent} Still missing: ${missing.join(', ')}.`);
  }

  /** Load (or take from memory) the verified dataset, showing progress; undefined after showing why not. */
  private async loadData(): Promise<{ train: Dataset; test: Dataset } | undefined> {
    const name = this.settings.dataset;
    setText(this.dataError, '');
    this.dataProgress.hidden = false;
    this.dataProgress.removeAttribute('value');
    try {
      const data = await this.store.load(name, (p) => {
        if (p.total) this.dataProgress.value = p.loaded / p.total;
        setText(this.dataStatus, p.total ? `${p.text} ${(p.loaded / 1e6).toFixed(1)} of ${(p.total / 1e6).toFixed(1)} MB` : p.text);
      });
      this.dataProgress.value = 1;
      this.dataProgress.hidden = true;
      setText(
        this.dataStatus,
        `${DATASETS[name].title}: ${data.train.count.toLocaleString('en')} training and ${data.test.count.toLocaleString('en')} test images, SHA-256 verified (from ${data.train.directory}).${data.train.notes.length ? ` Note: ${data.train.notes.join('; ')}.` : ''}`,
      );
      return data;
    } catch (error) {
      this.dataProgress.hidden = true;
      const text = error instanceof DatasetProblem ? `${error.message} Try: ${error.hint}.` : `The dataset could not be loaded: ${(error as Error).message}`;
      setText(this.dataError, text);
      setText(this.dataStatus, await this.store.describe(name));
      setText(this.statusEl, 'Not started: the dataset is not available (see above).');
      return undefined;
    }
  }

  // ---- controls

  private buildForm(): HTMLFormElement {
    const s = this.settings;
    const field = (label: string, control: HTMLElement, hint?: string) => {
      const id = control.id || uid('f');
      control.id = id;
      return h('div', { className: 'field' }, h('label', { for: id }, label), control, hint ? h('small', {}, hint) : null);
    };
    const select = (name: string, options: readonly string[], value: string, labels: Record<string, string> = {}) =>
      h('select', { name, id: `lab-${name}` }, ...options.map((o) => h('option', { value: o, selected: o === value }, labels[o] ?? o)));
    const number = (name: string, value: string, attrs: Record<string, string | number> = {}) =>
      h('input', { type: 'text', inputmode: 'decimal', name, id: `lab-${name}`, value, autocomplete: 'off', spellcheck: 'false', ...attrs });

    const transforms = h(
      'fieldset',
      { className: 'transforms' },
      h('legend', {}, 'Input transforms (one run each)'),
      ...NORMALIZE_CHOICES.map((t) =>
        h(
          'label',
          { className: 'check', style: `--run-color:${NORMALIZE_COLORS[t]}` },
          h('input', { type: 'checkbox', name: 'normalize', value: t, checked: s.normalize.includes(t) }),
          h('span', { className: 'swatch', 'aria-hidden': 'true' }),
          NORMALIZE_LABELS[t],
        ),
      ),
    );
    const lrHint = () => `empty = ${DEFAULT_LEARNING_RATE[this.settings.optimizer]} (Keras default)`;
    const lrField = field(
      'Learning rate',
      number('lr', s.lr === undefined ? '' : String(s.lr), { placeholder: String(DEFAULT_LEARNING_RATE[s.optimizer]) }),
      lrHint(),
    );
    const form = h(
      'form',
      { className: 'controls', 'aria-label': 'experiment settings', novalidate: true },
      h(
        'div',
        { className: 'control-grid' },
        field('Dataset', select('dataset', DATASET_CHOICES, s.dataset)),
        field('Optimizer', select('optimizer', OPTIMIZERS, s.optimizer)),
        lrField,
        field('Hidden units', number('units', s.units.join(','), { inputmode: 'numeric' }), 'e.g. 128 or 256,128'),
        field('Activation', select('activation', HIDDEN_ACTIVATIONS, s.activation)),
        field('Epochs', number('epochs', String(s.epochs), { inputmode: 'numeric' })),
        field('Batch size', number('batch', String(s.batchSize), { inputmode: 'numeric' })),
        field('Seed', number('seed', String(s.seed), { inputmode: 'numeric' })),
        field('Precision', select('dtype', DTYPES, s.dtype)),
        field('Backend', select('backend', BACKENDS, s.backend), undefined),
        field(
          'Training images',
          number('trainLimit', s.trainLimit ? String(s.trainLimit) : '', { inputmode: 'numeric', placeholder: 'all' }),
          'empty = all 60 000',
        ),
      ),
      transforms,
      this.buildDataPanel(),
      h('p', { className: 'form-error', role: 'alert' }),
      h(
        'div',
        { className: 'buttons' },
        this.startButton,
        this.pauseButton,
        this.stopButton,
        h('button', { type: 'button', id: 'copy-link', onclick: () => this.copyLink() }, 'Copy link'),
        this.backendBadge,
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.start();
    });
    form.addEventListener('change', (e) => {
      if ((e.target as HTMLElement).id === 'data-files') return;
      const datasetBefore = this.settings.dataset;
      this.readForm(false);
      if (this.settings.dataset !== datasetBefore) {
        setText(this.dataError, '');
        this.dataVerdicts.replaceChildren();
        void this.describeData();
      }
      const small = lrField.querySelector('small');
      if (small) small.textContent = lrHint();
      (form.elements.namedItem('lr') as HTMLInputElement).placeholder = String(DEFAULT_LEARNING_RATE[this.settings.optimizer]);
    });
    return form;
  }

  private buildDataPanel(): HTMLElement {
    const input = h('input', { type: 'file', id: 'data-files', multiple: true, accept: '.gz,application/gzip,application/octet-stream' });
    input.addEventListener('change', () => {
      void this.pickFiles(Array.from(input.files ?? []));
      input.value = '';
    });
    const panel = h(
      'fieldset',
      { className: 'data-panel', id: 'data-panel' },
      h('legend', {}, 'Data'),
      this.dataStatus,
      this.dataProgress,
      h(
        'div',
        { className: 'data-pick' },
        h('label', { for: 'data-files' }, 'Use files from this computer (the four official .gz files, any names):'),
        input,
        h('small', {}, 'or drop them here. They are checked by SHA-256 and kept in this browser.'),
      ),
      this.dataError,
      this.dataVerdicts,
    );
    panel.addEventListener('dragover', (e) => {
      e.preventDefault();
      panel.classList.add('dragging');
    });
    panel.addEventListener('dragleave', () => panel.classList.remove('dragging'));
    panel.addEventListener('drop', (e) => {
      e.preventDefault();
      panel.classList.remove('dragging');
      void this.pickFiles(Array.from((e as DragEvent).dataTransfer?.files ?? []));
    });
    return panel;
  }

  /** Read and check the form; with `strict`, report the first problem and return false. */
  private readForm(strict: boolean): boolean {
    const f = this.form.elements;
    const value = (name: string) => (f.namedItem(name) as HTMLInputElement | HTMLSelectElement).value.trim();
    const problems: string[] = [];
    const invalid = new Set<string>();
    const bad = (name: string, text: string) => {
      invalid.add(name);
      problems.push(text);
    };
    const int = (name: string, label: string, min: number, max: number, fallback: number, emptyAs?: number) => {
      const v = value(name);
      if (v === '' && emptyAs !== undefined) return emptyAs;
      // Digits only: Number() would also take "0x10" (16), "1e1" or "  7".
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (Number.isInteger(n) && n >= min && n <= max) return n;
      bad(name, `${label} must be a whole number from ${min} to ${max}.`);
      return fallback;
    };
    const next: LabSettings = { ...this.settings };
    next.dataset = value('dataset') as LabSettings['dataset'];
    next.optimizer = value('optimizer') as LabSettings['optimizer'];
    next.activation = value('activation') as LabSettings['activation'];
    next.dtype = value('dtype') as LabSettings['dtype'];
    next.backend = value('backend') as LabSettings['backend'];
    const lr = value('lr');
    if (lr === '') next.lr = undefined;
    else if (DECIMAL.test(lr) && Number(lr) > 0 && Number(lr) <= 10) next.lr = Number(lr);
    else bad('lr', 'Learning rate must be a positive number such as 0.001 or 1e-3 (or empty for the default).');
    const units = value('units')
      .split(',')
      .map((u) => (/^\d+$/.test(u.trim()) ? Number(u.trim()) : NaN));
    // One set of limits for every way to start a run (src/lab/settings.ts).
    if (units.length >= 1 && units.length <= L.hiddenLayers.max && units.every((u) => Number.isInteger(u) && u >= L.units.min && u <= L.units.max))
      next.units = units;
    else
      bad(
        'units',
        `Hidden units must be up to ${L.hiddenLayers.max} whole numbers from ${L.units.min} to ${L.units.max}, separated by commas (e.g. 128 or 256,128).`,
      );
    next.epochs = int('epochs', 'Epochs', L.epochs.min, L.epochs.max, next.epochs);
    next.batchSize = int('batch', 'Batch size', L.batchSize.min, L.batchSize.max, next.batchSize);
    next.seed = int('seed', 'Seed', L.seed.min, L.seed.max, next.seed);
    next.trainLimit = int('trainLimit', 'Training images', 1, 60000, next.trainLimit, 0);
    const checked = Array.from(this.form.querySelectorAll<HTMLInputElement>('input[name=normalize]:checked'), (c) => c.value);
    if (checked.length === 0) bad('normalize', 'Check at least one input transform.');
    else next.normalize = NORMALIZE_CHOICES.filter((t) => checked.includes(t));
    for (const el of Array.from(this.form.querySelectorAll('input[type=text]'))) {
      if (invalid.has((el as HTMLInputElement).name)) el.setAttribute('aria-invalid', 'true');
      else el.removeAttribute('aria-invalid');
    }
    const errorEl = this.form.querySelector('.form-error')!;
    setText(errorEl, strict ? problems.join(' ') : '');
    if (problems.length && strict) return false;
    this.settings = next;
    this.env.onSettingsChange(this.settings);
    return problems.length === 0;
  }

  private async copyLink(): Promise<void> {
    const button = this.form.querySelector('#copy-link')!;
    // Strict: a link must never carry the previous value of a field the learner is still editing.
    if (!this.readForm(true)) {
      setText(button, 'Fix the settings first');
      setTimeout(() => setText(button, 'Copy link'), 2500);
      (this.form.querySelector('[aria-invalid=true]') as HTMLElement | null)?.focus();
      return;
    }
    try {
      await navigator.clipboard.writeText(location.href);
      setText(button, 'Link copied');
    } catch {
      setText(button, 'Copy the address bar');
    }
    setTimeout(() => setText(button, 'Copy link'), 2000);
  }

  // ---- charts

  private buildCharts(): HTMLElement {
    const loss = chartCanvas('training loss per run, by epoch');
    const acc = chartCanvas('accuracy per run, by epoch');
    const diag = chartCanvas('diagnostics per run, by epoch');
    const axisX = { type: 'linear' as const, min: 0, title: { display: true, text: 'epoch' } };
    const legend = { position: 'bottom' as const, labels: { boxWidth: 12, usePointStyle: true } };
    // Long runs add ten points a second per run: draw at most ~400 per line (LTTB keeps the shape), so a
    // redraw stays short and key presses are handled promptly while training.
    const decimation = { enabled: true, algorithm: 'lttb' as const, samples: 400, threshold: 800 };
    this.lossChart = new Chart(loss.canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        parsing: false,
        normalized: true,
        scales: { x: axisX, y: { type: 'logarithmic', title: { display: true, text: 'loss (log scale)' } } },
        plugins: { legend, title: { display: true, text: 'Loss' }, decimation },
        elements: { point: { radius: 0 } },
      },
    });
    this.accChart = new Chart(acc.canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        parsing: false,
        normalized: true,
        scales: { x: axisX, y: { min: 0, max: 1, title: { display: true, text: 'accuracy' } } },
        plugins: { legend, title: { display: true, text: 'Accuracy' }, decimation },
        elements: { point: { radius: 0 } },
      },
    });
    this.diagChart = new Chart(diag.canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        parsing: false,
        scales: { x: axisX, y: { type: 'logarithmic', title: { display: true, text: this.diagMetric.label } } },
        plugins: { legend, title: { display: true, text: 'Diagnostics' } },
      },
    });
    const logToggle = h('input', { type: 'checkbox', id: 'loss-log', checked: true });
    logToggle.addEventListener('change', () => {
      (this.lossChart.options.scales!.y as { type: string }).type = (logToggle as HTMLInputElement).checked ? 'logarithmic' : 'linear';
      (this.lossChart.options.scales!.y as { title: { text: string } }).title.text = (logToggle as HTMLInputElement).checked ? 'loss (log scale)' : 'loss';
      this.lossChart.update('none');
    });
    const metricSelect = h('select', { id: 'diag-metric' }, ...DIAG_METRICS.map((m) => h('option', { value: m.key }, m.label)));
    metricSelect.addEventListener('change', () => {
      this.diagMetric = DIAG_METRICS.find((m) => m.key === (metricSelect as HTMLSelectElement).value) ?? DIAG_METRICS[0];
      this.rebuildDiagChart();
    });
    return h(
      'div',
      { className: 'charts' },
      h(
        'figure',
        { className: 'chart-card' },
        loss.wrapper,
        h(
          'figcaption',
          {},
          h('label', { className: 'check' }, logToggle, 'log scale'),
          ' Solid: training loss (mean of the last 50 batches). Dashed: test loss after each epoch.',
        ),
      ),
      h(
        'figure',
        { className: 'chart-card' },
        acc.wrapper,
        h('figcaption', {}, 'Solid: training accuracy (last 50 batches). Dashed: test accuracy after each epoch.'),
      ),
      h(
        'figure',
        { className: 'chart-card' },
        diag.wrapper,
        h(
          'figcaption',
          {},
          h('label', { for: 'diag-metric' }, 'Show '),
          metricSelect,
          ' — probed on 256 training images at early steps, 4 times per epoch and at each epoch’s end.',
        ),
      ),
    );
  }

  private resetCharts(): void {
    const datasets = (key: 'loss' | 'acc') =>
      this.runs.flatMap((run) => [
        {
          label: `${run.transform} train`,
          data: key === 'loss' ? run.lossPoints : run.accPoints,
          borderColor: run.color,
          backgroundColor: run.color,
          borderWidth: 2,
          pointRadius: 0,
          pointStyle: 'line' as const,
        },
        {
          label: `${run.transform} test`,
          data: key === 'loss' ? run.testLoss : run.testAcc,
          borderColor: run.color,
          backgroundColor: run.color,
          borderDash: [6, 4],
          borderWidth: 2,
          pointRadius: 3,
          pointStyle: 'circle' as const,
        },
      ]);
    const max = this.settings.epochs;
    for (const chart of [this.lossChart, this.accChart, this.diagChart]) (chart.options.scales!.x as { max?: number }).max = max;
    this.lossChart.data.datasets = datasets('loss');
    this.accChart.data.datasets = datasets('acc');
    this.rebuildDiagChart();
    this.lossChart.update('none');
    this.accChart.update('none');
  }

  private rebuildDiagChart(): void {
    const m = this.diagMetric;
    this.diagChart.data.datasets = this.runs.map((run) => ({
      label: run.transform,
      data: run.diagnostics.map((d) => diagPoint(m, d)),
      borderColor: run.color,
      backgroundColor: run.color,
      borderWidth: 2,
      pointRadius: 2,
    }));
    const y = this.diagChart.options.scales!.y as { type: string; title: { text: string }; min?: number; max?: number };
    y.type = m.log ? 'logarithmic' : 'linear';
    y.min = m.log ? undefined : 0;
    y.max = m.log ? undefined : 1;
    y.title.text = m.label;
    this.diagChart.update('none');
  }

  private touch(...charts: Chart[]): void {
    for (const c of charts) scheduleUpdate(c);
  }

  // ---- runs

  get running(): boolean {
    return this.runs.some((r) => r.state === 'queued' || r.state === 'loading' || r.state === 'training' || r.state === 'paused');
  }

  /** Check the settings, load the verified dataset (progress and failures in the data panel), then train. */
  async start(): Promise<void> {
    if (this.running || this.starting) return;
    if (!this.readForm(true)) return;
    this.starting = true;
    this.startButton.disabled = true;
    setText(this.statusEl, 'Loading the dataset…');
    let data: { train: Dataset; test: Dataset } | undefined;
    try {
      data = await this.loadData();
    } finally {
      this.starting = false;
      this.startButton.disabled = false;
    }
    if (!data) return;
    for (const run of this.runs) run.worker?.terminate();
    const s = this.settings;
    this.runs = s.normalize.map((transform) => {
      const color = NORMALIZE_COLORS[transform];
      return {
        id: `${transform}-${Date.now()}`,
        transform,
        color,
        card: new RunCard(transform, color, s.epochs),
        state: 'queued',
        batches: 0,
        epochs: [],
        diagnostics: [],
        lossPoints: [],
        accPoints: [],
        testLoss: [],
        testAcc: [],
        progress: 0,
      } satisfies Run;
    });
    this.runsEl.replaceChildren(...this.runs.map((r) => r.card.root));
    this.runsEl.style.setProperty('--runs', String(this.runs.length));
    this.resetCharts();
    this.explainEl.hidden = true;
    this.setPaused(false);
    this.pausedTotal = 0;
    this.startedAt = performance.now();
    this.overall.value = 0;
    (this.overall.parentElement as HTMLElement).hidden = false;
    setText(this.overallText, 'starting…');
    setText(
      this.statusEl,
      `Training ${this.runs.length} run${this.runs.length > 1 ? 's' : ''}: ${s.normalize.join(', ')} · ${s.optimizer} lr ${s.lr ?? DEFAULT_LEARNING_RATE[s.optimizer]} · ${s.units.join(',')} ${s.activation} · ${s.epochs} epochs · seed ${s.seed}`,
    );
    this.pump(data);
    // The progress is what the learner wants to see now; on a laptop screen it sits below the form.
    const progress = this.root.querySelector('#lab-progress') as HTMLElement;
    if (progress.getBoundingClientRect().bottom > window.innerHeight) progress.scrollIntoView({ block: 'start' });
  }

  /** Start queued runs while cores are free. */
  private pump(data?: { train: Dataset; test: Dataset }): void {
    if (data) this.data = data;
    const cores = Math.max(1, navigator.hardwareConcurrency || 2);
    let active = this.runs.filter((r) => r.state === 'loading' || r.state === 'training' || r.state === 'paused').length;
    for (const run of this.runs) {
      if (active >= cores) break;
      if (run.state !== 'queued' || !this.data) continue;
      this.launch(run, this.data);
      active++;
    }
    this.refreshButtons();
  }

  private launch(run: Run, data: { train: Dataset; test: Dataset }): void {
    const s = this.settings;
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: `normlab run ${run.transform}` });
    run.worker = worker;
    run.state = 'loading';
    run.card.setState('loading', 'starting…');
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.onMessage(run, e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.onMessage(run, { type: 'error', runId: run.id, message: e.message || 'the training worker failed to start' });
    };
    const start: StartMessage = {
      type: 'start',
      runId: run.id,
      data,
      config: {
        dataset: s.dataset,
        epochs: s.epochs,
        batchSize: s.batchSize,
        optimizer: s.optimizer,
        learningRate: s.lr,
        units: s.units,
        activation: s.activation,
        normalize: run.transform as LabSettings['normalize'][number],
        dtype: s.dtype,
        backend: s.backend,
        seed: s.seed,
      },
      trainLimit: s.trainLimit,
      wasmUrl: this.env.wasmUrl,
      wasmMtUrl: this.env.wasmMtUrl,
      // Two threads for one run only when every run can have two cores; else runs share the cores.
      threads: this.runs.length * 2 <= Math.max(1, navigator.hardwareConcurrency || 2) ? 'auto' : 1,
      samplesPerClass: 2,
    };
    worker.postMessage(start);
    if (this.paused) worker.postMessage({ type: 'pause' } satisfies ToWorker);
  }

  /** The overall bar: mean progress of the runs, and time left from the pace so far (pauses excluded). */
  private updateOverall(): void {
    if (!this.runs.length) return;
    const done =
      this.runs.reduce((sum, r) => sum + (r.state === 'done' || r.state === 'stopped' || r.state === 'error' ? 1 : r.progress), 0) / this.runs.length;
    this.overall.value = done;
    const pausedNow = this.paused ? performance.now() - this.pausedSince : 0;
    const elapsed = (performance.now() - this.startedAt - this.pausedTotal - pausedNow) / 1000;
    let text = `${Math.round(done * 100)}%`;
    if (this.paused) text += ' · paused';
    else if (done > 0.02 && done < 1) text += ` · about ${formatDuration((elapsed / done) * (1 - done))} left`;
    else if (done < 1) text += ' · estimating time left…';
    setText(this.overallText, text);
  }

  /** Show the newest batch progress of every run now (throttled to PROGRESS_PAINT_MS while training). */
  private paintProgress(): void {
    this.progressTimer = undefined;
    for (const run of this.runs) this.paintRunProgress(run);
    this.updateOverall();
  }

  private paintRunProgress(run: Run): void {
    const m = run.pendingBatch;
    if (!m) return;
    run.pendingBatch = undefined;
    run.card.setBatch(m.epoch, m.batch, m.batches, m.loss, m.acc);
  }

  private scheduleProgressPaint(): void {
    if (this.progressTimer !== undefined) return;
    this.progressTimer = setTimeout(() => requestAnimationFrame(() => this.paintProgress()), PROGRESS_PAINT_MS);
  }

  private onMessage(run: Run, m: FromWorker): void {
    // any other news of a run is shown after its batch progress, never overwritten by it later
    if (m.type !== 'batch' && m.type !== 'diag') this.paintRunProgress(run);
    switch (m.type) {
      case 'status':
        run.card.setState(run.state, m.text);
        break;
      case 'ready':
        run.batches = m.info.batches;
        run.state = this.paused ? 'paused' : 'training';
        run.card.setState(run.state);
        run.card.setReady(m.info);
        this.readyInfo.set(run.transform, m.info.backend);
        run.threads = m.info.threads;
        setText(
          this.backendBadge,
          `${m.info.backend} backend${m.info.threads === 2 ? ' · 2 threads per run' : ''} · ${m.info.trainCount.toLocaleString('en')} training images`,
        );
        break;
      case 'batch': {
        const x = m.epoch + (m.batch + 1) / m.batches;
        run.progress = x / this.settings.epochs;
        run.lossPoints.push({ x, y: m.windowLoss });
        run.accPoints.push({ x, y: m.windowAcc });
        run.pendingBatch = m;
        this.scheduleProgressPaint();
        this.touch(this.lossChart, this.accChart);
        break;
      }
      case 'diag':
        run.diagnostics.push(m.point);
        run.card.setDiagnostics(m.point);
        this.diagChart.data.datasets.find((d) => d.label === run.transform)?.data.push(diagPoint(this.diagMetric, m.point));
        this.touch(this.diagChart);
        break;
      case 'epoch': {
        const e = m.info;
        run.epochs.push(e);
        // Plotted where training really was: a run stopped 43% into its first epoch is at 0.43, not 1.
        run.testLoss.push({ x: e.at, y: e.testLoss });
        run.testAcc.push({ x: e.at, y: e.testAcc });
        run.card.setEpoch(e);
        this.touch(this.lossChart, this.accChart);
        break;
      }
      case 'paused':
        if (run.state === 'training' || run.state === 'paused') {
          run.state = m.paused ? 'paused' : 'training';
          run.card.setState(run.state);
        }
        break;
      case 'done': {
        run.state = m.stopped ? 'stopped' : 'done';
        run.secondsPerEpoch = m.secondsPerEpoch;
        run.splitBatches = m.splitBatches;
        const last = run.epochs[run.epochs.length - 1];
        const pace = m.secondsPerEpoch !== undefined ? ` · ${m.secondsPerEpoch.toFixed(2)} s per epoch` : '';
        const status = m.nonFinite
          ? `the loss became ${m.nonFinite.value} at epoch ${m.nonFinite.epoch + 1}, batch ${m.nonFinite.batch + 1}: training stopped there`
          : m.stopped
            ? `stopped after ${fixed(m.epochsDone, 2)} of ${this.settings.epochs} epochs${last ? ` · test accuracy ${fixed(last.testAcc * 100, 2)}% at that point` : ''}${pace}`
            : `final test accuracy ${fixed(m.test.acc * 100, 2)}%${pace}`;
        run.card.setState(run.state, status);
        run.card.setSecondsPerEpoch(m.secondsPerEpoch);
        run.worker?.terminate();
        run.worker = undefined;
        this.finishIfIdle();
        break;
      }
      case 'error':
        run.state = 'error';
        run.card.setState('error', m.hint ? `${m.message} Try: ${m.hint}` : m.message);
        run.worker?.terminate();
        run.worker = undefined;
        this.finishIfIdle();
        break;
    }
  }

  private finishIfIdle(): void {
    this.pump();
    this.updateOverall();
    if (this.running) return;
    const summary = this.runs.map((r) => {
      const last = r.epochs[r.epochs.length - 1];
      if (r.state === 'error') return `${r.transform}: failed`;
      return last
        ? `${r.transform}: test acc ${fixed(last.testAcc * 100, 2)}%, loss ${fixed(last.testLoss)}${last.partial ? ` (stopped at epoch ${fixed(last.at, 2)})` : ''}`
        : `${r.transform}: ${r.state}`;
    });
    const failed = this.runs.filter((r) => r.state === 'error').length;
    const stopped = this.runs.some((r) => r.state === 'stopped');
    setText(
      this.statusEl,
      `${failed === this.runs.length ? 'Failed' : stopped ? 'Stopped' : failed ? 'Finished with errors' : 'Done'}. ${summary.join(' · ')}`,
    );
    setText(this.overallText, failed === this.runs.length ? 'failed' : stopped ? 'stopped' : 'done');
    this.explain();
    this.setPaused(false);
    this.refreshButtons();
  }

  /** The comparison in words, from the report layer's findings (explain.ts), next to the numbers. */
  private explain(): void {
    const s = this.settings;
    // The findings speak of the data transforms (none, scale, …), not of normalization layers.
    const finished = this.runs.filter((r) => r.epochs.length > 0 && r.state !== 'error' && (TRANSFORM_NAMES as readonly string[]).includes(r.transform));
    const title = h('h3', {}, 'What these runs show');
    const source = h(
      'p',
      { className: 'note' },
      'Written by the same findings code as ',
      h('code', {}, 'normlab why'),
      ' and the Why? view, from the numbers above.',
    );
    const reason = unexplainable(s);
    if (finished.length < 2 || !finished.some((r) => r.transform === 'none')) {
      this.explainEl.hidden = true;
      return;
    }
    this.explainEl.hidden = false;
    if (reason) {
      this.explainEl.replaceChildren(title, h('p', {}, reason));
      return;
    }
    const lr = s.lr ?? DEFAULT_LEARNING_RATE[s.optimizer];
    const epochs = Math.min(...finished.map((r) => r.epochs[r.epochs.length - 1].at));
    const findings = explainRuns(
      s,
      finished.map((r) => {
        const last = r.epochs[r.epochs.length - 1];
        return {
          transform: r.transform as TransformName,
          learningRate: lr,
          testAcc: last.testAcc,
          testLoss: last.testLoss,
          firstEpochLoss: r.epochs[0].loss,
          probes: r.diagnostics,
        };
      }),
      { name: s.dataset, classNames: this.data?.train.classNames ?? [], trainCount: this.data?.train.count ?? 0, testCount: this.data?.test.count ?? 0 },
      epochs,
    );
    this.explainEl.replaceChildren(
      title,
      ...findings.map((f) =>
        h('div', { className: 'finding', 'data-finding': f.id }, h('h4', {}, f.title), ...f.sentences.map((t) => h('p', {}, ...richText(t)))),
      ),
      source,
    );
  }

  private refreshButtons(): void {
    const running = this.running;
    const stopHadFocus = document.activeElement === this.stopButton || document.activeElement === this.pauseButton;
    this.startButton.disabled = running || this.starting;
    this.pauseButton.disabled = !running;
    this.stopButton.disabled = !running;
    if (!running) this.setPaused(false);
    // A disabled button loses focus to <body>; keyboard users continue from Start instead.
    if (!running && stopHadFocus) this.startButton.focus();
  }

  private setPaused(paused: boolean): void {
    if (paused && !this.paused) this.pausedSince = performance.now();
    if (!paused && this.paused) this.pausedTotal += performance.now() - this.pausedSince;
    this.paused = paused;
    setText(this.pauseButton, paused ? 'Resume' : 'Pause');
    this.pauseButton.setAttribute('aria-pressed', String(paused));
  }

  togglePause(): void {
    this.setPaused(!this.paused);
    for (const run of this.runs) run.worker?.postMessage({ type: this.paused ? 'pause' : 'resume' } satisfies ToWorker);
    this.updateOverall();
  }

  stop(): void {
    for (const run of this.runs) {
      if (run.state === 'queued') {
        run.state = 'stopped';
        run.card.setState('stopped', 'not started');
      } else run.worker?.postMessage({ type: 'stop' } satisfies ToWorker);
    }
    this.setPaused(false);
    this.finishIfIdle();
  }

  snapshot(): LabSnapshot {
    const points = (chart: Chart) =>
      Object.fromEntries(chart.data.datasets.map((d) => [d.label ?? '', d.data.filter((p) => p !== null && Number.isFinite((p as { y: number }).y)).length]));
    return {
      running: this.running,
      chartRedraws: redraws(),
      chartPoints: { loss: points(this.lossChart), acc: points(this.accChart), diag: points(this.diagChart) },
      runs: this.runs.map((r) => {
        const lastEpoch = r.epochs[r.epochs.length - 1];
        const lastPoint = r.lossPoints[r.lossPoints.length - 1];
        return {
          transform: r.transform,
          state: r.state,
          backend: this.readyInfo.get(r.transform),
          epochsDone: r.epochs.length,
          batchPoints: r.lossPoints.length,
          lastLoss: lastPoint?.y,
          lastAcc: r.accPoints[r.accPoints.length - 1]?.y,
          testLoss: lastEpoch?.testLoss,
          testAcc: lastEpoch?.testAcc,
          epochSeconds: r.epochs.filter((e) => !e.partial).map((e) => e.seconds),
          threads: r.threads,
          splitBatches: r.splitBatches,
          diagnostics: r.diagnostics[r.diagnostics.length - 1],
        };
      }),
    };
  }

  shown(): void {
    refreshCharts([this.lossChart, this.accChart, this.diagChart]);
  }
}
