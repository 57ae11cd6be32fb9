/**
 * The normalization lab: pick the settings, start one run per input transform, and watch them train side
 * by side — live loss, accuracy and diagnostics charts, and one panel per run. Each run trains in its own
 * Worker; at most `navigator.hardwareConcurrency` train at once, the rest wait for a free core.
 */
import { TRANSFORM_NAMES } from '../../../src/data/transforms.js';
import { DEFAULT_LEARNING_RATE } from '../../../src/engine/optimizers.js';
import { HIDDEN_ACTIVATIONS } from '../../../src/lab/training.js';
import { Chart, chartCanvas, redraws, refreshCharts, RUN_COLORS, scheduleUpdate } from '../charts.js';
import { fmt, h, setText, uid } from '../dom.js';
import { BACKENDS, DATASET_CHOICES, DTYPES, OPTIMIZERS, type LabSettings } from '../settings.js';
import type { DiagnosticPoint, EpochInfo, FromWorker, StartMessage, ToWorker } from './protocol.js';
import { RunCard } from './run-card.js';

export interface LabEnvironment {
  wasmUrl?: string;
  /** Called whenever the settings change (the app writes them into the URL). */
  onSettingsChange(settings: LabSettings): void;
}

const TRANSFORM_LABELS: Record<string, string> = {
  none: 'none — raw 0–255',
  scale: 'scale — x / 255',
  standardize: 'standardize — (x − mean) / std',
  symmetric: 'symmetric — x / 127.5 − 1',
};

