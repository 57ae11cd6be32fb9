/**
 * Chart.js configurations for the study, as plain JSON data (no functions), so the same specs can be
 * drawn by the self-contained HTML page and, later, by the browser app. Nothing here touches the DOM.
 */
import type { ChartConfiguration } from 'chart.js';
import type { ProbeDiagnostics } from '../engine/probes.js';
import type { TransformName } from '../data/transforms.js';
import type { NormalizeChoice } from '../lab/normalizers.js';
import { transformLabel } from '../lab/study/plan.js';
import { formatRunKey, parseRunKey, type RunId } from '../lab/study/run-id.js';
import type { RunResult, StudyResult } from '../lab/study/types.js';
import { sigmoidBy, type SigmoidMethod } from '../lab/sigmoid.js';

export type ChartSection = 'outcome' | 'curves' | 'diagnostics' | 'reparam' | 'sweep' | 'precision' | 'sigmoid' | 'inputs';

export interface ChartSpec {
  id: string;
  section: ChartSection;
  title: string;
  /** One or two sentences saying what to look at. */
  caption: string;
  config: ChartConfiguration;
}

/**
 * One colour per way of normalizing (Tableau 10), for every chart that shows runs side by side: why.html,
 * the browser's report view and its live lab. Typed by the choice list, so a new choice gets a colour.
 */
export const NORMALIZE_COLORS: Record<NormalizeChoice, string> = {
  none: '#d62728',
  scale: '#1f77b4',
  standardize: '#2ca02c',
  symmetric: '#9467bd',
  centre: '#ff7f0e',
  'layer:rescaling': '#17becf',
  'layer:normalization': '#8c564b',
  'layer:batchnorm': '#e377c2',
};

/** One colour per way of computing the sigmoid, for the report's precision charts and the browser's sigmoid explorer. */
export const SIGMOID_METHOD_COLORS: Record<SigmoidMethod, string> = { float64: '#1f77b4', float32: '#ff7f0e', 'float32-once': '#d62728' };

const OPTIMIZERS = ['adam', 'sgd'] as const;
const TRANSFORMS: TransformName[] = ['none', 'scale', 'standardize', 'symmetric'];

/**
 * The run key a chart shows for a configuration: the whole-training-set run when the study has one
 * (the headline: none and scale), else the subset tier's (the other transforms, sigmoid).
 */
function keyFor(study: StudyResult, id: RunId): string {
  const full = formatRunKey({ ...id, tier: 'full' });
  return study.runs.some((r) => r.spec.key === full) ? full : formatRunKey({ ...id, tier: 'subset' });
}

function tierSuffix(study: StudyResult, id: RunId): string {
  return parseRunKey(keyFor(study, id)).tier === 'full' ? '' : ` (${study.tiers.subset} images)`;
}

/** The float32 run of a transform and optimizer with the given hidden activation (ReLU: the study's default). */
const arm = (transform: TransformName, optimizer: 'adam' | 'sgd', activation: 'relu' | 'sigmoid' = 'relu'): RunId => ({ activation, transform, optimizer });

function firstRun(study: StudyResult, key: string): RunResult | undefined {
  return study.runs.filter((r) => r.spec.key === key).sort((a, b) => a.spec.seed - b.spec.seed)[0];
}

/** Category labels for probe points: 'init', '10', …, 'epoch 1'. */
function probeLabel(p: Pick<ProbeDiagnostics, 'step' | 'kind' | 'epoch'>): string {
  if (p.step === 0) return 'init';
  if (p.kind === 'epoch') return `epoch ${Math.round(p.epoch * 100) / 100}`;
  return String(p.step);
}

function probeAxis(runs: RunResult[]): { steps: number[]; labels: string[] } {
  const byStep = new Map<number, string>();
  for (const r of runs) for (const p of r.probes) if (!byStep.has(p.step) || p.kind === 'epoch') byStep.set(p.step, probeLabel(p));
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  return { steps, labels: steps.map((s) => byStep.get(s)!) };
}

const finiteOrNull = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);
const positiveOrNull = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) || v <= 0 ? null : v);

