/**
 * The study's tables as rows of strings, shared by the terminal summary (cli-table3) and the HTML page,
 * so both show the same numbers formatted the same way.
 */
import { DEFAULT_LR, parseRunKey } from '../lab/study/run-id.js';
import type { RunSummary, StudyResult } from '../lab/study/types.js';
import { METHOD_DESCRIPTIONS } from '../lab/sigmoid.js';
import { num, pct, points, sci } from './format.js';

export interface Table {
  head: string[];
  rows: string[][];
}

/** A run's name for tables: 'none · sgd', 'none · adam lr 0.0001', 'none · sgd · f64 · reparam'. */
export function shortLabel(s: Pick<RunSummary, 'key' | 'transform' | 'optimizer' | 'learningRate' | 'activation' | 'dtype'>): string {
  return (
    `${s.transform} · ${s.optimizer}${s.learningRate !== DEFAULT_LR[s.optimizer] ? ` lr ${s.learningRate}` : ''}` +
    (s.activation === 'sigmoid' ? ' · sigmoid' : '') +
    (s.dtype === 'float64' ? ' · float64' : '') +
    (parseRunKey(s.key).tag === 'reparam' ? ' · reparam' : '')
  );
}

export function runsTable(study: StudyResult, options: { compact?: boolean } = {}): Table {
  const secondsPerEpoch = (key: string) => {
    const rs = study.runs.filter((r) => r.spec.key === key);
    return rs.length ? rs.reduce((a, r) => a + r.secondsPerEpoch, 0) / rs.length : NaN;
  };
  const head = options.compact
    ? ['run', 'test acc', 'epoch-1 loss', 'mean |z₁| init', 'mean |logit| end', 'softmax=1 end', 'dead ReLU / sat. σ end', 'NaN/∞']
    : [
        'group',
        'run',
        'test acc',
        'test loss',
        'epoch-1 loss',
        'loss at init',
        'mean |z₁| init',
        'mean |logit| end',
        'softmax=1 end',
        'dead ReLU / sat. σ end',
        'NaN/∞',
        's/epoch',
      ];
  const rows = study.summaries.map((s) => {
    const acc = s.seeds.length > 1 ? `${pct(s.testAcc.mean)} ± ${points(s.testAcc.std).replace(' points', '').replace(' point', '')}` : pct(s.testAcc.mean);
    const l1 = s.final?.layers[0];
    const unitState = l1
      ? l1.deadFraction !== null
        ? `${pct(l1.deadFraction)} dead`
        : l1.saturatedFraction !== null
          ? `${pct(l1.saturatedFraction)} sat.`
          : '—'
      : '—';
    const nf = s.nonFiniteRuns ? `${s.nonFiniteRuns} run(s)` : '—';
    const common = [
      acc,
      num(s.firstEpochLoss),
      num(s.init?.layers[0]?.meanAbsPre),
      num(s.final?.logits.meanAbs),
      pct(s.final?.softmax.maxExactlyOne),
      unitState,
      nf,
    ];
    return options.compact
      ? [shortLabel(s), ...common]
      : [s.group, shortLabel(s), acc, num(s.testLoss.mean), num(s.firstEpochLoss), num(s.init?.loss), ...common.slice(2), num(secondsPerEpoch(s.key), 2)];
  });
  return { head, rows };
}

export function reparamTable(study: StudyResult): Table {
  return {
    head: [
      'optimizer',
      'dtype',
      'steps',
      'max |Δ p| at init',
      'max |Δ loss| per step',
      'max |Δ p| at end',
      'test acc (reparam / normalized)',
      'raw, not reparam.: max |Δ p| at end',
      'matches up to rounding',
    ],
    rows: study.reparam.map((c) => [
      c.optimizer,
      c.dtype,
      String(c.steps),
      sci(c.initialMaxAbsDiff),
      sci(c.lossMaxAbsDiff),
      sci(c.finalMaxAbsDiff),
      `${pct(c.testAcc[1], 2)} / ${pct(c.testAcc[0], 2)}`,
      c.unreparametrised ? num(c.unreparametrised.finalMaxAbsDiff) : '—',
      `${c.passed ? 'yes' : 'NO'} (${
        c.lossMaxAbsDiff <= c.tolerance && c.finalMaxAbsDiff <= c.tolerance
          ? `≤ ${sci(c.tolerance, 1)}`
          : c.roundingReference
            ? `≤ ${sci(c.bound.loss)}: x/255 run, f32 vs f64`
            : `≤ ${sci(c.tolerance, 1)}`
      })`,
    ]),
  };
}

export function thresholdTable(study: StudyResult): Table {
  return {
    head: [
      'arithmetic',
      'smallest x with sigmoid(x) = 1.0',
      'integer',
      'sigmoid just below',
      'σ(1−σ) at x (computed)',
      'σ′ at x (exact)',
      'sigmoid(x) = 0 from',
    ],
    rows: study.sigmoid.thresholds.map((t) => [
      t.method,
      num(t.x, 10),
      String(t.integer),
      num(t.sigmoidBelow, 17),
      String(t.derivativeAt),
      sci(t.derivativeExact, 3),
      num(t.zeroAt, 8),
    ]),
  };
}