const DIAG_METRICS: { key: string; label: string; get(d: DiagnosticPoint): number | null; log?: boolean }[] = [
  { key: 'logitMax', label: 'max |logit|', get: (d) => d.logits.maxAbs, log: true },
  { key: 'logitGap', label: 'mean top-2 logit gap', get: (d) => d.logits.gapMean, log: true },
  { key: 'softmaxOne', label: 'softmax exactly 1.0 (share)', get: (d) => d.softmax.maxExactlyOne },
  { key: 'deadUnits', label: 'dead / saturated hidden units (share)', get: (d) => (d.layers.length > 1 ? (d.layers[0].deadFraction ?? d.layers[0].saturatedFraction) : null) },
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

  constructor(initial: LabSettings, private readonly env: LabEnvironment, private readonly datasetsAvailable: Promise<Set<string>>) {
    this.settings = structuredClone(initial);
    this.statusEl = h('p', { className: 'lab-status', role: 'status', 'aria-live': 'polite' }, 'Pick settings and press Start. Each checked input transform trains as its own run, side by side.');
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
      this.statusEl,
      charts,
      this.runsEl,
    );
    void this.datasetsAvailable.then((available) => {
      const select = this.form.elements.namedItem('dataset') as HTMLSelectElement;
      for (const option of Array.from(select.options)) {
        const ok = available.has(option.value);
        option.disabled = !ok;
        if (!ok) option.textContent = `${option.value} (not on this machine)`;
      }
    });
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
      ...TRANSFORM_NAMES.map((t) =>
        h(
          'label',
          { className: 'check', style: `--run-color:${RUN_COLORS[t]}` },
          h('input', { type: 'checkbox', name: 'normalize', value: t, checked: s.normalize.includes(t) }),
          h('span', { className: 'swatch', 'aria-hidden': 'true' }),
          TRANSFORM_LABELS[t],
        ),
      ),
    );
    const lrHint = () => `empty = ${DEFAULT_LEARNING_RATE[this.settings.optimizer]} (Keras default)`;
    const lrField = field('Learning rate', number('lr', s.lr === undefined ? '' : String(s.lr), { placeholder: String(DEFAULT_LEARNING_RATE[s.optimizer]) }), lrHint());
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
        field('Training images', number('trainLimit', s.trainLimit ? String(s.trainLimit) : '', { inputmode: 'numeric', placeholder: 'all' }), 'empty = all 60 000'),
      ),
      transforms,
      h('p', { className: 'form-error', role: 'alert' }),
      h('div', { className: 'buttons' }, this.startButton, this.pauseButton, this.stopButton, h('button', { type: 'button', id: 'copy-link', onclick: () => this.copyLink() }, 'Copy link'), this.backendBadge),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.start();
    });
    form.addEventListener('change', () => {
      this.readForm(false);
      const small = lrField.querySelector('small');
      if (small) small.textContent = lrHint();
      (form.elements.namedItem('lr') as HTMLInputElement).placeholder = String(DEFAULT_LEARNING_RATE[this.settings.optimizer]);
    });
    return form;
  }

  /** Read and check the form; with `strict`, report the first problem and return false. */
  private readForm(strict: boolean): boolean {
    const f = this.form.elements;
    const value = (name: string) => (f.namedItem(name) as HTMLInputElement | HTMLSelectElement).value.trim();
    const problems: string[] = [];
    const int = (name: string, label: string, min: number, max: number, fallback: number, emptyAs?: number) => {
      const v = value(name);
      if (v === '' && emptyAs !== undefined) return emptyAs;
      const n = Number(v);
      if (Number.isInteger(n) && n >= min && n <= max && v !== '') return n;
      problems.push(`${label} must be a whole number from ${min} to ${max}.`);
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
    else if (Number.isFinite(Number(lr)) && Number(lr) > 0 && Number(lr) <= 10) next.lr = Number(lr);
    else problems.push('Learning rate must be a positive number such as 0.001 or 1e-3 (or empty for the default).');
    const units = value('units').split(',').map((u) => Number(u.trim()));
    if (units.length >= 1 && units.length <= 4 && units.every((u) => Number.isInteger(u) && u >= 1 && u <= 4096)) next.units = units;
    else problems.push('Hidden units must be up to 4 whole numbers from 1 to 4096, separated by commas (e.g. 128 or 256,128).');
    next.epochs = int('epochs', 'Epochs', 1, 100, next.epochs);
    next.batchSize = int('batch', 'Batch size', 1, 4096, next.batchSize);
    next.seed = int('seed', 'Seed', 0, 2 ** 32 - 1, next.seed);
    next.trainLimit = int('trainLimit', 'Training images', 1, 60000, next.trainLimit, 0);
    const checked = Array.from(this.form.querySelectorAll<HTMLInputElement>('input[name=normalize]:checked'), (c) => c.value);
    if (checked.length === 0) problems.push('Check at least one input transform.');
    else next.normalize = TRANSFORM_NAMES.filter((t) => checked.includes(t));
    const errorEl = this.form.querySelector('.form-error')!;
    setText(errorEl, strict ? problems.join(' ') : '');
    if (problems.length && strict) return false;
    this.settings = next;
    this.env.onSettingsChange(this.settings);
    return problems.length === 0;
  }

  private async copyLink(): Promise<void> {
    this.readForm(false);
    const button = this.form.querySelector('#copy-link')!;
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
    this.lossChart = new Chart(loss.canvas, {
      type: 'line',
      data: { datasets: [] },
      options: { parsing: false, normalized: true, scales: { x: axisX, y: { type: 'logarithmic', title: { display: true, text: 'loss (log scale)' } } }, plugins: { legend, title: { display: true, text: 'Loss' } }, elements: { point: { radius: 0 } } },
    });
    this.accChart = new Chart(acc.canvas, {
      type: 'line',
      data: { datasets: [] },
      options: { parsing: false, normalized: true, scales: { x: axisX, y: { min: 0, max: 1, title: { display: true, text: 'accuracy' } } }, plugins: { legend, title: { display: true, text: 'Accuracy' } }, elements: { point: { radius: 0 } } },
    });
    this.diagChart = new Chart(diag.canvas, {
      type: 'line',
      data: { datasets: [] },
      options: { parsing: false, scales: { x: axisX, y: { type: 'logarithmic', title: { display: true, text: this.diagMetric.label } } }, plugins: { legend, title: { display: true, text: 'Diagnostics' } } },
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
      h('figure', { className: 'chart-card' }, loss.wrapper, h('figcaption', {}, h('label', { className: 'check' }, logToggle, 'log scale'), ' Solid: training loss (mean of the last 50 batches). Dashed: test loss after each epoch.')),
      h('figure', { className: 'chart-card' }, acc.wrapper, h('figcaption', {}, 'Solid: training accuracy (last 50 batches). Dashed: test accuracy after each epoch.')),
      h('figure', { className: 'chart-card' }, diag.wrapper, h('figcaption', {}, h('label', { for: 'diag-metric' }, 'Show '), metricSelect, ' — probed on 256 training images at early steps, 4 times per epoch and at each epoch’s end.')),
    );
  }

  private resetCharts(): void {
    const datasets = (key: 'loss' | 'acc') =>
      this.runs.flatMap((run) => [
        { label: `${run.transform} train`, data: key === 'loss' ? run.lossPoints : run.accPoints, borderColor: run.color, backgroundColor: run.color, borderWidth: 2, pointRadius: 0, pointStyle: 'line' as const },
        { label: `${run.transform} test`, data: key === 'loss' ? run.testLoss : run.testAcc, borderColor: run.color, backgroundColor: run.color, borderDash: [6, 4], borderWidth: 2, pointRadius: 3, pointStyle: 'circle' as const },
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

  start(): void {
    if (this.running) return;
    if (!this.readForm(true)) return;
    for (const run of this.runs) run.worker?.terminate();
    const s = this.settings;
    this.runs = s.normalize.map((transform) => {
      const color = RUN_COLORS[transform] ?? '#555';
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
      } satisfies Run;
    });
    this.runsEl.replaceChildren(...this.runs.map((r) => r.card.root));
    this.runsEl.style.setProperty('--runs', String(this.runs.length));
    this.resetCharts();
    this.paused = false;
    setText(this.pauseButton, 'Pause');
    this.pauseButton.disabled = false;
    this.stopButton.disabled = false;
    this.startButton.disabled = true;
    setText(this.statusEl, `Training ${this.runs.length} run${this.runs.length > 1 ? 's' : ''}: ${s.normalize.join(', ')} · ${s.optimizer} lr ${s.lr ?? DEFAULT_LEARNING_RATE[s.optimizer]} · ${s.units.join(',')} ${s.activation} · ${s.epochs} epochs · seed ${s.seed}`);
    this.pump();
  }

  /** Start queued runs while cores are free. */
  private pump(): void {
    const cores = Math.max(1, navigator.hardwareConcurrency || 2);
    let active = this.runs.filter((r) => r.state === 'loading' || r.state === 'training' || r.state === 'paused').length;
    for (const run of this.runs) {
      if (active >= cores) break;
      if (run.state !== 'queued') continue;
      this.launch(run);
      active++;
    }
    this.refreshButtons();
  }

  private launch(run: Run): void {
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
      origin: location.origin,
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
      samplesPerClass: 2,
    };
    worker.postMessage(start);
    if (this.paused) worker.postMessage({ type: 'pause' } satisfies ToWorker);
  }

  private onMessage(run: Run, m: FromWorker): void {
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
        setText(this.backendBadge, `${m.info.backend} backend · ${m.info.trainCount.toLocaleString('en')} training images`);
        break;
      case 'batch': {
        const x = m.epoch + (m.batch + 1) / m.batches;
        run.lossPoints.push({ x, y: m.windowLoss });
        run.accPoints.push({ x, y: m.windowAcc });
        run.card.setBatch(m.epoch, m.batch, m.batches, m.loss, m.acc);
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
        run.testLoss.push({ x: e.epoch + 1, y: e.testLoss });
        run.testAcc.push({ x: e.epoch + 1, y: e.testAcc });
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
      case 'done':
        run.state = m.stopped ? 'stopped' : 'done';
        run.secondsPerEpoch = m.secondsPerEpoch;
        run.card.setState(run.state, m.nonFinite ? `the loss became ${m.nonFinite.value} at epoch ${m.nonFinite.epoch + 1}, batch ${m.nonFinite.batch + 1}: training stopped there` : `final test accuracy ${fmt(m.test.acc * 100, 2)}% · ${m.secondsPerEpoch.toFixed(2)} s per epoch`);
        if (m.secondsPerEpoch > 0) run.card.setSecondsPerEpoch(m.secondsPerEpoch);
        run.worker?.terminate();
        run.worker = undefined;
        this.finishIfIdle();
        break;
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
    if (this.running) return;
    const summary = this.runs.map((r) => {
      const last = r.epochs[r.epochs.length - 1];
      return last ? `${r.transform}: test acc ${fmt(last.testAcc * 100, 2)}%, loss ${fmt(last.testLoss)}` : `${r.transform}: ${r.state}`;
    });
    setText(this.statusEl, `Done. ${summary.join(' · ')}`);
    this.refreshButtons();
  }

  private refreshButtons(): void {
    const running = this.running;
    this.startButton.disabled = running;
    this.pauseButton.disabled = !running;
    this.stopButton.disabled = !running;
    if (!running) setText(this.pauseButton, 'Pause');
  }

  togglePause(): void {
    this.paused = !this.paused;
    for (const run of this.runs) run.worker?.postMessage({ type: this.paused ? 'pause' : 'resume' } satisfies ToWorker);
    setText(this.pauseButton, this.paused ? 'Resume' : 'Pause');
    this.pauseButton.setAttribute('aria-pressed', String(this.paused));
  }

  stop(): void {
    for (const run of this.runs) {
      if (run.state === 'queued') {
        run.state = 'stopped';
        run.card.setState('stopped', 'not started');
      } else run.worker?.postMessage({ type: 'stop' } satisfies ToWorker);
    }
    this.paused = false;
    setText(this.pauseButton, 'Pause');
    this.finishIfIdle();
  }

  snapshot(): LabSnapshot {
    const points = (chart: Chart) => Object.fromEntries(chart.data.datasets.map((d) => [d.label ?? '', d.data.filter((p) => p !== null && Number.isFinite((p as { y: number }).y)).length]));
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
          epochSeconds: r.epochs.map((e) => e.seconds),
          diagnostics: r.diagnostics[r.diagnostics.length - 1],
        };
      }),
    };
  }

  shown(): void {
    refreshCharts([this.lossChart, this.accChart, this.diagChart]);
  }
}
