/**
 * The study as one self-contained HTML page: the findings, the tables and the charts, with Chart.js
 * inlined (its UMD build, passed in by the caller) and all data embedded as JSON, so the page makes no
 * network request when viewed. No DOM code runs here: this builds a string.
 */
import type { StudyResult } from '../lab/study/types.js';
import { transformLabel } from '../lab/study/plan.js';
import { studyCharts, type ChartSection, type ChartSpec } from './charts.js';
import type { Findings } from './findings.js';
import { lossPlaneSvg } from './plane-svg.js';
import { REVIVER_SOURCE, scriptJson } from '../util/json.js';
import { num, seconds } from './format.js';
import {
  ablationTable,
  curvatureTable,
  lossFormTable,
  spectrumTable,
  measuredGapTable,
  methodNotes,
  proposedTable,
  reparamTable,
  runsTable,
  softmaxThresholdTable,
  thresholdTable,
  type Table,
} from './tables.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON safe to embed in a <script> element (src/util/json.ts: the one NaN/±Infinity convention). */
export { scriptJson };

function tableHtml(t: Table, cls = ''): string {
  return `<div class="table-wrap"><table class="${cls}"><thead><tr>${t.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

const TALL = new Set(['softmax-gaps']);

function chartBox(c: ChartSpec): string {
  return `<figure class="chart${TALL.has(c.id) ? ' tall' : ''}"><figcaption><b>${escapeHtml(c.title)}</b><br><span>${escapeHtml(c.caption)}</span></figcaption><div class="canvas-box"><canvas id="chart-${escapeHtml(c.id)}" data-chart="${escapeHtml(c.id)}"></canvas></div></figure>`;
}

function chartsOf(charts: ChartSpec[], section: ChartSection, filter: (c: ChartSpec) => boolean = () => true): string {
  const list = charts.filter((c) => c.section === section && filter(c));
  return list.length ? `<div class="grid">${list.map((c) => chartBox(c)).join('')}</div>` : '';
}

const VERDICT_CLASS: Record<string, string> = {
  'as expected': 'ok',
  'contradicts the expected story': 'bad',
  mixed: 'mixed',
  'not measured': 'na',
};

export interface HtmlOptions {
  /** The Chart.js UMD build's source, inlined into the page. */
  chartJs: string;
  /** File name of the JSON written beside the page (for the link). */
  jsonName?: string;
}

export function studyHtml(study: StudyResult, findings: Findings, options: HtmlOptions): string {
  const charts = studyCharts(study);
  const o = study.options;
  const title = `normlab why — ${study.dataset.name}`;
  const header =
    `${escapeHtml(study.dataset.name)}${study.dataset.verified ? ' (SHA-256 verified)' : ' (unverified)'}, ${study.dataset.trainCount} training / ${study.dataset.testCount} test images · ` +
    `${o.epochs} epoch(s), batch ${o.batchSize}, seed${o.seeds.length > 1 ? 's' : ''} ${o.seeds.join(', ')} · ${study.runs.length} runs on backend ${escapeHtml([...new Set(study.runs.map((r) => r.backend))].join(', '))} in ${seconds(study.wallSeconds)}` +
    (o.quick ? ' · <b>--quick</b> (a small slice: numbers are indicative only)' : '');

  const findingsHtml = findings.list
    .map(
      (f) => `<section class="finding"><h3>${escapeHtml(f.title)} <span class="verdict ${VERDICT_CLASS[f.verdict]}">${escapeHtml(f.verdict)}</span></h3>
<p class="expect">Expected: ${escapeHtml(f.expectation)}</p>${f.sentences.map((s) => `<p>${escapeHtml(s)}</p>`).join('')}</section>`,
    )
    .join('\n');

  const samples = study.samples;
  const samplesHtml = `<div class="samples">${samples.transforms
    .map(
      (
        t,
      ) => `<div class="sample-row"><div class="sample-label"><b>${escapeHtml(transformLabel(t.name))}</b><br>${escapeHtml(t.formula)}<br>range [${num(t.range[0], 3)}, ${num(t.range[1], 3)}], mean ${num(t.mean, 3)}, std ${num(t.std, 3)}</div>
${samples.images.map((img, i) => `<canvas class="digit" width="${samples.width}" height="${samples.height}" data-image="${i}" data-transform="${t.name}" title="${escapeHtml(img.className)}"></canvas>`).join('')}</div>`,
    )
    .join('')}</div>`;

  const data = {
    charts: charts.map((c) => ({ id: c.id, config: c.config })),
    samples,
  };

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
:root { --fg: #1d1f21; --muted: #5a6270; --line: #dde1e6; --bg: #fff; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 21px; margin: 36px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 6px; } .sub { color: var(--muted); margin: 0 0 16px; font-size: 14px; }
.closing { background: var(--panel); border-left: 4px solid #1f77b4; padding: 10px 16px; }
.closing p { margin: 6px 0; } blockquote { color: var(--muted); margin: 8px 0; padding-left: 12px; border-left: 3px solid var(--line); }
.finding { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 12px 0; }
.finding p { margin: 6px 0; } .expect { color: var(--muted); font-size: 13px; }
.verdict { font-size: 12px; font-weight: 600; padding: 2px 8px; border-radius: 10px; margin-left: 6px; vertical-align: middle; }
.verdict.ok { background: #e3f4e6; color: #1e6b2e; } .verdict.bad { background: #fde8e8; color: #9b1c1c; } .verdict.mixed { background: #fff4d6; color: #7a5200; } .verdict.na { background: #eee; color: #555; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 18px; margin: 12px 0; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: #fff; }
figure.chart figcaption { font-size: 13px; color: var(--muted); margin-bottom: 6px; } figure.chart figcaption b { color: var(--fg); font-size: 14px; }
.canvas-box { position: relative; height: 300px; } .tall .canvas-box { height: 420px; }
.table-wrap { overflow-x: auto; margin: 10px 0; }
table { border-collapse: collapse; font-size: 13px; width: 100%; } th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; } th { background: var(--panel); font-weight: 600; }
.samples { display: flex; flex-direction: column; gap: 6px; } .sample-row { display: flex; align-items: center; gap: 8px; }
.sample-label { width: 300px; font-size: 12px; color: var(--muted); } .sample-label b { color: var(--fg); }
canvas.digit { width: 56px; height: 56px; image-rendering: pixelated; border: 1px solid var(--line); }
.note { font-size: 13px; color: var(--muted); }
.answer { background: var(--panel); border-left: 4px solid #2ca02c; padding: 10px 16px; } .answer p { font-size: 16px; margin: 6px 0; } .claims { list-style: none; padding: 0; } .claims li { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; margin: 8px 0; }
.reply { background: var(--panel); border-radius: 8px; padding: 10px 16px; } .reply button { font: inherit; padding: 4px 12px; cursor: pointer; }
.planes { display: flex; flex-wrap: wrap; gap: 18px; } .planes figure { margin: 0; } .planes figcaption { font-size: 13px; color: var(--muted); max-width: 420px; } code { background: var(--panel); padding: 1px 4px; border-radius: 4px; }
</style></head>
<body><main>
<h1>Why does normalization change the results so much?</h1>
<p class="sub">${header} · generated ${escapeHtml(study.createdAt)} by <code>normlab why</code></p>
<blockquote>“We are simply rescaling 0–255 to 0–1. The relative scale is still exactly the same. What is the exact mechanism that is causing the huge difference in accuracy? Is it something in the optimizer or loss function (adam, sparse_categorical_crossentropy) that works better with values between 0 and 1?”</blockquote>
<h2>The answer</h2>
<div class="answer" id="the-answer">${findings.answer.map((s) => `<p>${escapeHtml(s)}</p>`).join('')}</div>
<p class="note">${escapeHtml(tierNote(study))}</p>

<h2>Claims checked</h2>
${claimsHtml(findings)}

<h2>Reply to the forum</h2>
<div class="reply"><p id="forum-reply">${escapeHtml(findings.reply)}</p><button type="button" id="copy-reply" data-copy="forum-reply">Copy reply</button> <span id="copy-status" class="note" role="status"></span></div>

<h2>In short</h2>
<div class="closing">${findings.closing.map((s) => `<p>${escapeHtml(s)}</p>`).join('')}</div>

<h2>Findings</h2>
${findingsHtml}

<h2>The runs</h2>
${chartsOf(charts, 'outcome')}
${tableHtml(runsTable(study), 'runs')}
<p class="note">test acc: whole test set after the last epoch (mean ± sample std over seeds when there are several). epoch-1 loss: mean training-batch loss of the first epoch, each batch measured before its update (as Keras reports it). Diagnostics (|z₁|, |logit|, softmax = 1, dead ReLU, saturation) are measured on a fixed probe batch of ${o.probeRows} training images, the same for every run${o.seeds.length > 1 ? `; with several seeds they are those of seed ${o.seeds[0]}'s run, and epoch-1 loss is the mean over seeds` : ''}. ReLU runs began from identical weights: ${study.sameInitialWeights.relu === null ? 'n/a' : study.sameInitialWeights.relu ? 'yes (checked by hash)' : 'NO'}.</p>

<h2>Training curves</h2>
${o.seeds.length > 1 ? `<p class="note">Curves and diagnostics show seed ${o.seeds[0]}; accuracies in the table and the bar chart are over all ${o.seeds.length} seeds (${o.seeds.join(', ')}).</p>` : ''}
${chartsOf(charts, 'curves')}

<h2>Diagnostics over time</h2>
<p class="note">Probes at initialisation, at steps ${o.probeSteps.filter((s) => s > 0).join(', ')} and at the end of every epoch. Left: Adam, right: SGD.</p>
${chartsOf(charts, 'diagnostics')}

${secondOrderHtml(study)}

<h2>Normalization as a reparametrisation</h2>
<p>z = W·(x/255) + b = (W/255)·x + b: raw inputs with the first kernel divided by 255 compute exactly the normalized network. Its gradient is x·δ, 255× larger, so to take the same steps SGD needs that kernel’s learning rate ÷ 255², and Adam (whose step m̂/(√v̂+ε) ignores the gradient’s scale except through ε) needs lr ÷ 255 and ε × 255. The runs below check this, number for number.</p>
${tableHtml(reparamTable(study))}
${chartsOf(charts, 'reparam')}

<h2>Raw inputs with Adam at smaller learning rates</h2>
${chartsOf(charts, 'sweep')}

<h2>float32 vs float64</h2>
${chartsOf(charts, 'precision')}

<h2>The sigmoid and softmax experiments</h2>
<p>As proposed: <code>get_sigmoid(pixel_value, weight) = sigmoid(pixel_value × weight)</code> with <code>weights = np.linspace(0, 1e-5)</code> (50 values), pixel 255 vs 1; then pushed to the exact thresholds. How each precision was computed:</p>
<ul class="note">${methodNotes()
    .map((m) => `<li>${escapeHtml(m)}</li>`)
    .join('')}</ul>
${tableHtml(proposedTable(study))}
${tableHtml(thresholdTable(study))}
${tableHtml(softmaxThresholdTable(study))}
${study.sigmoid.softmaxAtMeasuredGaps.length ? tableHtml(measuredGapTable(study)) : ''}
${chartsOf(charts, 'sigmoid')}

<h2>The inputs as each transform feeds them</h2>
<p class="note">Top: each image drawn on its own range (they look the same — the information is unchanged). The second block draws every transform on one shared scale, [−2, 2] → black…white, as the first layer “sees” magnitudes.</p>
${samplesHtml}
<div id="shared-scale" class="samples"></div>
${chartsOf(charts, 'inputs')}

<h2>Method</h2>
<p class="note">Model: Flatten → Dense(128, relu or sigmoid, glorotUniform) → Dense(${study.dataset.classNames.length}, softmax); sparse categorical cross-entropy computed from the logits (fused, as tf.keras); batch ${o.batchSize}; Adam lr 0.001 (β 0.9/0.999, ε 10⁻⁷), SGD lr 0.01. One seed gives the initial weights and the batch order; all runs of a seed share them. Transforms are applied as x′ = a·x + b when batches are formed (standardize uses the training set’s mean and std). ${o.quick ? 'This was a --quick run on a small slice.' : ''}
Every number on this page is in <code>${escapeHtml(options.jsonName ?? 'why.json')}</code>. Node ${escapeHtml(study.environment.node)} on ${escapeHtml(study.environment.platform)}, ${study.environment.cpus} CPUs.</p>
</main>
<script id="why-data" type="application/json">${scriptJson(data)}</script>
<script>${options.chartJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('why-data').textContent, ${REVIVER_SOURCE});
  window.__whyCharts = [];
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  // Log axes: label 1, 2 and 5 × 10ⁿ only, in exponent form far from 1 (the chart configs are plain JSON,
  // so this presentational function is attached here).
  function logTick(v) {
    if (!(v > 0)) return '';
    var e = Math.floor(Math.log10(v) + 1e-9);
    var m = v / Math.pow(10, e);
    var r = Math.round(m);
    if (Math.abs(m - r) > 1e-6 || [1, 2, 5].indexOf(r) < 0) return '';
    return e <= -4 || e >= 5 ? r + 'e' + e : String(Number(v.toPrecision(2)));
  }
  data.charts.forEach(function (c) {
    var scales = (c.config.options && c.config.options.scales) || {};
    Object.keys(scales).forEach(function (k) {
      if (scales[k].type === 'logarithmic') scales[k].ticks = Object.assign({}, scales[k].ticks, { callback: logTick, autoSkip: true });
    });
    var el = document.getElementById('chart-' + c.id);
    if (el) window.__whyCharts.push(new Chart(el, c.config));
  });
  var s = data.samples;
  function draw(canvas, img, t, lo, hi) {
    var ctx = canvas.getContext('2d');
    var out = ctx.createImageData(s.width, s.height);
    for (var i = 0; i < img.pixels.length; i++) {
      var v = t.a * img.pixels[i] + t.b;
      var g = Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo)) * 255)));
      out.data[4 * i] = out.data[4 * i + 1] = out.data[4 * i + 2] = g;
      out.data[4 * i + 3] = 255;
    }
    ctx.putImageData(out, 0, 0);
  }
  var byName = {};
  s.transforms.forEach(function (t) { byName[t.name] = t; });
  document.querySelectorAll('canvas.digit[data-image]').forEach(function (c) {
    var t = byName[c.getAttribute('data-transform')];
    draw(c, s.images[+c.getAttribute('data-image')], t, Math.min(t.range[0], t.range[1]), Math.max(t.range[0], t.range[1]));
  });
  var shared = document.getElementById('shared-scale');
  s.transforms.forEach(function (t) {
    var row = document.createElement('div');
    row.className = 'sample-row';
    var label = document.createElement('div');
    label.className = 'sample-label';
    label.textContent = t.name + ' on the shared scale [−2, 2]';
    row.appendChild(label);
    s.images.forEach(function (img) {
      var c = document.createElement('canvas');
      c.className = 'digit'; c.width = s.width; c.height = s.height;
      draw(c, img, t, -2, 2);
      row.appendChild(c);
    });
    shared.appendChild(row);
  });
  var copy = document.getElementById('copy-reply');
  if (copy) copy.addEventListener('click', function () {
    var text = document.getElementById(copy.getAttribute('data-copy')).textContent;
    var status = document.getElementById('copy-status');
    var done = function () { status.textContent = 'Copied.'; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(); });
    } else fallback();
    function fallback() {
      var ta = document.createElement('textarea');
      ta.value = text; document.body.appendChild(ta); ta.select();
      try { document.execCommand('copy'); done(); } catch (e) { status.textContent = 'Select the text and copy it.'; }
      document.body.removeChild(ta);
    }
  });
  document.body.setAttribute('data-ready', String(window.__whyCharts.length));
})();
</script>
</body></html>
`;
}

/** What each number is measured on (the two data tiers). */
export function tierNote(study: StudyResult): string {
  return (
    `Measured in this run: the main comparison (raw vs /255 × adam/sgd) and the reparametrisation check on ${study.tiers.full} training images; ` +
    `every other comparison (the ablation, the loss form, the other normalizations, float64, sigmoid, the learning-rate sweeps, the curvature) on the first ${study.tiers.subset}, ` +
    `${study.options.epochs} epoch(s), seeds ${study.options.seeds.join(', ')}; intervals are 95% t-intervals over seeds.`
  );
}

function claimsHtml(findings: Findings): string {
  const cls: Record<string, string> = { supported: 'ok', refuted: 'bad', partly: 'mixed', 'not measured': 'na' };
  return `<ul class="claims">${findings.claims
    .map(
      (c) =>
        `<li><b>${escapeHtml(c.claim)}</b> <span class="verdict ${cls[c.verdict]}">${escapeHtml(c.verdict)}</span><br><span class="note">Prediction: ${escapeHtml(c.prediction)}</span><br>${escapeHtml(c.evidence)}</li>`,
    )
    .join('')}</ul>`;
}

function secondOrderHtml(study: StudyResult): string {
  const parts: string[] = [];
  if (study.curvature.length) {
    parts.push(`<h2>Step size against curvature</h2>