function baseOptions(opts: { x: string; y: string; logY?: boolean; yMin?: number; yMax?: number; logX?: boolean; linearX?: boolean }) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    spanGaps: true,
    plugins: { legend: { position: 'bottom' as const, labels: { boxWidth: 12, font: { size: 11 } } } },
    scales: {
      x: { type: opts.logX ? ('logarithmic' as const) : opts.linearX ? ('linear' as const) : ('category' as const), title: { display: true, text: opts.x } },
      y: {
        type: opts.logY ? ('logarithmic' as const) : ('linear' as const),
        title: { display: true, text: opts.y },
        ...(opts.yMin !== undefined ? { min: opts.yMin } : {}),
        ...(opts.yMax !== undefined ? { max: opts.yMax } : {}),
      },
    },
  };
}

function line(label: string, data: (number | null)[] | { x: number; y: number | null }[], color: string, dashed = false) {
  return { label, data, borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: 2, borderDash: dashed ? [6, 4] : [], tension: 0 };
}

function accuracyBars(study: StudyResult): ChartSpec | null {
  const labels = TRANSFORMS.map((t) => `${transformLabel(t)}${tierSuffix(study, arm(t, 'adam'))}`);
  const seeds = study.options.seeds.length;
  const summary = (t: TransformName, o: 'adam' | 'sgd') => study.summaries.find((s) => s.key === keyFor(study, arm(t, o)));
  const datasets: { label: string; data: (number | null | [number, number])[]; backgroundColor: string }[] = OPTIMIZERS.map((o) => ({
    label: `${o} (lr ${o === 'adam' ? '0.001' : '0.01'})${seeds > 1 ? `, mean of ${seeds} seeds` : ''}`,
    data: TRANSFORMS.map((t) => finiteOrNull(summary(t, o)?.testAcc.mean)),
    backgroundColor: o === 'adam' ? '#1f77b4' : '#ff7f0e',
  }));
  if (datasets.every((d) => d.data.every((v) => v === null))) return null;
  // With several seeds, a floating bar beside each mean spans the lowest to the highest seed.
  if (seeds > 1) {
    for (const o of OPTIMIZERS) {
      datasets.push({
        label: `${o}: lowest–highest seed`,
        data: TRANSFORMS.map((t) => {
          const a = summary(t, o)?.testAcc;
          return a && Number.isFinite(a.min) && Number.isFinite(a.max) ? [a.min, a.max === a.min ? a.max + 0.002 : a.max] : null;
        }),
        backgroundColor: o === 'adam' ? '#aec7e8' : '#ffbb78',
      });
    }
  }
  return {
    id: 'accuracy-by-transform',
    section: 'outcome',
    title: `Test accuracy after ${study.options.epochs} epoch(s), by input transform and optimizer`,
    caption:
      `ReLU hidden layer, float32, same initial weights and batch order. Chance is ${(100 / Math.max(1, study.dataset.classNames.length)).toFixed(0)}%.` +
      (seeds > 1 ? ` Light bars: the range over seeds ${study.options.seeds.join(', ')}.` : ''),
    config: { type: 'bar', data: { labels, datasets }, options: baseOptions({ x: 'input transform', y: 'test accuracy', yMin: 0, yMax: 1 }) },
  };
}

function lossCurves(study: StudyResult, optimizer: 'adam' | 'sgd'): ChartSpec | null {
  const runs = TRANSFORMS.map((t) => firstRun(study, keyFor(study, arm(t, optimizer)))).filter((r): r is RunResult => Boolean(r));
  if (!runs.length) return null;
  return {
    id: `loss-${optimizer}`,
    section: 'curves',
    title: `Training loss, ${optimizer}`,
    caption: `Mean training-batch loss over windows of ${runs[0].lossWindow} steps (log scale), per input transform.`,
    config: {
      type: 'line',
      data: {
        datasets: runs.map((r) =>
          line(
            transformLabel(r.spec.transform),
            r.lossCurve.map((p) => ({ x: Number(p.epoch.toFixed(4)), y: positiveOrNull(p.value) })),
            NORMALIZE_COLORS[r.spec.transform],
          ),
        ),
      },
      options: baseOptions({ x: 'epoch', y: 'training loss', logY: true, linearX: true }),
    },
  };
}

