/**
 * The report layer on a synthetic study (made-up measurements through the real analysis): the page is
 * self-contained and carries every chart's data; the terminal summary has a row per run and the findings.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { chartJsUmdSource } from '../../src/report/assets.js';
import { studyCharts } from '../../src/report/charts.js';
import { deriveFindings } from '../../src/report/findings.js';
import { escapeHtml, scriptJson, studyHtml } from '../../src/report/html.js';
import { studySummary } from '../../src/report/terminal.js';
import { syntheticStudy } from '../lab/synthetic.js';

describe('why.html', () => {
  const study = syntheticStudy();
  const findings = deriveFindings(study);
  const html = studyHtml(study, findings, { chartJs: chartJsUmdSource(), jsonName: 'why.json' });

  test('self-contained: Chart.js inlined, no external script, style, image or font', () => {
    assert.match(html, /Chart\.js v4/);
    assert.doesNotMatch(html, /<script[^>]+\bsrc=/i);
    assert.doesNotMatch(html, /<link[^>]+\bhref=/i);
    assert.doesNotMatch(html, /<img[^>]+\bsrc=["']?https?:/i);
    assert.doesNotMatch(html, /url\(\s*["']?https?:/i);
  });

  test('every chart has a canvas and its config in the embedded data', () => {
    const charts = studyCharts(study);
    assert.ok(charts.length >= 20, `${charts.length} charts`);
    const data = JSON.parse(html.match(/<script id="why-data" type="application\/json">([\s\S]*?)<\/script>/)![1]);
    assert.deepEqual(
      data.charts.map((c: { id: string }) => c.id),
      charts.map((c) => c.id),
    );
    for (const c of charts) assert.ok(html.includes(`id="chart-${c.id}"`), c.id);
    // JSON.stringify would turn NaN into null anyway; the embedded data must parse and be free of "</script"
    assert.doesNotMatch(scriptJson({ s: '</script><b>' }), /<\/script/);
  });

  test("the page's own script reads NaN and ±Infinity back as numbers, as parseJson reads why.json", () => {
    // the statement of the inline script that decodes the embedded data, run on a diverged run's numbers
    const statement = html.match(/var data = JSON\.parse\(document\.getElementById\('why-data'\)\.textContent[^\n]*;/)![0];
    const embedded = scriptJson({ loss: [0.5, NaN], up: Infinity, down: -Infinity, name: 'none' });
    const document = { getElementById: (id: string) => (id === 'why-data' ? { textContent: embedded } : null) };
    const data = runInNewContext(`${statement} data`, { document });
    assert.ok(Number.isNaN(data.loss[1]), `loss[1] is ${JSON.stringify(data.loss[1])}, not NaN`);
    assert.equal(data.up, Infinity);
    assert.equal(data.down, -Infinity);
    assert.equal(data.name, 'none');
  });

  test('the findings and the closing note are on the page, escaped', () => {
    for (const f of findings.list) assert.ok(html.includes(escapeHtml(f.title)), f.title);
    for (const s of findings.closing) assert.ok(html.includes(escapeHtml(s)));
    assert.equal(escapeHtml('<a href="x">&'), '&lt;a href=&quot;x&quot;&gt;&amp;');
  });

  test('several seeds: the accuracy chart shows the range over seeds', () => {
    const two = { ...study, options: { ...study.options, seeds: [1, 2] } };
    const bars = studyCharts(two).find((c) => c.id === 'accuracy-by-transform')!;
    const labels = (bars.config.data.datasets as { label: string }[]).map((d) => d.label);
    assert.ok(
      labels.some((l) => /lowest–highest seed/.test(l)),
      labels.join(' | '),
    );
  });
});

describe('terminal summary', () => {
  test('a row per run key, the reparametrisation table and every finding', () => {
    const study = syntheticStudy();
    const findings = deriveFindings(study);
    const text = studySummary(study, findings, { color: false, width: 100 });
    assert.match(text, /normlab why — fashion-mnist/);
    for (const s of study.summaries) assert.ok(text.includes(s.transform), s.key);
    assert.match(text, /Reparametrisation check/);
    findings.list.forEach((f, i) => assert.ok(text.replace(/\n\s+/g, ' ').includes(`${i + 1}. ${f.title} [${f.verdict}]`), f.title));
    // the answer first, the claims, the reply
    assert.ok(
      text.indexOf('The answer') < text.indexOf('Claims checked') && text.indexOf('Claims checked') < text.indexOf('1. '),
      'the answer and the claims come first',
    );
    assert.match(text, /Reply to the forum:/);
    assert.match(text, /In short:/);
    for (const line of text.split('\n')) assert.ok(line.length <= 100 || line.includes('│') || line.includes('─'), `line too long: ${line}`);
  });
});