<p>λ_max: the largest eigenvalue of the loss Hessian on the probe images (float64, Lanczos on finite-difference Hessian-vector products), whole network and the first layer's block; SGD is stable on a quadratic while lr·λ_max &lt; 2, Adam (β₁ = 0.9) while lr·λ_max(D⁻¹H) &lt; 38.</p>
${tableHtml(curvatureTable(study))}`);
  }
  if (study.planes.length) {
    parts.push(`<h3>The loss on the plane of the top two Hessian eigenvectors at initialisation</h3>
<div class="planes">${study.planes.map((p) => `<figure>${lossPlaneSvg(p.plane, p.transform)}<figcaption>${escapeHtml(transformLabel(p.transform as never))}: colour = log₁₀ loss on ${p.plane.rows} probe images; λ₁ ${num(p.plane.eigenvalues[0])}, λ₂ ${num(p.plane.eigenvalues[1])}; the line is the first ${p.plane.path.length - 1} SGD steps (lr 0.01) projected on the plane (off-plane distance of the last: ${num(p.plane.offPlane[p.plane.offPlane.length - 1] ?? NaN)}).</figcaption></figure>`).join('')}</div>`);
  }
  if (study.spectrum) {
    parts.push(`<h2>Input statistics: the spectrum of E[xxᵀ]</h2>
<p class="note">${study.spectrum.images} training images; condition number over the eigenvalues above ${study.spectrum.floor} × λ₁.</p>
${tableHtml(spectrumTable(study))}`);
  }
  if (study.ablation.length) {
    parts.push(`<h2>Every fix, ranked</h2>
<p class="note">Share of the raw → /255 gap each fix recovers, paired by seed (same initial weights and batches), with its 95% interval over seeds; 0% = as raw, 100% = as /255.</p>
${tableHtml(ablationTable(study))}`);
  }
  if (study.lossForm.length) {
    parts.push(`<h2>The loss form: logits vs clipped probabilities</h2>
${tableHtml(lossFormTable(study))}`);
  }
  return parts.join('\n');
}