function probeChart(
  study: StudyResult,
  id: string,
  section: ChartSection,
  title: string,
  caption: string,
  keys: { key: string; label: string; color: string; dashed?: boolean }[],
  value: (p: ProbeDiagnostics) => number | null | undefined,
  y: { label: string; log?: boolean; min?: number; max?: number },
): ChartSpec | null {
  const present = keys.map((k) => ({ ...k, run: firstRun(study, k.key) })).filter((k) => k.run);
  if (!present.length) return null;
  const axis = probeAxis(present.map((k) => k.run!));
  const datasets = present.map((k) =>
    line(
      k.label,
      axis.steps.map((s) => {
        const p = k.run!.probes.find((q) => q.step === s);
        const v = p ? value(p) : null;
        return y.log ? positiveOrNull(v) : finiteOrNull(v);
      }),
      k.color,
      k.dashed,
    ),
  );
  return {
    id,
    section,
    title,
    caption,
    config: {
      type: 'line',
      data: { labels: axis.labels, datasets },
      options: baseOptions({ x: 'probe point (optimizer steps taken)', y: y.label, logY: y.log, yMin: y.min, yMax: y.max }),
    },
  };
}

function transformKeys(study: StudyResult, optimizer: 'adam' | 'sgd') {
  return TRANSFORMS.map((t) => ({
    key: keyFor(study, arm(t, optimizer)),
    label: `${transformLabel(t)}${tierSuffix(study, arm(t, optimizer))}`,
    color: NORMALIZE_COLORS[t],
  }));
}

const DIAGNOSTICS: {
  id: string;
  title: string;
  y: string;
  log?: boolean;
  min?: number;
  max?: number;
  value: (p: ProbeDiagnostics) => number | null | undefined;
  caption: string;
}[] = [
  {
    id: 'test-acc',
    title: 'Test accuracy',
    y: 'test accuracy',
    min: 0,
    max: 1,
    value: (p) => p.extra.testAcc,
    caption: 'Test subset at early probes, the whole test set at each epoch’s end.',
  },
  {
    id: 'z1',
    title: 'Mean |pre-activation|, hidden layer',
    y: 'mean |z₁| (log)',
    log: true,
    value: (p) => p.layers[0]?.meanAbsPre,
    caption: 'On the fixed probe batch of training images.',
  },
  { id: 'logit', title: 'Mean |logit|', y: 'mean |logit| (log)', log: true, value: (p) => p.logits.meanAbs, caption: 'The softmax layer’s input.' },
  {
    id: 'softmax-one',
    title: 'Softmax maximum exactly 1.0',
    y: 'fraction of probe images',
    min: 0,
    max: 1,
    value: (p) => p.softmax.maxExactlyOne,
    caption: 'Top probability equal to 1.0 in float32.',
  },
  {
    id: 'dead',
    title: 'Dead ReLU units',
    y: 'fraction of hidden units',
    min: 0,
    max: 1,
    value: (p) => p.layers[0]?.deadFraction,
    caption: 'Units with z ≤ 0 on every probe image.',
  },
  {
    id: 'grad',
    title: 'Gradient norm, hidden layer kernel',
    y: '‖∂L/∂W₁‖ (log)',
    log: true,
    value: (p) => p.layers[0]?.kernelGradNorm,
    caption: 'Gradient of the mean probe-batch loss.',
  },
  {
    id: 'update',
    title: 'Update-to-weight ratio, hidden layer kernel',
    y: '‖ΔW₁‖/‖W₁‖ (log)',
    log: true,
    value: (p) => p.layers[0]?.updateRatio,
    caption: 'Over the optimizer step right after the probe.',
  },
];

