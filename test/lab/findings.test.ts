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
    assert.match(text(outcome), /still loses 4\.0 points: 82\.0% \(95% CI [\d.]+%–[\d.]+%, 5 seeds\) against 86\.0%/);
    const mech = find(list, 'mechanism');
    assert.match(text(mech), /255× larger \(mean \|z\| 128 vs 0\.5\)/);
    assert.match(text(mech), /88\.0% of the probe images already have a softmax maximum of exactly 1\.0/);
    // the gradient ratio beyond 255 splits into per-sample error size × alignment across the batch (measured)
    assert.match(text(mech), /factors exactly into 255 \(the inputs\) × 1\.35 .* × 2\.13 /);
    assert.match(text(mech), /exactly 255× the scaled one before the softmax/);
    assert.match(text(mech), /bias is effectively frozen/);
    assert.match(text(mech), /second layer sees 255× larger inputs too, so its same-sized step moves the logits 255× as far/);
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
    assert.match(text(outcome), /caught up completely — 86\.1% \(95% CI [^)]*\) against 86\.0%/);
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
    assert.match(text(p), /float32 10\.0% \(95% CI [^)]*\) vs float64 80\.0% \(95% CI/);
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

describe('the complete why: answer, claims, curvature, spectrum, ablation, loss form', () => {
  test('the answer comes first: at most five sentences, each quoting this run’s numbers; a reply to paste', () => {
    const f = deriveFindings(syntheticStudy());
    assert.ok(f.answer.length >= 3 && f.answer.length <= 5, `${f.answer.length} sentences`);
    assert.match(f.answer.join(' '), /10\.0% test accuracy vs 84\.0% with \/255/);
    assert.match(f.answer.join(' '), /150× over the stability limit/); // λ_max 30000 vs 2/η = 200
    assert.match(f.reply, /starts 150× over its stability limit/);
    for (const id of ['curvature', 'input-spectrum', 'ablation', 'loss-form', 'claims'] as const) find(f.list, id);
  });

  test('curvature: "raw SGD at lr 0.01 starts N× over the limit", with its interval; as expected only across seeds', () => {
    const study = syntheticStudy();
    const c = find(deriveFindings(study).list, 'curvature');
    assert.match(
      text(c),
      /Raw SGD at lr 0\.01 starts 150× over its stability limit \(mean over 5 seeds; at least 147× in every seed\): .* λ_max = 30000 \(95% CI/,
    );
    assert.equal(c.verdict, 'as expected');
    assert.equal(c.numbers.seeds, 5);
  });

  test('ablation: ranked per optimizer by share of the gap, paired by seed, with 95% intervals', () => {
    const study = syntheticStudy();
    const adam = study.ablation.filter((r) => r.optimizer === 'adam');
    assert.deepEqual(
      adam
        .slice(0, 2)
        .map((r) => r.arm)
        .sort(),
      ['both', 'rescaling'],
    );
    for (let i = 1; i < adam.length; i++) assert.ok(adam[i - 1].share.mean >= adam[i].share.mean - 1e-9, 'sorted');
    const init = adam.find((r) => r.arm === 'init255')!;
    assert.ok(Math.abs(init.share.mean - 0.5) < 0.02, `init ÷255 share ${init.share.mean}`);
    assert.equal(init.share.n, 5);
    assert.ok(init.share.lo <= init.share.mean && init.share.mean <= init.share.hi);
    const a = find(deriveFindings(study).list, 'ablation');
    assert.match(text(a), /The two halves of the correction, adam: init ÷ 255 alone 50%, step rescale alone 60%, both 100%/);
    assert.equal(a.verdict, 'as expected');
  });

  test('loss form: the clipped-probability collapse on raw inputs is reported with the tfjs explanation', () => {
    const f = find(deriveFindings(syntheticStudy()).list, 'loss-form');
    assert.match(text(f), /TensorFlow\.js layers computes it from the softmax probabilities clipped/);
    assert.match(text(f), /With x\/255 the two forms agree/);
    assert.equal(f.verdict, 'as expected');
  });

  test('claims: each has a verdict with its number; precision refuted, Adam scale-invariance refuted', () => {
    const { claims } = deriveFindings(syntheticStudy());
    const by = Object.fromEntries(claims.map((c) => [c.id, c]));
    assert.equal(claims.length, 6);
    assert.equal(by['float-precision'].verdict, 'refuted');
    assert.equal(by['adam-scale-invariant'].verdict, 'refuted');
    assert.match(by['adam-scale-invariant'].evidence, /82\.0% .* vs 86\.0%/);
    assert.equal(by['loss-wants-0-1'].verdict, 'partly');
    assert.equal(by['sigmoid-saturation'].verdict, 'partly');
    // float64 rescuing the raw SGD run flips the precision claim
    const rescued = deriveFindings(syntheticStudy({ acc: { 'relu·none·sgd·f64': 0.8 } })).claims.find((c) => c.id === 'float-precision')!;
    assert.equal(rescued.verdict, 'supported');
  });

  test('input spectrum: /255 is the raw spectrum ÷ 255², centring shrinks the outlier', () => {
    const f = find(deriveFindings(syntheticStudy()).list, 'input-spectrum');
    assert.match(text(f), /exactly the raw spectrum ÷ 255²/);
    assert.equal(f.verdict, 'as expected');
  });
});

describe('study options', () => {
  test('five seeds by default, two with --quick; the subset tier is smaller than the whole set', async () => {
    const { resolveStudyOptions } = await import('../../src/lab/study/plan.js');
    assert.equal(resolveStudyOptions({}).seeds.length, 5);
    assert.equal(resolveStudyOptions({ quick: true }).seeds.length, 2);
    assert.ok(resolveStudyOptions({}).subsetTrainLimit < 60000);
    assert.equal(resolveStudyOptions({ profile: 'browser' }).seeds.length, 5);
  });
});
