/**
 * The sigmoid explorer: one pixel value times one weight, through the sigmoid, in float64 and float32.
 * Move the sliders and watch σ reach exactly 1.0 — and its derivative σ(1−σ) exactly 0 — at the
 * saturation points, which raw 0–255 pixels reach with ordinary initial weights and /255 pixels do not.
 * The weight presets are the lab forum's `np.linspace(0, 1e-5)` (the proposal that "showed" no
 * saturation) and the same linspace up to the lab model's real initial weight range.
 * All numbers come from src/lab/sigmoid.ts, the code `normlab why` reports from.
 */
import {
  METHOD_DESCRIPTIONS,
  SIGMOID_METHODS,
  getSigmoid,
  linspace,
  saturationThreshold,
  sigmoidBy,
  sigmoidDerivativeBy,
  sigmoidDerivativeExact,
  SIGMOID_METHOD_COLORS,
  type SigmoidMethod,
} from '../../../src/browser.js';
import { Chart, chartCanvas, refreshCharts } from '../charts.js';
import { h, setText } from '../dom.js';
import type { SigmoidSettings } from '../settings.js';

const GLOROT_LIMIT = Math.sqrt(6 / (784 + 128));
const PRESETS = [
  { key: 'forum', label: 'linspace(0, 1e-5): the forum’s weights', weights: linspace(0, 1e-5, 50) },
  { key: 'glorot', label: `linspace(0, ${GLOROT_LIMIT.toPrecision(3)}): initial weight range`, weights: linspace(0, GLOROT_LIMIT, 50) },
];
const SHOWN: SigmoidMethod[] = ['float64', 'float32'];
const THRESHOLDS = SIGMOID_METHODS.map(saturationThreshold);
const Z_MAX = 42;
/** A plain decimal number (no hex, no Infinity). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const FORUM_RATIO = GLOROT_LIMIT / 1e-5;
const FORUM_NOTE = `Mind the scale: the forum's linspace(0, 1e-5) weights are about ${(Math.round(FORUM_RATIO / 100) * 100).toLocaleString('en')}× smaller than the weights the lab model really starts with (Glorot uniform, |w| up to ${GLOROT_LIMIT.toPrecision(3)} for 784 inputs and 128 units). With weights that small nothing saturates, even at pixel 255; with the real ones, raw pixels do.`;

/** σ and σ′ as float32 computes them (the table's own definition). */
function float32Pair(x: number, w: number): { s: number; d: number } {
  const s = getSigmoid('float32', x, w);
  return { s, d: Math.fround(s * Math.fround(1 - s)) };
}

/** float64 as a wide pale band under a narrow float32 line: where they agree, both show; where float32 stops, only float64 goes on. */
function lineStyle(method: SigmoidMethod) {
  return method === 'float32'
    ? { borderColor: SIGMOID_METHOD_COLORS.float32, backgroundColor: SIGMOID_METHOD_COLORS.float32, borderWidth: 2, pointRadius: 0, order: 0 }
    : { borderColor: `${SIGMOID_METHOD_COLORS[method]}88`, backgroundColor: SIGMOID_METHOD_COLORS[method], borderWidth: 6, pointRadius: 0, order: 1 };
}