export function softmaxThresholdTable(study: StudyResult): Table {
  return {
    head: ['arithmetic', 'other classes', 'top class in the sum', 'gap for p_max = 1.0', 'gap for p_other = 0.0'],
    rows: study.sigmoid.softmax.map((t) => [t.method, String(t.competitors), t.order === 'top-first' ? 'first' : 'last', num(t.gap, 8), num(t.zeroGap, 8)]),
  };
}

export function measuredGapTable(study: StudyResult): Table {
  return {
    head: ['where', 'logit gap', 'p_max float64', 'p_max float32', '= 1.0 in float32?'],
    rows: study.sigmoid.softmaxAtMeasuredGaps.map((g) => [
      g.label,
      num(g.gap, 4),
      num(g.values.float64.max, 12),
      num(g.values.float32.max, 8),
      g.values.float32.exactlyOne ? 'yes' : 'no',
    ]),
  };
}

export function proposedTable(study: StudyResult, rows = 6): Table {
  const t = study.sigmoid.proposed;
  const pick = Array.from({ length: rows }, (_, i) => Math.round((i * (t.weights.length - 1)) / (rows - 1)));
  return {
    head: [
      'weight',
      `get_sigmoid(${t.pixels[0]}, w) float64`,
      `get_sigmoid(${t.pixels[1]}, w) float64`,
      `get_sigmoid(${t.pixels[0]}, w) float32`,
      `get_sigmoid(${t.pixels[1]}, w) float32`,
    ],
    rows: pick.map((i) => [
      sci(t.weights[i], 4),
      num(t.values.float64[i][0], 12),
      num(t.values.float64[i][1], 12),
      num(t.values.float32[i][0], 8),
      num(t.values.float32[i][1], 8),
    ]),
  };
}

export function methodNotes(): string[] {
  return Object.entries(METHOD_DESCRIPTIONS).map(([k, v]) => `${k}: ${v}`);
}

/** The ablation: every fix per optimizer, ranked by the share of the gap recovered (95% interval). */
export function ablationTable(study: StudyResult): Table {
  const f = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : 'n/a');
  return {
    head: ['optimizer', 'fix', 'share of gap', '95% interval', 'test acc', 'seeds'],
    rows: study.ablation.map((r) => [
      r.optimizer,
      r.label.replace(/^none \(0–255\) · \w+ [\d.e-]+ · /, '').replace(/ · \d+ images$/, ''),
      f(r.share.mean),
      `${f(r.share.lo)} to ${f(r.share.hi)}`,
      `${(r.acc.mean * 100).toFixed(1)}%`,
      String(r.share.n),
    ]),
  };
}

function statCell(s: { n: number; mean: number; lo: number; hi: number }, f: (v: number) => string): string {
  if (!s.n) return '—';
  return s.n > 1 ? `${f(s.mean)} [${f(s.lo)}, ${f(s.hi)}]` : f(s.mean);
}

/** λ_max per transform/optimizer and step, with the stability limit. */
export function curvatureTable(study: StudyResult): Table {
  const g = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : 'n/a');
  return {
    head: ['run', 'step', 'λ_max (whole)', 'λ_max (first layer)', 'Adam: λ_max(D⁻¹H)', 'limit', 'seeds'],
    rows: study.curvature.flatMap((c) =>
      c.points.map((p) => [
        `${c.transform} · ${c.optimizer}`,
        p.step === 0 ? 'init' : String(p.step),
        statCell(p.lambdaMax, g),
        statCell(p.firstLayer, g),
        statCell(p.preconditioned, g),
        `${c.optimizer === 'sgd' ? '2/η' : '38/η'} = ${g(c.limit)}`,
        String(Math.max(p.lambdaMax.n, p.preconditioned.n)),
      ]),
    ),
  };
}

export function spectrumTable(study: StudyResult): Table {
  const g = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? v.toExponential(2) : Number(v.toPrecision(3)).toString()) : 'n/a');
  return {
    head: ['transform', 'formula', 'λ₁', 'λ₂', 'λ₁/λ₂', 'λ₁ share of trace', 'condition number', 'eigenvalues kept'],
    rows: (study.spectrum?.rows ?? []).map((r) => [
      r.transform,
      r.formula,
      g(r.top),
      g(r.second),
      g(r.ratio12),
      `${(r.topShare * 100).toFixed(0)}%`,
      g(r.condition),
      String(r.nonNegligible),
    ]),
  };
}

export function lossFormTable(study: StudyResult): Table {
  const p = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a');
  return {
    head: ['inputs · optimizer', 'from logits (Keras)', 'clipped probabilities (tfjs)', 'difference', 'true-class p = 0 at init', 'seeds'],
    rows: study.lossForm.map((c) => [
      `${c.transform} · ${c.optimizer}`,
      statCell(c.logits, p),
      statCell(c.clipped, p),
      statCell(c.difference, (v) => `${(v * 100).toFixed(1)}`),
      p(c.trueProbZeroAtInit.mean),
      String(c.difference.n),
    ]),
  };
}