function diagnosticCharts(study: StudyResult): ChartSpec[] {
  const out: ChartSpec[] = [];
  for (const d of DIAGNOSTICS) {
    for (const o of OPTIMIZERS) {
      const spec = probeChart(
        study,
        `diag-${d.id}-${o}`,
        d.id === 'test-acc' ? 'curves' : 'diagnostics',
        `${d.title} — ${o}`,
        d.caption,
        transformKeys(study, o),
        d.value,
        { label: d.y, log: d.log, min: d.min, max: d.max },
      );
      if (spec) out.push(spec);
    }
  }
  const sig = probeChart(
    study,
    'diag-sigmoid-saturation',
    'sigmoid',
    'Sigmoid hidden layer: saturated activations',
    'Fraction of (image, unit) pairs with |z| > 5 (σ′ < 0.0066); dashed: exactly 0 or 1 in float32.',
    [
      ...OPTIMIZERS.flatMap((o) =>
        (['none', 'scale'] as const).map((t) => ({
          key: keyFor(study, arm(t, o, 'sigmoid')),
          label: `${transformLabel(t)} · ${o}`,
          color: o === 'adam' ? NORMALIZE_COLORS[t] : t === 'none' ? '#ff9896' : '#aec7e8',
        })),
      ),
    ],
    (p) => p.layers[0]?.saturatedFraction,
    { label: 'fraction saturated', min: 0, max: 1 },
  );
  if (sig) out.push(sig);
  return out;
}

function reparamChart(study: StudyResult): ChartSpec | null {
  if (!study.reparam.length) return null;
  const colors: Record<string, string> = { 'sgd-float64': '#1f77b4', 'adam-float64': '#2ca02c', 'sgd-float32': '#ff7f0e', 'adam-float32': '#9467bd' };
  return {
    id: 'reparam-loss-diff',
    section: 'reparam',
    title: 'Reparametrised raw run vs normalized run: |Δ training loss| per step',
    caption:
      'Largest |difference| of the per-step training losses within each window (log scale); 0 (identical) is not drawn. ' +
      'Grey dotted: the normalized run itself in float32 vs float64 — how far rounding alone moves a float32 trajectory.',
    config: {
      type: 'line',
      data: {
        datasets: [
          ...study.reparam.map((c) =>
            line(
              `${c.optimizer}, ${c.dtype}`,
              c.lossDiffCurve.map((p) => ({ x: p.step, y: positiveOrNull(p.value) })),
              colors[`${c.optimizer}-${c.dtype}`] ?? '#444',
              c.dtype === 'float32',
            ),
          ),
          ...study.reparam
            .filter((c) => c.roundingReference)
            .map((c) => ({
              ...line(
                `${c.optimizer}: x/255 run, float32 vs float64`,
                c.roundingReference!.lossDiffCurve.map((p) => ({ x: p.step, y: positiveOrNull(p.value) })),
                c.optimizer === 'sgd' ? '#999' : '#ccc',
              ),
              borderDash: [2, 3],
              pointRadius: 0,
            })),
        ],
      },
      options: baseOptions({ x: 'optimizer step', y: 'max |Δ loss| (log)', logY: true, linearX: true }),
    },
  };
}

function sweepChart(study: StudyResult): ChartSpec | null {
  if (!study.sweep.length) return null;
  const norm = study.summaries.find((s) => s.key === formatRunKey({ ...arm('scale', 'adam'), tier: 'subset' }));
  const labels = [...study.sweep.map((p) => `raw, lr ${p.learningRate}`), ...(norm ? ['x/255, lr 0.001'] : [])];
  const data = [...study.sweep.map((p) => finiteOrNull(p.testAcc)), ...(norm ? [finiteOrNull(norm.testAcc.mean)] : [])];
  return {
    id: 'adam-sweep',
    section: 'sweep',
    title: 'Raw inputs with Adam at smaller learning rates',
    caption: `Test accuracy, mean over seeds on the first ${study.tiers.subset} training images; the last bar is the normalized run at Adam’s default learning rate.`,
    config: {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: 'test accuracy', data, backgroundColor: labels.map((l) => (l.startsWith('raw') ? NORMALIZE_COLORS.none : NORMALIZE_COLORS.scale)) },
        ],
      },
      options: { ...baseOptions({ x: 'run', y: 'test accuracy', yMin: 0, yMax: 1 }), plugins: { legend: { display: false } } },
    },
  };
}

