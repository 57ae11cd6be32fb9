/**
 * Flag checks that must happen before any work (issue 10, bug 8): `why` and `exercise` refuse an unknown
 * --backend before loading data or planning runs, and `exercise` names the MNIST/Fashion-MNIST mix-up
 * for what it is, with a hint that fits the command (it has no --dataset flag).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MNIST_TEST_DIR, NO_MNIST } from '../shared-data.js';
import { runCli } from './helpers.js';

const flagError = /^normlab: error: option '--backend <name>' argument 'cuda' is invalid: expected one of: [^\n]+\n {2}Try: [^\n]+\n$/;

describe('--backend is checked before any data is loaded', () => {
  for (const args of [
    ['why', '--quick', '--backend', 'cuda'],
    ['exercise', '1', '--quick', '--backend', 'cuda'],
  ]) {
    it(args.join(' '), () => {
      // A dataset folder that does not exist: had the data been touched first, that would be the error.
      const r = runCli([...args, '--data-dir', '/nonexistent-normlab-data']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, flagError);
    });
  }
});

describe('normlab exercise and the MNIST/Fashion-MNIST mix-up', () => {
  it('MNIST digits in --data-dir are named as the mix-up, with a hint about --data-dir only', { skip: NO_MNIST }, () => {
    const r = runCli(['exercise', '1', '--quick', '--data-dir', MNIST_TEST_DIR]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /are the MNIST digits test split, not Fashion-MNIST/);
    assert.doesNotMatch(r.stderr, /holds only the test split/, 'not reported as a missing train split');
    assert.doesNotMatch(r.stderr, /--dataset/, 'exercise has no --dataset flag');
    assert.match(r.stderr, /Try: the exercises run on Fashion-MNIST: point --data-dir at its files/);
  });
});
