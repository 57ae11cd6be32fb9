/**
 * Output formats, on a hand-made result: Gradescope's results.json fields, the CSV (quoting, and cells
 * that a spreadsheet would run as formulas), and the text report's shape.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatText, toCsv, toGradescope } from '../../src/grader/report.js';
import { GradescopeResultsSchema } from './gradescope-spec.js';
import type { SubmissionResult } from '../../src/grader/types.js';

function result(over: Partial<SubmissionResult> = {}): SubmissionResult {
  return {
    submission: 'bob/train-mnist.ts',
    file: '/x/bob/train-mnist.ts',
    assignment: 'callbacks',
    status: 'completed',
    statusMessage: 'trainMnist returned after 2.0 s.',
    score: 1.5,
    maxScore: 3,
    tests: [
      { id: 'fit-epochs', name: 'model.fit is set to train for 10 epochs', score: 1.5, maxScore: 1.5, passed: true, message: 'fit was asked for 10 epochs.' },
      {
        id: 'history',
        name: 'returns the History',
        score: 0,
        maxScore: 1.5,
        passed: false,
        message: 'trainMnist returned nothing.\nEnd it with: return history;',
      },
    ],
    run: {
      fitCalls: 1,
      epochs: [{ call: 1, epoch: 1, acc: 0.9, loss: 0.3, seconds: 1, marks: ['accuracy passed 0.99'] }],
      ending: 'All 1 epochs ran.',
      epochsAsked: '10',
      epochsTrained: 1,
      finalAccuracy: 0.9,
    },
    notes: [],
    integrity: { policy: 'zero', violations: [], summary: '' },
    output: { stdout: '', stderr: '', bytes: 0 },
    sandbox: { wallSeconds: 2, peakRssMB: 80, exitCode: 0, signal: null, isolation: [], leakedProcesses: 0 },
    seconds: 2.5,
    ...over,
  };
}

describe('grader reports', () => {
  it('gradescope: score, and one test per check with name, score, max_score, status, output', () => {
    const gs = toGradescope(result()) as { score: number; tests: Record<string, unknown>[] };
    // Valid by Gradescope's specification (execution_time in whole seconds: 2.5 s → 3).
    const spec = GradescopeResultsSchema.safeParse(gs);
    assert.ok(spec.success, spec.error?.message);
    assert.equal((gs as { execution_time?: number }).execution_time, 3);
    assert.equal(gs.score, 1.5);
    assert.deepEqual(gs.tests[1], {
      name: 'returns the History',
      number: '2',
      score: 0,
      max_score: 1.5,
      status: 'failed',
      output: 'trainMnist returned nothing.\nEnd it with: return history;',
      visibility: 'visible',
    });
  });

  it('csv: one header, one row per submission, quoted where needed, formulas defused', () => {
    const csv = toCsv([result(), result({ submission: '=HYPERLINK("x"),a.ts', statusMessage: 'said "hi", then\nleft' })])
      .trim()
      .split('\n');
    assert.equal(
      csv[0],
      'submission,status,score,max_score,fit-epochs,history,epochs_asked,epochs_trained,first_epoch_above,final_accuracy,seconds,message,integrity,report',
    );
    assert.equal(csv[1], 'bob/train-mnist.ts,completed,1.50,3,1.50,0,10,1,,0.9000,2.50,trainMnist returned after 2.0 s.,,');
    assert.ok(csv[2].startsWith(`"'=HYPERLINK(""x""),a.ts",`), csv[2]);
    assert.ok(csv[2].endsWith(',"said ""hi"", then",,'), csv[2]);
  });

  it('text: verdict line, failing tests with every message line, the run table, the ending', () => {
    const text = formatText(result());
    assert.match(text, /^bob\/train-mnist\.ts: 1\.50\/3 — trainMnist returned after 2\.0 s\./);
    assert.match(
      text,
      /✓ 1\.50\/1\.50 {2}model\.fit is set to train for 10 epochs\n {2}✗ 0\/1\.50 {2}returns the History\n {9}trainMnist returned nothing\.\n {9}End it with: return history;/,
    );
    assert.match(text, / {4}1 {4}0\.9000 {4}0\.3000 {3}← accuracy passed 0\.99/);
    assert.match(text, /All 1 epochs ran\./);
  });

  it('an integrity flag shows in every format: text, gradescope (a 0-point row), csv', () => {
    const flagged = result({
      integrity: {
        policy: 'flag',
        violations: [{ permission: 'FileSystemRead', what: 'read a file outside what the sandbox shows it (/etc/passwd)', where: 'x.js line 4' }],
        summary:
          'INTEGRITY FLAG: 1 refused attempt to read a file outside what the sandbox shows it (/etc/passwd) at x.js line 4; scored as usual (--on-violation flag); review it.',
      },
    });
    assert.match(formatText(flagged), /INTEGRITY FLAG: 1 refused attempt .*\/etc\/passwd/);
    assert.match(formatText(flagged), /- tried to read a file outside .*at x\.js line 4/);
    const gs = toGradescope(flagged) as { tests: { name: string; max_score: number; status: string; output: string }[]; output: string };
    const row = gs.tests[gs.tests.length - 1];
    assert.equal(row.max_score, 0);
    assert.equal(row.status, 'failed');
    assert.match(row.output, /INTEGRITY FLAG/);
    assert.match(gs.output, /INTEGRITY FLAG/);
    const csv = toCsv([flagged], ['bob%2Ftrain-mnist.ts.txt']).trim().split('\n');
    assert.match(csv[1], /INTEGRITY FLAG: 1 refused attempt.*,bob%2Ftrain-mnist\.ts\.txt$/);
    assert.doesNotMatch(formatText(result()), /INTEGRITY/);
  });
});
