/**
 * The findings are written from the numbers: feed synthetic measurements and check that the words follow
 * them — including when a measurement contradicts the expected story.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deriveFindings, type Finding } from '../../src/report/findings.js';
import { syntheticStudy } from './synthetic.js';

const find = (list: Finding[], id: Finding['id']) => {
  const f = list.find((x) => x.id === id);
  assert.ok(f, `finding ${id} missing`);
  return f;
};
const text = (f: Finding) => f.sentences.join(' ');

describe('findings follow the measurements', () => {
  test('the expected story: quoted with its numbers', () => {
    const { list, closing } = deriveFindings(syntheticStudy());
    const outcome = find(list, 'outcome');
    assert.equal(outcome.verdict, 'as expected');
    assert.match(text(outcome), /do not learn at all: test accuracy 10\.0%/);
    assert.match(text(outcome), /still loses 4\.0 points: 82\.0% against 86\.0%/);
    const mech = find(list, 'mechanism');
    assert.match(text(mech), /255× larger \(mean \|z\| 128 vs 0\.5\)/);
    assert.match(text(mech), /88\.0% of the probe images already have a softmax maximum of exactly 1\.0/);
    // the gradient ratio beyond 255 is attributed to a measured quantity, the output error
    assert.match(text(mech), /700× larger .* the remaining 2\.75× from the backpropagated error .* mean ‖softmax − one-hot‖ is 1\.3 on raw inputs vs 0\.95 scaled/);
    const rep = find(list, 'reparametrisation');
    assert.equal(rep.verdict, 'as expected');
    assert.match(text(rep), /within the 1×10⁻⁹ tolerance/);
    assert.match(text(rep), /z = W·\(x\/255\) \+ b = \(W\/255\)·x \+ b/);
    assert.equal(find(list, 'precision').verdict, 'as expected');
    assert.equal(find(list, 'adam-sweep').verdict, 'mixed');
    assert.match(closing.join(' '), /takes SGD from 10\.0% to 84\.0% test accuracy and Adam from 82\.0% to 86\.0%/);
  });

  test('raw Adam catching up is reported as contradicting the story', () => {
    const { list } = deriveFindings(syntheticStudy({ acc: { 'relu·none·adam·f32': 0.861 } }));
    const outcome = find(list, 'outcome');
    assert.notEqual(outcome.verdict, 'as expected');
    assert.match(text(outcome), /caught up completely — 86\.1% against 86\.0%/);
    assert.match(text(outcome), /contradicts/);
    assert.equal(find(list, 'adam-sweep').verdict, 'contradicts the expected story');
  });

  test('raw SGD learning is reported, not explained away', () => {
    const { list } = deriveFindings(syntheticStudy({ acc: { 'relu·none·sgd·f32': 0.84 } }));
    assert.match(text(find(list, 'outcome')), /Contrary to the expected story, SGD with raw inputs did about as well/);
  });

  test('a failed reparametrisation check says so', () => {
    const { list, closing } = deriveFindings(syntheticStudy({ reparamDiff: { float64: 0.05, float32: 0.05 } }));
    const rep = find(list, 'reparametrisation');
    assert.equal(rep.verdict, 'contradicts the expected story');
    assert.match(text(rep), /NOT within the 1×10⁻⁹ tolerance/);
    assert.match(text(rep), /does not establish the equivalence/);
    assert.match(closing.join(' '), /did NOT reproduce the normalized runs in float64/);
  });

  test('float32: a drift no larger than rounding moves the normalized run itself counts as rounding; a larger one does not', () => {
    // the float32 reparametrised run drifts by 2e-3; the normalized run in float32 vs float64 by 3e-3
    const within = deriveFindings(syntheticStudy({ reparamDiff: { float64: 1e-15, float32: 2e-3 }, roundingDiff: 3e-3 }));
    const study = syntheticStudy({ reparamDiff: { float64: 1e-15, float32: 2e-3 }, roundingDiff: 3e-3 });
    const c32 = study.reparam.filter((c) => c.dtype === 'float32');
    assert.equal(c32.length, 2);
    for (const c of c32) {
      assert.ok(Math.abs(c.roundingReference!.lossMaxAbsDiff - 3e-3) < 1e-12);
      assert.equal(c.passed, true);
    }
    assert.equal(find(within.list, 'reparametrisation').verdict, 'as expected');
    assert.match(text(find(within.list, 'reparametrisation')), /computed in float32 instead of float64, moves its per-step losses by up to 3\.0×10⁻³/);

    const beyond = deriveFindings(syntheticStudy({ reparamDiff: { float64: 1e-15, float32: 5e-3 }, roundingDiff: 3e-3 }));
    const rep = find(beyond.list, 'reparametrisation');
    assert.equal(rep.verdict, 'mixed', 'float64 passes, float32 does not');
    assert.match(text(rep), /NOT within rounding: .* this difference is larger/);
  });

  test('float64 rescuing the raw run is reported', () => {
    const { list } = deriveFindings(syntheticStudy({ acc: { 'relu·none·sgd·f64': 0.8 } }));
    const p = find(list, 'precision');
    assert.equal(p.verdict, 'contradicts the expected story');
    assert.match(text(p), /float32 10\.0% vs float64 80\.0%/);
  });

  test('a smaller Adam learning rate recovering the gap is credited', () => {
    const { list } = deriveFindings(syntheticStudy({ acc: { 'relu·none·adam@0.0001·f32': 0.86 } }));
    const s = find(list, 'adam-sweep');
    assert.equal(s.verdict, 'as expected');
    assert.match(text(s), /recovers 100% of the gap/);
  });

  test('sigmoid: saturated raw runs that do not end up worse are called out', () => {
    const { list } = deriveFindings(syntheticStudy({ acc: { 'sigmoid·none·adam·f32': 0.9, 'sigmoid·none·sgd·f32': 0.9 } }));
    const s = find(list, 'sigmoid');
    assert.equal(s.verdict, 'mixed');
    assert.match(text(s), /contrary to the saturation story/);
  });
});
