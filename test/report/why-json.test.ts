/**
 * why.json read back (src/report/why-json.ts): what normlab writes opens; anything else — not JSON, another
 * tool's file, a damaged field, a bad run key — is one WhyJsonError line, never a TypeError from a renderer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deriveFindings } from '../../src/report/findings.js';
import { parseWhyJson, WhyJsonError } from '../../src/report/why-json.js';
import { stringifyJson } from '../../src/util/json.js';
import { syntheticStudy } from '../lab/synthetic.js';

const study = syntheticStudy();
const written = JSON.parse(stringifyJson({ ...study, findings: deriveFindings(study) })) as Record<string, unknown>;
const text = (value: unknown) => JSON.stringify(value);
const edit = (change: (copy: Record<string, any>) => void): string => {
  const copy = structuredClone(written) as Record<string, any>;
  change(copy);
  return text(copy);
};

function refused(input: string, why: RegExp): void {
  assert.throws(
    () => parseWhyJson(input),
    (e: unknown) => {
      assert.ok(e instanceof WhyJsonError, `expected a WhyJsonError, got ${String(e)}`);
      assert.match(e.message, why);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    },
  );
}

describe('why.json read back', () => {
  test('what normlab writes opens, NaN and findings included', () => {
    const { study: back, findings } = parseWhyJson(text(written));
    assert.equal(back.runs.length, study.runs.length);
    assert.deepEqual(
      back.summaries.map((s) => s.key),
      study.summaries.map((s) => s.key),
    );
    assert.ok(
      back.summaries.some((s) => Number.isNaN(s.testAcc.lo)),
      'NaN written as "NaN" reads back as NaN',
    );
    assert.deepEqual(findings.answer, deriveFindings(study).answer);
  });

  test('a why.json without findings gets them derived from its numbers', () => {
    const { findings } = parseWhyJson(edit((c) => delete c.findings));
    assert.deepEqual(findings.answer, deriveFindings(study).answer);
  });

  test('not JSON, or not a why.json', () => {
    refused(text(written).slice(0, 5000), /^this is not JSON \(/);
    refused('null', /not a why\.json written by normlab why/);
    refused('[1, 2]', /not a why\.json written by normlab why/);
    refused(text({ tool: 'tensorboard' }), /not a why\.json written by normlab why/);
  });

  test('damaged fields are named, at most three of them', () => {
    refused(
      edit((c) => (c.version = 2)),
      /damaged or from another version: version: expected version 1/,
    );
    refused(
      edit((c) => (c.summaries[0].testAcc = 'high')),
      /summaries\.0\.testAcc: .*got "high"/,
    );
    refused(
      edit((c) => (c.runs[1].probes = null)),
      /runs\.1\.probes: /,
    );
    refused(
      edit((c) => (c.runs[0].spec.key = 'relu·nonee·adam·f32')),
      /runs\.0\.spec\.key: 'relu·nonee·adam·f32' is not a study run key: transform/,
    );
    refused(
      edit((c) => {
        for (const s of c.summaries) s.label = 7;
      }),
      /summaries\.0\.label: .*; summaries\.1\.label: .*; summaries\.2\.label: .* \(and \d+ more\)$/,
    );
    refused(
      edit((c) => (c.findings.list = 'none')),
      /findings are damaged: list: /,
    );
  });

  test('parts added to the study later default to empty in an older file', () => {
    const { study: back } = parseWhyJson(
      edit((c) => {
        delete c.lossForm;
        delete c.planes;
        delete c.spectrum;
        delete c.findings;
      }),
    );
    assert.deepEqual(back.lossForm, []);
    assert.deepEqual(back.planes, []);
    assert.equal(back.spectrum, null);
  });
});