function precisionCharts(study: StudyResult): ChartSpec[] {
  if (!study.precision.length) return [];
  const keys = study.precision.flatMap((c) => [
    { key: c.float32, label: `raw · ${c.optimizer} · float32`, color: c.optimizer === 'adam' ? '#1f77b4' : '#ff7f0e' },
    { key: c.float64, label: `raw · ${c.optimizer} · float64`, color: c.optimizer === 'adam' ? '#1f77b4' : '#ff7f0e', dashed: true },
  ]);
  return [
    probeChart(
      study,
      'precision-loss',
      'precision',
      'Raw inputs: probe-batch loss, float32 vs float64',
      'Solid float32, dashed float64 (log scale).',
      keys,
      (p) => p.loss,
      { label: 'loss (log)', log: true },
    ),
    probeChart(
      study,
      'precision-softmax-one',
      'precision',
      'Raw inputs: softmax maximum exactly 1.0, float32 vs float64',
      'Fraction of probe images whose top probability rounds to exactly 1.0 in the run’s dtype.',
      keys,
      (p) => p.softmax.maxExactlyOne,
      { label: 'fraction', min: 0, max: 1 },
    ),
  ].filter((c): c is ChartSpec => c !== null);
}

function sigmoidCharts(study: StudyResult): ChartSpec[] {
  const s = study.sigmoid;
  const table = (t: typeof s.proposed, id: string, title: string, caption: string): ChartSpec => {
    const max = t.weights[t.weights.length - 1];
    const unit = max < 1e-3 ? 1e-6 : 1;
    const xLabel = unit === 1 ? 'weight w' : 'weight w (×10⁻⁶)';
    return {
      id,
      section: 'sigmoid',
      title,
      caption,
      config: {
        type: 'line',
        data: {
          datasets: [
            line(
              `get_sigmoid(${t.pixels[0]}, w)`,
              t.weights.map((w, i) => ({ x: Number((w / unit).toPrecision(6)), y: t.values.float64[i][0] })),
              NORMALIZE_COLORS.none,
            ),
            line(
              `get_sigmoid(${t.pixels[1]}, w)`,
              t.weights.map((w, i) => ({ x: Number((w / unit).toPrecision(6)), y: t.values.float64[i][1] })),
              NORMALIZE_COLORS.scale,
            ),
          ],
        },
        options: baseOptions({ x: xLabel, y: 'sigmoid(pixel × w)', linearX: true }),
      },
    };
  };
  const pixels = Array.from({ length: 256 }, (_, i) => i);
  const xs = Array.from({ length: 161 }, (_, i) => i / 4);
  const oneMinus = (method: 'float64' | 'float32') =>
    xs.map((x) => {
      const d = 1 - sigmoidBy(method, x);
      return { x, y: d > 0 ? Number(Math.log10(d).toFixed(4)) : null };
    });
  return [
    table(
      s.proposed,
      'sigmoid-proposed',
      'The proposed experiment: get_sigmoid(pixel, w), w = np.linspace(0, 1e-5)',
      'Both curves stay within 0.001 of ½: at these weights nothing saturates.',
    ),
    table(
      s.realisticWeights,
      'sigmoid-realistic',
      'The same with the lab model’s real initial weight range',
      `w up to the first layer’s glorotUniform limit ${s.realisticWeights.weights[s.realisticWeights.weights.length - 1].toPrecision(3)}.`,
    ),
    {
      id: 'sigmoid-inputs',
      section: 'sigmoid',
      title: 'sigmoid(x) over the values a pixel is fed as: raw x vs x/255',
      caption: 'Raw pixel values push sigmoid to its ceiling from about x = 5 on; scaled values stay between 0.5 and 0.73.',
      config: {
        type: 'line',
        data: {
          labels: pixels,
          datasets: [
            line(
              'sigmoid(pixel)',
              pixels.map((p) => s.raw.values.float64[p]),
              NORMALIZE_COLORS.none,
            ),
            line(
              'sigmoid(pixel / 255)',
              pixels.map((p) => sigmoidBy('float64', p / 255)),
              NORMALIZE_COLORS.scale,
            ),
          ],
        },
        options: { ...baseOptions({ x: 'pixel value', y: 'sigmoid', yMin: 0.4, yMax: 1.02 }), elements: { point: { radius: 0 } } },
      },
    },
    {
      id: 'sigmoid-one-minus',
      section: 'sigmoid',
      title: 'How far sigmoid(x) is from 1.0, in float32 and float64',
      caption: `The curve ends where sigmoid(x) rounds to exactly 1.0: x = ${s.thresholds.find((t) => t.method === 'float32')!.x.toPrecision(6)} in float32, ${s.thresholds.find((t) => t.method === 'float64')!.x.toPrecision(6)} in float64. Beyond it the derivative σ(1−σ) computed from the output is exactly 0.`,
      config: {
        type: 'line',
        data: {
          datasets: [
            { ...line('float32 (each operation rounded)', oneMinus('float32'), SIGMOID_METHOD_COLORS.float32), borderWidth: 4, spanGaps: false, order: 0 },
            { ...line('float64', oneMinus('float64'), SIGMOID_METHOD_COLORS.float64, true), spanGaps: false, order: 1 },
          ],
        },
        options: { ...baseOptions({ x: 'x', y: 'log₁₀(1 − sigmoid(x))', linearX: true }), elements: { point: { radius: 0 } } },
      },
    },
  ];
}

