/**
 * The hostile and broken corpus (test/grader/corpus/): every case is graded in its own sandbox on the
 * MNIST test split and must get its expected status, score and message. Afterwards no process of the
 * session may be alive and nothing may have been written outside the sandbox.
 *
 * Runs two at a time, as `normlab grade DIR` does. Cases that are meant to hang get a 6 s wall-clock
 * limit; the training cases get 120 s (on the wasm backend they need 1–10 s each).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Grader } from '../../src/grader/grade.js';
import type { RunStatus, SubmissionResult } from '../../src/grader/types.js';
import { corpusCopy, MNIST_DIR, NO_MNIST, processesMentioning } from './helpers.js';

interface Expected {
  status: RunStatus;
  score: number;
  /** Tests that must fail (all others must pass when the score says so). */
  failing?: string[];
  /** Must all match somewhere in the status message, a test message or a note. */
  says?: RegExp[];
  /** Needs the short time limit. */
  hangs?: boolean;
}

const ALL = ['fit-epochs', 'stopped-by-callback', 'accuracy', 'message', 'history', 'stop-flag', 'given-data'];
const EXPECTED: Record<string, Expected> = {
  'syntax-error.ts': { status: 'compile-error', score: 0, says: [/does not compile: line 5, column \d+: '\)' expected/, /5 \|/] },
  'type-error.ts': {
    status: 'runtime-error',
    score: 1,
    failing: ALL.filter((t) => t !== 'given-data'),
    says: [/epochs must be a whole number/, /Expected: 10, but got: "10"/, /not a string/, /TypeScript type error at line 4.*not assignable to type 'number'/],
  },
  'throws.js': {
    status: 'runtime-error',
    score: 0,
    says: [/threw an error in trainMnist: Error: I do not know how to build the model yet, at throws\.js line 4/],
  },
  'missing-export.js': { status: 'missing-export', score: 0, says: [/does not export a function named trainMnist.*trainMNIST: did you mean trainMnist\?/] },
  'never-fits.ts': { status: 'completed', score: 0, says: [/model\.fit was never called/, /returned the model/] },
  'fit-twice.ts': { status: 'completed', score: 9, failing: ['fit-epochs'], says: [/model\.fit was called 2 times \(epochs: 1, then 10\)/, /epochs add up/] },
  'epochs-8.ts': {
    status: 'completed',
    score: 9,
    failing: ['fit-epochs'],
    says: [/model was not originally set to train for 10 epochs\. Expected: 10, but got: 8\./, /not the number of epochs that ran/],
  },
  'epochs-100.js': { status: 'completed', score: 9, failing: ['fit-epochs'], says: [/Expected: 10, but got: 100\./] },
  'never-stops.js': {
    status: 'completed',
    score: 3,
    failing: ['stopped-by-callback', 'accuracy', 'message', 'stop-flag'],
    says: [
      /model trained for more than 8 epochs\. Expected: a maximum of 8 epochs, but got: 10\./,
      /stopTraining was never set to true/,
      /never passed 0\.99 .*best: 0\.9\d+ at epoch \d+/,
    ],
  },
  'threshold-99.ts': {
    status: 'completed',
    score: 5,
    failing: ['stopped-by-callback', 'message', 'stop-flag'],
    says: [/Expected: a maximum of 8 epochs, but got: 10/, /first passed 0\.99 at epoch \d/, /Line 6 compares with 99 .*99% is 0\.99/],
  },
  'threshold-low.ts': {
    status: 'completed',
    score: 4,
    failing: ['stopped-by-callback', 'accuracy', 'message'],
    says: [
      /Expected: above 0\.99, but got: 0\.9\d+/,
      /compares with 0\.9 .*90% accuracy/,
      /stopped training in your onEpochEnd callback \(epoch \d\), but training accuracy had not passed 0\.99/,
      /line \d+ compares with 0\.9, not 0\.99/,
    ],
  },
  'misspelled-flag.ts': {
    status: 'completed',
    score: 5,
    failing: ['stopped-by-callback', 'message', 'stop-flag'],
    says: [/you set `stopTraning` \(line 8\); did you mean `stopTraining`\?/, /first passed 0\.99 at epoch \d/, /more than 8 epochs/],
  },
  'wrong-log-key.js': {
    status: 'completed',
    score: 5,
    failing: ['stopped-by-callback', 'message', 'stop-flag'],
    says: [/Your callback read logs\.accuracy/, /logs\.accuracy does not exist: the keys fit passes are loss, acc/, /read logs\.acc instead/],
  },
  'callback-throws.ts': {
    status: 'runtime-error',
    score: 2,
    failing: ['stopped-by-callback', 'accuracy', 'message', 'history', 'stop-flag'],
    says: [/in your onEpochEnd callback \(epoch 1\): TypeError: .*toFixed/, /It read logs\.accuracy, which does not exist \(the logs have: loss, acc\)/],
  },
  'other-data.ts': {
    status: 'completed',
    score: 7,
    failing: ['accuracy', 'given-data'],
    says: [/different data: 2000 samples of shape \[28,28\], but trainMnist was given 10000/],
  },
  'returns-record.js': { status: 'completed', score: 9, failing: ['history'], says: [/returned history\.history/] },
  'good-object-callback.js': { status: 'completed', score: 10 },
  'infinite-loop.js': { status: 'timeout', score: 0, hangs: true, says: [/longer than the 6 s time limit/] },
  'busy-callback.ts': {
    status: 'timeout',
    score: 2,
    hangs: true,
    failing: ['stopped-by-callback', 'accuracy', 'message', 'history', 'stop-flag'],
    says: [/while it was running your onEpochEnd callback \(epoch 1\)/],
  },
  'memory-bomb.js': { status: 'memory-limit', score: 0, says: [/memory/] },
  'spawns-process.js': { status: 'sandbox-violation', score: 0, says: [/tried to start another process at spawns-process\.js line 5/] },
  'never-settles.js': { status: 'exited-early', score: 0, says: [/trainMnist never finished: it waited for a promise that nothing resolves/] },
  'exits-early.js': { status: 'exited-early', score: 0, says: [/called process\.exit\(0\) at exits-early\.js line 4.*before trainMnist returned/] },
  'fake-results.js': { status: 'completed', score: 0, says: [/looks like a grader's results JSON.*ignored/, /printed, but not by your callback/] },
  'forges-channel.js': { status: 'tampered', score: 0, says: [/private channel/] },
  'reads-grader.js': { status: 'sandbox-violation', score: 0, says: [/tried to read a file .*solution\.ts/] },
  'network.js': { status: 'sandbox-violation', score: 0, says: [/tried to use the network \(connect to example\.com:80\)/] },
  'writes-outside.js': {
    status: 'sandbox-violation',
    score: 0,
    says: [/tried to write a file outside its own working folder \(\/tmp\/normlab-corpus-pwned\.txt\)/],
  },
  'floods-stdout.js': { status: 'output-limit', score: 0, says: [/printed more than 1024 KiB/] },

  // ---- issue 9: wrong verdicts (each failed before its fix) ----
  // 1. the working folder is writable as root, and its size cap is what stops a flood of files
  'saves-model.js': {
    status: 'completed',
    score: 10,
    says: [/Printed "Reached 99% accuracy so cancelling training!" in your onEpochEnd callback \(epoch \d\), where it stopped training/],
  },
  'fills-folder.js': { status: 'disk-limit', score: 0, says: [/filled its 64 MiB working folder/] },
  // 2. a refused attempt is recorded even when the submission catches it (policy zero: score 0)
  'caught-read.js': {
    status: 'sandbox-violation',
    score: 0,
    failing: ALL,
    says: [
      /tried to read a file outside what the sandbox shows it \(\/etc\/passwd\) at caught-read\.js line \d+ .*caught the refusal/,
      /without it: completed, 10\/10/,
      /INTEGRITY FLAG: 1 refused attempt/,
    ],
  },
  'caught-exec.ts': {
    status: 'sandbox-violation',
    score: 0,
    failing: ALL,
    says: [/tried to start another process \(cat \/etc\/hostname\) at caught-exec\.ts line 7/, /INTEGRITY FLAG/],
  },
  'caught-solution.js': {
    status: 'sandbox-violation',
    score: 0,
    failing: ALL,
    says: [/tried to read a file .*assignments\/callbacks\/solution\.ts\) at caught-solution\.js line 6/],
  },
  'signals-parent.js': { status: 'sandbox-violation', score: 0, failing: ALL, says: [/tried to send a signal to another process \(process\.kill\(1\)\)/] },
  'create-require.js': {
    status: 'sandbox-violation',
    score: 0,
    says: [/tried to load a module with require \(module\.createRequire\(\)\) at create-require\.js line 5/],
  },
  'inspector-session.js': {
    status: 'sandbox-violation',
    score: 0,
    says: [/tried to open the inspector \(inspector\.Session\) at inspector-session\.js line 6 .*caught the refusal/],
  },
  'worker-eval.js': { status: 'sandbox-violation', score: 0, says: [/tried to start a worker thread .*at worker-eval\.js line 6 .*caught the refusal/] },
  'process-binding.js': {
    status: 'sandbox-violation',
    score: 0,
    says: [/tried to use Node's internal bindings \(process\.binding\('fs'\)\) at process-binding\.js line 3/],
  },
  // 3. code built from a string: data: URLs (dynamic and static) and node:vm
  'data-url-import.js': {
    status: 'sandbox-violation',
    score: 0,
    failing: ALL,
    says: [/tried to run code built from a string \(import\(\) of a data: URL\) at data-url-import\.js line 7/],
  },
  'static-data-import.js': { status: 'sandbox-violation', score: 0, says: [/imports code from a URL \(line 2: 'data:text\/javascript,/, /was not run/] },
  'vm-eval.js': {
    status: 'sandbox-violation',
    score: 0,
    failing: ALL,
    says: [/tried to run code built from a string \(vm\.runInThisContext\) at vm-eval\.js line 7/],
  },
  // 4. the message counts only when printed inside the hook call that stopped training (by call stack)
  'interval-print.js': {
    status: 'completed',
    score: 9,
    failing: ['message'],
    says: [/printed while your onEpochEnd callback \(epoch \d\) was waiting, but by code outside that call/],
  },
  'forged-stack.js': { status: 'completed', score: 9, failing: ['message'], says: [/by code outside that call \(a timer or a promise callback\)/] },
  'train-end-print.ts': {
    status: 'completed',
    score: 9,
    failing: ['message'],
    says: [/printed in your onTrainEnd callback .*but training was stopped in your onEpochEnd callback \(epoch \d\): print it in that same call/],
  },
  'interval-stop.js': {
    status: 'completed',
    score: 5,
    failing: ['stopped-by-callback', 'message', 'stop-flag'],
    says: [/stopTraining was set to true while your onEpochEnd callback \(epoch \d\) was waiting, by code outside that call/],
  },
  // 5. a stop only counts after the accuracy crossing
  'stops-epoch-1.js': {
    status: 'completed',
    score: 4,
    failing: ['stopped-by-callback', 'accuracy', 'message'],
    says: [
      /stopped training in your onEpochEnd callback \(epoch 1\), but training accuracy had not passed 0\.99/,
      /set model\.stopTraining without checking the accuracy \(it never read logs\.acc\)/,
    ],
  },
  'batch-stop-low.ts': {
    status: 'completed',
    score: 4,
    failing: ['stopped-by-callback', 'accuracy', 'message'],
    says: [
      /in your onBatchEnd callback \(epoch 1, batch \d+\), but the accuracy there was 0\.\d+ for that one batch and 0\.\d+ for the epoch so far/,
      /stopped training in onBatchEnd .*where logs\.acc is the accuracy of that one batch/,
      /compares with 0\.69/,
    ],
  },
  // 6. multi-byte characters on the channel
  'multibyte-output.js': { status: 'completed', score: 10 },
  // 10. no environment variables at all
  'env-check.js': { status: 'completed', score: 10 },
  // 11. formatting a thrown value never runs the submission's code
  'throws-looping-getters.js': {
    status: 'runtime-error',
    score: 0,
    hangs: true,
    says: [/threw an error in trainMnist: Error: an object was thrown \(not an Error\)/],
  },
  'throws-throwing-proxy.js': { status: 'runtime-error', score: 0, says: [/a Proxy object was thrown \(the grader does not look inside it\)/] },

  // ---- issue 9: feedback that misled ----
  'returns-proxy.js': {
    status: 'runtime-error',
    score: 9,
    failing: ['history'],
    says: [
      /The value trainMnist returned threw when it was read \(returns-proxy\.js line \d+ \(in trainMnist\) returns an object whose property lookup runs code/,
    ],
  },
  'no-metrics.js': {
    status: 'completed',
    score: 3,
    failing: ['stopped-by-callback', 'accuracy', 'message', 'stop-flag'],
    says: [/logs\.acc does not exist: the logs have only loss, because the model was compiled without metrics\. Compile it with metrics: \['accuracy'\]/],
  },
  'const-threshold-99.ts': {
    status: 'completed',
    score: 3,
    failing: ['stopped-by-callback', 'accuracy', 'message', 'stop-flag'],
    says: [/Line 8 compares with TARGET_ACCURACY, which is 99 \(line 4\)/, /99% is 0\.99/],
  },
  'python-self.js': {
    status: 'runtime-error',
    score: 2,
    failing: ['stopped-by-callback', 'accuracy', 'message', 'history', 'stop-flag'],
    says: [
      /in your onEpochEnd callback \(epoch 1\): TypeError: Cannot read properties of undefined \(reading 'acc'\)/,
      /Line 5: onEpochEnd\(self, epoch, logs\) takes Python's `self`; fit calls onEpochEnd\(epoch, logs\), so the arguments are shifted/,
    ],
  },
  'missing-await.js': {
    status: 'completed',
    score: 10,
    says: [/line \d+ calls model\.fit without await: it worked only because trainMnist returned that promise/],
  },
  'missing-await-read.js': {
    status: 'runtime-error',
    score: 2,
    failing: ['stopped-by-callback', 'accuracy', 'message', 'history', 'stop-flag'],
    says: [/TypeError: Cannot read properties of undefined \(reading 'acc'\).* Line 7 calls model\.fit without await: fit returns a Promise/],
  },
  'arrow-this.js': {
    // (accuracy had passed 0.99 in the epoch whose hook then threw, so the accuracy test is scored)
    status: 'runtime-error',
    score: 4,
    failing: ['stopped-by-callback', 'message', 'history', 'stop-flag'],
    says: [
      /in your onEpochEnd callback \(epoch \d\): TypeError: Cannot read properties of undefined \(reading 'model'\)/,
      /Line 8: onEpochEnd is an arrow function, and inside an arrow function `this` is not your callback object/,
    ],
  },
  'double-equals.js': {
    status: 'completed',
    score: 5,
    failing: ['stopped-by-callback', 'message', 'stop-flag'],
    says: [/Line 11 \(`this\.model\.stopTraining == true`\) compares instead of assigning/],
  },
  'early-stopping.js': {
    status: 'completed',
    score: 3,
    failing: ['stopped-by-callback', 'accuracy', 'message', 'stop-flag'],
    says: [
      /is tf\.callbacks\.earlyStopping\(\{monitor: 'acc', patience: 0, baseline: 0\.99\}\)\. It stops training when 'acc' has stopped improving/,
      /it does not stop because accuracy passed 0\.99, and it prints nothing/,
      /Only tf\.callbacks\.earlyStopping set model\.stopTraining/,
    ],
  },
  'tiny-model.ts': {
    status: 'completed',
    score: 3,
    failing: ['stopped-by-callback', 'accuracy', 'message', 'stop-flag'],
    says: [
      /never passed 0\.99 in the 10 epochs trained \(best: 0\.9\d+ at epoch \d+\)/,
      /Likely cause: the model is too small .*8 hidden units/,
      /line 8 \(`this\.model\.stopTraining = true`\) never ran, because its condition never became true/,
    ],
  },
  'raw-pixels.js': {
    status: 'completed',
    score: 3,
    failing: ['stopped-by-callback', 'accuracy', 'message', 'stop-flag'],
    says: [/never passed 0\.99 .*best: 0\.\d+ at epoch \d+/, /Likely cause: the images went into fit as raw 0–255 pixel values\. Divide them by 255/],
  },
  'slow-training.js': {
    status: 'timeout',
    score: 2,
    hangs: true,
    failing: ['stopped-by-callback', 'accuracy', 'message', 'history', 'stop-flag'],
    says: [/The run took longer than the 6 s time limit and was stopped, during model\.fit \(training epoch 1 of 10\)\./],
  },
  'loops-before-fit.js': { status: 'timeout', score: 0, hangs: true, says: [/stopped, in trainMnist before model\.fit was called/] },
  'loops-at-load.js': { status: 'timeout', score: 0, hangs: true, says: [/stopped, while the file was loading \(its top-level code\)/] },
};

function everything(r: SubmissionResult): string {
  return [r.statusMessage, ...r.tests.map((t) => t.message), ...r.notes, r.integrity.summary].join('\n');
}

describe('grader: the hostile and broken corpus', { timeout: 900_000, skip: NO_MNIST }, () => {
  const { files } = corpusCopy(Object.keys(EXPECTED));
  const results = new Map<string, SubmissionResult>();
  const sessions: string[] = [];

  before(async () => {
    const common = { dataDir: MNIST_DIR, split: 'test' as const, typeCheck: true };
    const hostile = await Grader.open({ ...common, limits: { timeoutS: 6, memoryMB: 512 } });
    const training = await Grader.open({ ...common, limits: { timeoutS: 120 } });
    sessions.push(hostile.scratch, training.scratch);
    try {
      const short = files.filter((f) => EXPECTED[f.name].hangs);
      const long = files.filter((f) => !EXPECTED[f.name].hangs);
      // One queue per session, sharing two slots.
      await Promise.all([hostile.gradeAll(short, 1, (r) => results.set(r.submission, r)), training.gradeAll(long, 1, (r) => results.set(r.submission, r))]);
    } finally {
      hostile.close();
      training.close();
    }
  });

  it('has at least 60 cases, each graded', () => {
    assert.ok(files.length >= 60, `only ${files.length} cases`);
    assert.deepEqual([...results.keys()].sort(), files.map((f) => f.name).sort());
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: ${want.status}, ${want.score}/10`, () => {
      const r = results.get(name);
      assert.ok(r, `${name} was not graded`);
      const context = `\n${name}: ${r.status} ${r.score}/${r.maxScore}\n${everything(r)}`;
      assert.equal(r.status, want.status, context);
      assert.equal(r.maxScore, 10);
      assert.equal(r.score, want.score, context);
      if (want.failing)
        assert.deepEqual(
          r.tests.filter((t) => !t.passed).map((t) => t.id),
          want.failing,
          context,
        );
      for (const pattern of want.says ?? []) assert.match(everything(r), pattern, context);
      for (const t of r.tests) assert.ok(t.message.trim().length > 0, `${name}/${t.id} has no message`);
      assert.equal(r.sandbox.leakedProcesses, 0, `${name} left processes behind`);
      // every refused attempt is flagged, and nothing else is (the engine's own file reads are not attempts)
      assert.equal(r.integrity.violations.length > 0, want.status === 'sandbox-violation', `${name}: integrity ${JSON.stringify(r.integrity)}`);
    });
  }

  it('the reference solution text never reached the submission that tried to read it', () => {
    const r = results.get('reads-grader.js')!;
    assert.doesNotMatch(r.output.stdout, /Reference solution/);
  });

  it('nothing was written outside the sandbox', () => {
    assert.equal(existsSync('/tmp/normlab-corpus-pwned.txt'), false);
  });

  it('no process of either grading session is still alive', () => {
    for (const s of sessions) assert.deepEqual(processesMentioning(s), []);
  });

  after(() => {
    // Diagnostic for whoever reads the test log: the corpus, its verdicts and the time per submission.
    const rows = [...results.values()].sort((a, b) => a.submission.localeCompare(b.submission));
    for (const r of rows)
      console.log(`# ${r.submission.padEnd(24)} ${r.status.padEnd(17)} ${String(r.score).padStart(2)}/${r.maxScore}  ${r.seconds.toFixed(1)} s`);
  });
});