/** Axis labels for weights from 1e-5 to 0.1: "2e-6", "0.04". */
function shortTick(v: number): string {
  if (v === 0) return '0';
  return Math.abs(v) < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

function show(method: SigmoidMethod, v: number): string {
  if (v === 0 || v === 1) return v.toFixed(1);
  return method === 'float64' ? v.toPrecision(17) : v.toPrecision(9);
}

export class SigmoidView {
  readonly root: HTMLElement;
  private settings: SigmoidSettings;
  private readonly pixelInput: HTMLInputElement;
  private readonly pixelNumber: HTMLInputElement;
  private readonly weightInput: HTMLInputElement;
  private readonly weightNumber: HTMLInputElement;
  private readonly scaledInput: HTMLInputElement;
  private readonly presetSelect: HTMLSelectElement;
  private readonly indexInput: HTMLInputElement;
  private readonly indexOutput: HTMLOutputElement;
  private readonly table: HTMLTableSectionElement;
  private readonly zEl: HTMLElement;
  private readonly verdict: HTMLElement;
  private readonly presetSummary: HTMLElement;
  private curveChart!: Chart;
  private derivChart!: Chart;
  private presetChart!: Chart;
  private frame = 0;
  private readonly inputError: HTMLElement;
  private readonly sideBySide: HTMLTableSectionElement;

  constructor(
    initial: SigmoidSettings,
    private readonly onChange: (s: SigmoidSettings) => void,
  ) {
    this.settings = { ...initial };
    const s = this.settings;
    this.pixelInput = h('input', { type: 'range', id: 'sig-pixel', min: 0, max: 255, step: 1, value: s.pixel });
    this.pixelNumber = h('input', { type: 'number', id: 'sig-pixel-n', min: 0, max: 255, step: 1, value: s.pixel, 'aria-label': 'pixel value (number)' });
    this.weightInput = h('input', { type: 'range', id: 'sig-weight', min: -0.1, max: 0.1, step: 0.0001, value: s.weight });
    this.weightNumber = h('input', {
      type: 'text',
      inputmode: 'decimal',
      id: 'sig-weight-n',
      value: String(s.weight),
      'aria-label': 'weight (number)',
      spellcheck: 'false',
    });
    this.scaledInput = h('input', { type: 'checkbox', id: 'sig-scaled', checked: s.scaled });
    this.presetSelect = h('select', { id: 'sig-preset' }, ...PRESETS.map((p) => h('option', { value: p.key }, p.label)));
    this.indexInput = h('input', { type: 'range', id: 'sig-index', min: 0, max: 49, step: 1, value: 49 });
    this.indexOutput = h('output', { for: 'sig-index' }, '');
    this.table = h('tbody');
    this.zEl = h('p', { className: 'z-line' });
    this.verdict = h('p', { className: 'sig-verdict', role: 'status', 'aria-live': 'polite' });
    this.presetSummary = h('p', { className: 'preset-summary' });
    this.inputError = h('p', { className: 'form-error', id: 'sig-error', role: 'alert' });
    this.sideBySide = h('tbody');

    const curve = chartCanvas('sigmoid of z in float64 and float32, with the saturation points');
    const deriv = chartCanvas('derivative of the sigmoid, log scale, float64 and float32');
    const preset = chartCanvas('sigmoid of pixel times each linspace weight');
    const thresholdsList = h(
      'ul',
      { className: 'thresholds' },
      ...THRESHOLDS.map((t) =>
        h(
          'li',
          {},
          h('strong', {}, t.method),
          `: σ(z) is exactly 1.0 for z ≥ ${t.x.toPrecision(t.method === 'float64' ? 16 : 8)} (σ′ = 0 there); below it σ′ ≥ ${t.derivativeBelow.toExponential(2)}. ${t.closedForm}.`,
        ),
      ),
    );
    this.root = h(
      'section',
      { id: 'view-sigmoid', className: 'view', 'aria-labelledby': 'sig-title', hidden: true },
      h('h2', { id: 'sig-title' }, 'Sigmoid explorer'),
      h(
        'p',
        { className: 'lede' },
        'One pixel times one weight, through a sigmoid unit. In float32, σ(z) rounds to exactly 1.0 once z passes about 16.6 — and then its derivative σ(1−σ), the factor every gradient through the unit is multiplied by, is exactly 0.',
      ),
      h(
        'div',
        { className: 'sig-layout' },
        h(
          'form',
          { className: 'controls sig-controls', 'aria-label': 'sigmoid inputs', onsubmit: (e: Event) => e.preventDefault() },
          h(
            'div',
            { className: 'field slider' },
            h('label', { for: 'sig-pixel' }, 'Pixel value x (0–255)'),
            h('div', { className: 'slider-row' }, this.pixelInput, this.pixelNumber),
          ),
          h('label', { className: 'check' }, this.scaledInput, 'divide the pixel by 255 first (x / 255)'),
          h(
            'div',
            { className: 'field slider' },
            h('label', { for: 'sig-weight' }, 'Weight w'),
            h('div', { className: 'slider-row' }, this.weightInput, this.weightNumber),
          ),
          this.inputError,
          h(
            'fieldset',
            {},
            h('legend', {}, 'Linspace weights'),
            h('div', { className: 'field' }, h('label', { for: 'sig-preset' }, 'Weight set'), this.presetSelect),
            h(
              'div',
              { className: 'field slider' },
              h('label', { for: 'sig-index' }, 'Use weight number'),
              h('div', { className: 'slider-row' }, this.indexInput, this.indexOutput),
            ),
          ),
        ),
        h(
          'div',
          { className: 'sig-readout' },
          this.zEl,
          h(
            'table',
            { className: 'sig-table' },
            h('caption', {}, 'σ(z) and its derivative, as each precision computes them'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'precision'),
                h('th', { scope: 'col' }, 'σ(z)'),
                h('th', { scope: 'col' }, '1 − σ(z)'),
                h('th', { scope: 'col' }, 'σ′(z) = σ(1−σ)'),
              ),
            ),
            this.table,
          ),
          this.verdict,
          h(
            'table',
            { className: 'sig-table side-by-side' },
            h('caption', {}, 'The same pixel, raw and divided by 255, with this weight (float32, as the lab trains)'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'input'),
                h('th', { scope: 'col' }, 'z = w · x'),
                h('th', { scope: 'col' }, 'σ(z)'),
                h('th', { scope: 'col' }, 'σ′(z)'),
              ),
            ),
            this.sideBySide,
          ),
        ),
      ),
      h('p', { className: 'forum-note', id: 'forum-note' }, FORUM_NOTE),
      h(
        'div',
        { className: 'charts sig-charts' },
        h('figure', { className: 'chart-card' }, curve.wrapper),
        h(
          'figure',
          { className: 'chart-card' },
          deriv.wrapper,
          h('figcaption', {}, 'A log axis cannot show 0: where a line ends, σ′ is exactly 0 in that precision and no gradient flows.'),
        ),
        h('figure', { className: 'chart-card' }, preset.wrapper, this.presetSummary),
      ),
      h(
        'details',
        { className: 'methods' },
        h('summary', {}, 'Saturation points and how each precision is computed'),
        thresholdsList,
        h('ul', {}, ...SIGMOID_METHODS.map((m) => h('li', {}, h('strong', {}, m), `: ${METHOD_DESCRIPTIONS[m]}`))),
      ),
    );
    this.buildCharts(curve.canvas, deriv.canvas, preset.canvas);
    this.wire();
    this.update();
  }

  private buildCharts(curve: HTMLCanvasElement, deriv: HTMLCanvasElement, preset: HTMLCanvasElement): void {
    const zs = Array.from({ length: 841 }, (_, i) => -Z_MAX + (i * 2 * Z_MAX) / 840);
    const zPos = Array.from({ length: 841 }, (_, i) => (i * Z_MAX) / 840);
    const vline = (t: (typeof THRESHOLDS)[number], y0: number, y1: number) => ({
      label: `${t.method}: σ = 1 from z = ${t.x.toFixed(2)}`,
      data: [
        { x: t.x, y: y0 },
        { x: t.x, y: y1 },
      ],
      borderColor: SIGMOID_METHOD_COLORS[t.method],
      borderDash: [4, 4],
      borderWidth: 1.5,
      pointRadius: 0,
    });
    const shownThresholds = THRESHOLDS.filter((t) => SHOWN.includes(t.method));
    const legend = { position: 'bottom' as const, labels: { boxWidth: 24, boxHeight: 2, filter: (item: { text: string }) => !item.text.startsWith('·') } };
    this.curveChart = new Chart(curve, {
      type: 'line',
      data: {
        datasets: [
          ...SHOWN.map((m) => ({ label: `σ(z) ${m}`, data: zs.map((z) => ({ x: z, y: sigmoidBy(m, z) })), ...lineStyle(m) })),
          ...shownThresholds.map((t) => vline(t, 0, 1)),
          { label: '· current z', data: [], borderColor: '#000', backgroundColor: '#000', pointRadius: 6, showLine: false },
        ],
      },
      options: {
        parsing: false,
        scales: {
          x: { type: 'linear', min: -Z_MAX, max: Z_MAX, title: { display: true, text: 'z = w · x' } },
          y: { min: 0, max: 1.02, title: { display: true, text: 'σ(z)' } },
        },
        plugins: { legend, title: { display: true, text: 'σ(z) = 1 / (1 + e^−z)' } },
      },
    });
    this.derivChart = new Chart(deriv, {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'exact e^−z/(1+e^−z)²',
            data: zPos.map((z) => ({ x: z, y: sigmoidDerivativeExact(z) })),
            borderColor: '#999',
            borderDash: [2, 3],
            borderWidth: 1.5,
            pointRadius: 0,
          },
          // Zero is not on a log axis: where σ′ is exactly 0 the line simply ends. That ending is the point.
          ...SHOWN.map((m) => ({
            label: `σ(1−σ) ${m}`,
            data: zPos.map((z) => ({ x: z, y: sigmoidDerivativeBy(m, z) || NaN })),
            ...lineStyle(m),
            spanGaps: false,
          })),
          ...shownThresholds.map((t) => vline(t, 1e-18, 0.25)),
          { label: '· current z', data: [], borderColor: '#000', backgroundColor: '#000', pointRadius: 6, showLine: false },
        ],
      },
      options: {
        parsing: false,
        scales: {
          x: { type: 'linear', min: 0, max: Z_MAX, title: { display: true, text: 'z' } },
          y: {
            type: 'logarithmic',
            min: 1e-18,
            max: 0.3,
            title: { display: true, text: 'σ′(z), log scale' },
            ticks: { callback: (v) => (Math.log10(Number(v)) % 3 === 0 ? `1e${Math.log10(Number(v))}` : '') },
          },
        },
        plugins: { legend, title: { display: true, text: 'Derivative σ′(z) = σ(z)(1 − σ(z))' } },
      },
    });
    this.presetChart = new Chart(preset, {
      type: 'line',
      data: { datasets: SHOWN.map((m) => ({ label: `σ(x·w) ${m}`, data: [], ...lineStyle(m), pointRadius: m === 'float32' ? 2 : 3 })) },
      options: {
        parsing: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: 'weight w (linspace)' }, ticks: { callback: (v) => shortTick(Number(v)) } },
          y: { title: { display: true, text: 'σ(x · w)' } },
        },
        plugins: { legend, title: { display: true, text: 'The linspace weights at this pixel value' } },
      },
    });
  }

  private wire(): void {
    const set = (patch: Partial<SigmoidSettings>) => {
      Object.assign(this.settings, patch);
      this.onChange({ ...this.settings });
      this.scheduleUpdate();
    };
    this.pixelInput.addEventListener('input', () => {
      this.pixelNumber.value = this.pixelInput.value;
      set({ pixel: Number(this.pixelInput.value) });
    });
    this.pixelNumber.addEventListener('input', () => {
      const text = this.pixelNumber.value.trim();
      const v = DECIMAL.test(text) ? Number(text) : NaN;
      if (Number.isFinite(v) && v >= 0 && v <= 255) {
        this.invalid(this.pixelNumber, '');
        this.pixelInput.value = String(v);
        set({ pixel: v });
      } else
        this.invalid(
          this.pixelNumber,
          `“${text.slice(0, 20)}” is not a pixel value: type a number from 0 to 255. The numbers below are still for x = ${this.settings.pixel}.`,
        );
    });
    this.weightInput.addEventListener('input', () => {
      this.weightNumber.value = this.weightInput.value;
      set({ weight: Number(this.weightInput.value) });
    });
    this.weightNumber.addEventListener('input', () => {
      const text = this.weightNumber.value.trim();
      const v = DECIMAL.test(text) ? Number(text) : NaN;
      if (Number.isFinite(v) && v >= -1 && v <= 1) {
        this.invalid(this.weightNumber, '');
        this.weightInput.value = String(v);
        set({ weight: v });
      } else
        this.invalid(
          this.weightNumber,
          `“${text.slice(0, 20)}” is not a weight: type a number from −1 to 1, such as 0.05 or -1e-3. The numbers below are still for w = ${this.settings.weight}.`,
        );
    });
    this.scaledInput.addEventListener('change', () => set({ scaled: this.scaledInput.checked }));
    const pickWeight = () => {
      const p = PRESETS.find((x) => x.key === this.presetSelect.value) ?? PRESETS[0];
      const w = p.weights[Number(this.indexInput.value)];
      this.weightInput.value = String(w);
      this.weightNumber.value = String(w);
      set({ weight: w });
    };
    this.presetSelect.addEventListener('change', pickWeight);
    this.indexInput.addEventListener('input', pickWeight);
  }

  /** Mark an input invalid (with the reason on screen) or valid again (empty message). */
  private invalid(input: HTMLInputElement, message: string): void {
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    setText(this.inputError, message);
  }

  private scheduleUpdate(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.update();
    });
  }

  private update(): void {
    const { pixel, weight, scaled } = this.settings;
    const x = scaled ? pixel / 255 : pixel;
    const p = PRESETS.find((q) => q.key === this.presetSelect.value) ?? PRESETS[0];
    setText(this.indexOutput, `#${Number(this.indexInput.value) + 1} of 50: ${p.weights[Number(this.indexInput.value)].toPrecision(4)}`);
    const z = x * weight;
    setText(this.zEl, `z = w · x${scaled ? '′' : ''} = ${weight} × ${scaled ? `${pixel}/255 = ${weight} × ${x.toPrecision(6)}` : pixel} = ${z.toPrecision(8)}`);
    this.table.replaceChildren(
      ...SIGMOID_METHODS.map((m) => {
        const s = getSigmoid(m, x, weight);
        const d = m === 'float64' ? s * (1 - s) : Math.fround(s * Math.fround(1 - s));
        const row = h(
          'tr',
          { 'data-method': m },
          h('th', { scope: 'row' }, m),
          h('td', { className: s === 1 ? 'sat' : '' }, show(m, s)),
          h('td', {}, show(m, m === 'float64' ? 1 - s : Math.fround(1 - s))),
          h('td', { className: d === 0 ? 'sat' : '' }, d === 0 ? '0 (gradient gone)' : d.toExponential(4)),
        );
        return row;
      }),
    );
    const f32 = THRESHOLDS.find((t) => t.method === 'float32')!;
    const f64 = THRESHOLDS.find((t) => t.method === 'float64')!;
    const f32Now = float32Pair(x, weight);
    const s64 = getSigmoid('float64', x, weight);
    const d64 = s64 * (1 - s64);
    const pixelAt = (t: number) => (weight === 0 ? Infinity : (t / Math.abs(weight)) * (scaled ? 255 : 1));
    const reach = (t: number) =>
      pixelAt(t) <= 255
        ? `pixel ≥ ${Math.ceil(pixelAt(t))}`
        : `no pixel (needs ${Number.isFinite(pixelAt(t)) ? Math.ceil(pixelAt(t)).toLocaleString('en') : '∞'})`;
    setText(
      this.verdict,
      // Judged from the very numbers the table shows: on the negative side σ heads for 0, which float32
      // still resolves (8.4e-12 at z = −25.5), so σ′ is tiny there but not 0.
      (d64 === 0
        ? `Saturated even in float64: σ is exactly ${s64.toFixed(1)} and the gradient through this unit is exactly 0.`
        : f32Now.d === 0
          ? `Saturated in float32: σ is exactly ${f32Now.s.toFixed(1)} and σ′ exactly 0 — this unit passes no gradient. float64 still has a tiny one (${d64.toExponential(2)}).`
          : Math.abs(z) > 5
            ? `Nearly flat: σ′ = ${f32Now.d.toExponential(2)} in float32, ${(0.25 / f32Now.d).toExponential(1)}× smaller than at z = 0 — a tiny gradient, but not 0.`
            : 'In the sigmoid’s useful range: σ′ is a healthy fraction of its maximum 0.25.') +
        (weight > 0
          ? ` With w = ${weight}, float32 saturates at ${reach(f32.x)}, float64 at ${reach(f64.x)}${scaled ? ' (after /255)' : ''}.`
          : weight < 0
            ? ` With a negative weight σ heads for 0, which float32 resolves much further than 1: ${float32Pair(scaled ? 1 : 255, weight).d === 0 ? 'still, at pixel 255 this weight takes float32’s σ′ to exactly 0.' : 'σ′ stays tiny but not 0 for every pixel value up to 255.'}`
            : ''),
    );
    this.sideBySide.replaceChildren(
      ...[
        { label: `raw pixel ${pixel}`, x: pixel },
        { label: `${pixel} / 255 = ${(pixel / 255).toPrecision(4)}`, x: pixel / 255 },
      ].map((row) => {
        const v = float32Pair(row.x, weight);
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, row.label),
          h('td', {}, String(Number((row.x * weight).toPrecision(5)))),
          h('td', { className: v.s === 1 ? 'sat' : '' }, show('float32', v.s)),
          h('td', { className: v.d === 0 ? 'sat' : '' }, v.d === 0 ? '0 (gradient gone)' : v.d >= 1e-3 ? v.d.toPrecision(4) : v.d.toExponential(3)),
        );
      }),
    );
    const marker = (chart: Chart, y: number) => {
      const ds = chart.data.datasets[chart.data.datasets.length - 1];
      ds.data = [{ x: Math.max(-Z_MAX, Math.min(Z_MAX, z)), y }];
    };
    marker(this.curveChart, sigmoidBy('float64', z));
    marker(this.derivChart, Math.max(sigmoidDerivativeExact(Math.abs(z)), 1e-18));
    this.presetChart.data.datasets.forEach((ds, i) => {
      ds.data = p.weights.map((w) => ({ x: w, y: getSigmoid(SHOWN[i], x, w) }));
    });
    const ones = p.weights.filter((w) => getSigmoid('float32', x, w) === 1).length;
    const ones64 = p.weights.filter((w) => getSigmoid('float64', x, w) === 1).length;
    const top = getSigmoid('float64', x, p.weights[p.weights.length - 1]);
    setText(
      this.presetSummary,
      `At x${scaled ? ' / 255' : ''} = ${scaled ? x.toPrecision(4) : pixel}: ${ones} of 50 weights give σ exactly 1.0 in float32 (${ones64} in float64); the largest σ (float64) is ${show('float64', top)}.`,
    );
    this.curveChart.update('none');
    this.derivChart.update('none');
    this.presetChart.update('none');
  }

  shown(): void {
    refreshCharts([this.curveChart, this.derivChart, this.presetChart]);
  }
}