function softmaxGapChart(study: StudyResult): ChartSpec | null {
  const gaps = study.sigmoid.softmaxAtMeasuredGaps;
  if (!gaps.length) return null;
  const t32 = study.sigmoid.softmax.find((t) => t.method === 'float32' && t.competitors === 1)!.gap;
  const t64 = study.sigmoid.softmax.find((t) => t.method === 'float64' && t.competitors === 1)!.gap;
  const labels = gaps.map((g) => g.label);
  return {
    id: 'softmax-gaps',
    section: 'sigmoid',
    title: 'Logit gaps measured in the runs vs where softmax rounds to 1.0',
    caption: 'Bars: top-1 minus top-2 logit on the probe batch (log scale). Lines: the gap above which the top probability is exactly 1.0.',
    config: {
      type: 'bar',
      data: {
        labels,
        datasets: [
          {
            type: 'bar',
            label: 'logit gap',
            data: gaps.map((g) => positiveOrNull(g.gap)),
            backgroundColor: gaps.map((g) => (g.label.startsWith('none') ? NORMALIZE_COLORS.none : NORMALIZE_COLORS.scale)),
          },
          {
            type: 'line',
            label: `float32 threshold ${t32.toPrecision(4)}`,
            data: labels.map(() => t32),
            borderColor: SIGMOID_METHOD_COLORS.float32,
            backgroundColor: SIGMOID_METHOD_COLORS.float32,
            pointRadius: 0,
            borderDash: [6, 4],
          },
          {
            type: 'line',
            label: `float64 threshold ${t64.toPrecision(4)}`,
            data: labels.map(() => t64),
            borderColor: '#333',
            backgroundColor: '#333',
            pointRadius: 0,
            borderDash: [2, 2],
          },
        ],
      } as ChartConfiguration['data'],
      options: {
        ...baseOptions({ x: '', y: '' }),
        indexAxis: 'y',
        scales: { x: { type: 'logarithmic', title: { display: true, text: 'logit gap: top-1 − top-2 (log)' } }, y: { type: 'category' } },
      },
    } as ChartConfiguration,
  };
}

function inputProfile(study: StudyResult): ChartSpec | null {
  const img = study.samples.images[0];
  if (!img) return null;
  const { width, height } = study.samples;
  const row = Math.floor(height / 2);
  const xs = Array.from({ length: width }, (_, i) => i);
  return {
    id: 'input-profile',
    section: 'inputs',
    title: `What the first layer is fed: pixel row ${row} of training image #${img.index} (${img.className}) under each transform`,
    caption: 'Same image, same shape; only the scale and offset differ. The raw values are two orders of magnitude larger than all the others.',
    config: {
      type: 'line',
      data: {
        labels: xs,
        datasets: study.samples.transforms.map((t) =>
          line(
            `${transformLabel(t.name)}`,
            xs.map((x) => t.a * img.pixels[row * width + x] + t.b),
            NORMALIZE_COLORS[t.name],
          ),
        ),
      },
      options: baseOptions({ x: 'column', y: 'input value' }),
    },
  };
}

/** Every chart of the study, in page order. */
export function studyCharts(study: StudyResult): ChartSpec[] {
  return [
    accuracyBars(study),
    ...OPTIMIZERS.map((o) => lossCurves(study, o)),
    ...diagnosticCharts(study),
    reparamChart(study),
    sweepChart(study),
    ...precisionCharts(study),
    ...sigmoidCharts(study),
    softmaxGapChart(study),
    inputProfile(study),
  ].filter((c): c is ChartSpec => c !== null);
}
