/**
 * `normlab why --quick` from source: it writes why.json and why.html, prints the terminal summary, and
 * with --json the last stdout line is the whole result (valid JSON, every number, the findings).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { NO_FASHION } from '../shared-data.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const out = mkdtempSync(join(tmpdir(), 'normlab-why-'));
after(() => rmSync(out, { recursive: true, force: true }));

function why(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'why', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
}

describe('normlab why --quick', { timeout: 300_000, skip: NO_FASHION }, () => {
  test('main + reparam runs: JSON on stdout, why.json and why.html on disk, the summary on stderr', () => {
    const r = why(['--quick', '--runs', 'main,reparam', '--json', '--out', out, '--workers', '2']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const result = JSON.parse(lines[lines.length - 1]);
    assert.equal(result.tool, 'normlab why');
    assert.equal(result.dataset.name, 'fashion-mnist');
    assert.equal(result.dataset.verified, true);
    assert.equal(result.options.quick, true);
    assert.equal(result.summaries.filter((s: { group: string }) => s.group === 'main').length, 4);
    assert.deepEqual(result.options.seeds, [1, 2], '--quick: 2 seeds');
    // the reparametrisation check, as measured numbers
    assert.equal(result.reparam.length, 4);
    for (const c of result.reparam) {
      assert.equal(typeof c.initialMaxAbsDiff, 'number');
      assert.equal(typeof c.lossMaxAbsDiff, 'number');
      assert.equal(typeof c.finalMaxAbsDiff, 'number');
      assert.equal(c.passed, true, JSON.stringify({ ...c, lossDiffCurve: undefined }));
      if (c.dtype === 'float64') assert.ok(c.lossMaxAbsDiff < 1e-9 && c.finalMaxAbsDiff < 1e-9);
    }
    assert.ok(result.findings.list.length >= 4);
    assert.ok(result.findings.closing.length >= 2);
    assert.equal(result.sameInitialWeights.relu, true);
    // files
    const onDisk = JSON.parse(readFileSync(join(out, 'why.json'), 'utf8'));
    assert.deepEqual(onDisk.reparam, result.reparam);
    assert.ok(existsSync(join(out, 'why.html')));
    const html = readFileSync(join(out, 'why.html'), 'utf8');
    assert.ok(!/<script[^>]+src=/.test(html) && !/<link[^>]+href=/.test(html), 'no external scripts or styles');
    assert.match(html, /Chart\.js v4/);
    // the summary went to stderr because stdout carries the JSON
    assert.match(r.stderr, /Reparametrisation check/);
    assert.match(r.stderr, /In short:/);
  });

  test('bad flags are refused with a reason', () => {
    const r = why(['--runs', 'nosuchrun', '--quick', '--out', out]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no run of the study matches --runs nosuchrun/);
    const e = why(['--epochs', '0']);
    assert.equal(e.status, 2);
    assert.match(e.stderr, /expected a whole number between 1 and 100/);
    // A limit only the study's schema knows (src/lab/study/options.ts) is named by its flag, before any work.
    const sweep = why(['--sweep', Array(21).fill('1e-4').join(','), '--out', out]);
    assert.equal(sweep.status, 2);
    assert.match(sweep.stderr, /normlab: error: invalid study options: --sweep: .*<=20 items/);
    const file = join(out, 'not-a-dir');
    writeFileSync(file, 'x');
    const o = why(['--quick', '--out', file]);
    assert.equal(o.status, 2);
    assert.match(o.stderr, /--out .*not-a-dir is a file, not a directory/);
    assert.doesNotMatch(o.stderr, /at .*\.ts:\d+/, 'no stack trace');
    const d = why(['--dataset', 'fashion-mnst', '--quick']);
    assert.equal(d.status, 2);
    assert.match(d.stderr, /did you mean fashion-mnist\?/);
  });

  test('--seeds 2: every comparison run twice, the spread reported in the summaries and the findings', () => {
    const dir = join(out, 'seeds');
    const r = why(['--quick', '--runs', 'main', '--seeds', '2', '--json', '--out', dir, '--workers', '2']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const result = JSON.parse(lines[lines.length - 1]);
    assert.deepEqual(result.options.seeds, [1, 2]);
    assert.equal(result.runs.length, 8);
    for (const s of result.summaries) {
      assert.deepEqual(s.seeds, [1, 2]);
      assert.equal(s.testAcc.values.length, 2);
      const [a, b] = s.testAcc.values;
      assert.ok(Math.abs(s.testAcc.std - Math.abs(a - b) / Math.SQRT2) < 1e-12, 'sample std of two values');
      assert.equal(s.testAcc.min, Math.min(a, b));
    }
    // different seeds: different initial weights
    const hashes = new Set(
      result.runs
        .filter((x: { spec: { key: string } }) => x.spec.key === 'relu·scale·adam·f32')
        .map((x: { initialWeightsHash: string }) => x.initialWeightsHash),
    );
    assert.equal(hashes.size, 2);
    assert.match(JSON.stringify(result.findings.list), /2 seeds/);
  });

  test('the whole quick study: findings curvature, input-spectrum, ablation, loss-form, claims; the answer, claims and reply in HTML', () => {
    const dir = join(out, 'all');
    const r = why(['--quick', '--json', '--out', dir, '--workers', '2']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const result = JSON.parse(lines[lines.length - 1]);
    const ids = result.findings.list.map((f: { id: string }) => f.id);
    for (const id of ['curvature', 'input-spectrum', 'ablation', 'loss-form', 'claims']) assert.ok(ids.includes(id), `finding ${id}: ${ids}`);
    for (const f of result.findings.list) assert.ok(f.verdict && f.sentences.length && f.numbers, f.id);
    assert.ok(result.findings.answer.length >= 3 && result.findings.answer.length <= 5);
    assert.equal(result.findings.claims.length, 6);
    assert.ok(result.curvature.length >= 4 && result.spectrum.rows.length >= 2 && result.ablation.length >= 6 && result.lossForm.length >= 2);
    const curvature = result.findings.list.find((f: { id: string }) => f.id === 'curvature');
    assert.match(curvature.sentences[0], /Raw SGD at lr 0\.01 starts [\d.]+× over its stability limit/);
    assert.ok(curvature.numbers.rawLambdaMaxInit > curvature.numbers.scaledLambdaMaxInit * 100, 'raw pixels make the surface far sharper');
    const html = readFileSync(join(dir, 'why.html'), 'utf8');
    assert.ok(html.indexOf('The answer') < html.indexOf('Claims checked'));
    assert.match(html, /id="copy-reply"/);
    assert.match(html, /<svg[^>]+data-plane="none"/);
    assert.match(r.stderr, /The answer:/);
    assert.match(r.stderr, /Claims checked:/);
  });
});
