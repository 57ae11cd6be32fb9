/**
 * The exercises' words: for each result, the question, what was measured (with its numbers) and the
 * takeaway — written from the numbers, so a different outcome gives a different sentence.
 */
import { SHORT_FORMS, type CaughtError, type ExerciseResult } from '../lab/exercises.js';
import { num, pct, points, seconds } from './format.js';

export interface ExerciseReport {
  heading: string;
  question: string;
  dataset: string;
  /** For a long exercise run in its short form: what was shortened and how to run the lab's version. */
  form: string | null;
  measurement: string[];
  takeaway: string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- exercise results are heterogeneous JSON read field by field
type M = Record<string, any>;

function errorLines(e: CaughtError | null): string[] {
  if (!e) return ['(no error was raised)'];
  return [`normlab: error: ${e.message}`, ...(e.hint ? [`  Try: ${e.hint}`] : [])];
}

function trainLine(r: M): string {
  return `${r.name}: test accuracy ${pct(r.testAcc, 2)}, training accuracy ${pct(r.trainAcc, 2)}, ${seconds(r.secondsPerEpoch)}/epoch${r.params ? `, ${r.params.toLocaleString('en-US')} parameters` : ''}`;
}

function ex1(m: M): Pick<ExerciseReport, 'measurement' | 'takeaway'> {
  const probs = (m.probabilities as number[]).map((p, i) => `${i}: ${p.toExponential(2)}`).join('  ');
  return {
    measurement: [
      `${m.code}`,
      `predict → a tensor of shape [${m.outputShape.join(', ')}]; row 0: [${(m.probabilities as number[]).map((p) => p.toPrecision(3)).join(', ')}]`,
      `by class: ${probs}`,
      `sum ${num(m.sum, 8)}; largest ${num(m.maxProbability, 4)} at index ${m.argmax} (${m.argmaxName}); runner-up ${num(m.runnerUp.probability, 3)} (${m.runnerUp.name}); true label ${m.label} (${m.labelName})`,
      `after ${m.training.epochs} epochs: test accuracy ${pct(m.training.testAcc, 2)}`,
    ],
    takeaway: [
      `predict returns one probability per class (the softmax output: ${m.probabilities.length} numbers summing to ${num(m.sum, 6)}), not a class. The class is the index of the largest: argmax = ${m.argmax}, "${m.argmaxName}", ` +
        (m.correct ? `which matches the true label ${m.label}.` : `but the true label is ${m.label} ("${m.labelName}") — this one is misclassified.`),
      m.maxProbability > 0.9
        ? `The model is ${pct(m.maxProbability, 1)} sure; the next most likely class, ${m.runnerUp.name}, gets ${pct(m.runnerUp.probability, 2)}.`
        : `The model is only ${pct(m.maxProbability, 1)} sure; ${m.runnerUp.name} gets ${pct(m.runnerUp.probability, 1)}.`,
    ],
  };
}

function compare(m: M, what: 'units' | 'layers'): Pick<ExerciseReport, 'measurement' | 'takeaway'> {
  const [a, b] = m.runs as M[];
  const dAcc = b.testAcc - a.testAcc;
  const slow = b.secondsPerEpoch / a.secondsPerEpoch;
  const accSentence =
    Math.abs(dAcc) < 0.005
      ? `Test accuracy barely moves (${pct(a.testAcc, 2)} → ${pct(b.testAcc, 2)}, ${dAcc >= 0 ? '+' : '−'}${points(dAcc, 2)})`
      : dAcc > 0
        ? `Test accuracy improves by ${points(dAcc, 2)} (${pct(a.testAcc, 2)} → ${pct(b.testAcc, 2)})`
        : `Test accuracy drops by ${points(dAcc, 2)} (${pct(a.testAcc, 2)} → ${pct(b.testAcc, 2)})`;
  const timeSentence = `each epoch takes ${num(slow, 2)}× as long (${seconds(a.secondsPerEpoch)} → ${seconds(b.secondsPerEpoch)}) with ${num(b.params / a.params, 3)}× the parameters.`;
  const takeaway =
    what === 'units'
      ? [
          `${accSentence}, while ${timeSentence}`,
          dAcc > 0.005
            ? 'More units let the layer fit more patterns, at a cost in time; on this simple data the gain is small.'
            : 'More units buy little here: 128 already has the capacity this data needs, so the extra cost is mostly wasted.',
        ]
      : [
          `${accSentence}; ${timeSentence}`,
          Math.abs(dAcc) < 0.01
            ? 'For data this simple one hidden layer is enough; a second one does not change much.'
            : dAcc > 0
              ? 'The extra layer helps a little here.'
              : 'The extra layer did not help here: more depth is more to train in the same number of epochs.',
        ];
  return { measurement: (m.runs as M[]).map(trainLine), takeaway };
}

function ex3(m: M): Pick<ExerciseReport, 'measurement' | 'takeaway'> {
  return {
    measurement: [`${m.code}`, 'model.summary():', ...(m.summary as string[]).map((l) => `  ${l}`), 'model.fit(...):', ...errorLines(m.error)],
    takeaway: m.error
      ? [
          `Without Flatten each 28×28 image reaches the first Dense layer as 28 rows of 28 values, and Dense acts on the last axis only: its output is [${(m.outputShape as (number | null)[]).map((d) => (d === null ? 'null' : d)).join(', ')}], 28 sets of 10 scores per image instead of one. ` +
            'The labels are one class per image, so there is nothing to compare them with — training refuses to start.',
          'Flatten turns each image into one vector of 784 values; it has no weights, it only reshapes.',
        ]
      : ['The model trained without Flatten — unexpected: the engine should have refused a Dense layer on 2-D samples.'],
  };
}

function ex4(m: M): Pick<ExerciseReport, 'measurement' | 'takeaway'> {
  return {
    measurement: [`${m.code}`, 'model.fit(...):', ...errorLines(m.error)],
    takeaway: m.error
      ? [
          `The labels run from 0 to ${m.maxLabel} (${m.classes} classes), and sparse categorical cross-entropy needs one output unit per class: with ${m.outputUnits} units there is no probability for labels ${m.outputUnits}–${m.maxLabel}.`,
          `The output layer must have as many units as there are classes: ${m.classes}.`,
        ]
      : ['Training did not fail — unexpected: labels beyond the output layer should be rejected.'],
  };
}

function ex6(m: M): Pick<ExerciseReport, 'measurement' | 'takeaway'> {
  const s = m.short;
  const l = m.long;
  const gapS = s.trainAcc - s.testAcc;
  const gapL = l.trainAcc - l.testAcc;
  const overfit = l.testLoss > m.bestTestLoss * 1.05 && gapL > gapS;
  return {
    measurement: [
      `after ${s.epoch} epochs: training accuracy ${pct(s.trainAcc, 2)} (loss ${num(s.trainLoss, 4)}), test accuracy ${pct(s.testAcc, 2)} (loss ${num(s.testLoss, 4)})`,
      `after ${l.epoch} epochs: training accuracy ${pct(l.trainAcc, 2)} (loss ${num(l.trainLoss, 4)}), test accuracy ${pct(l.testAcc, 2)} (loss ${num(l.testLoss, 4)})`,
      `test loss was lowest after epoch ${m.bestTestLossEpoch} (${num(m.bestTestLoss, 4)}); test accuracy peaked at epoch ${m.bestTestAccEpoch} (${pct(m.bestTestAcc, 2)})`,
      `(${m.note})`,
    ],
    takeaway: [
      `From epoch ${s.epoch} to ${l.epoch} training accuracy ${l.trainAcc - s.trainAcc > 0.005 ? 'keeps climbing' : 'hardly changes'} (${pct(s.trainAcc, 1)} → ${pct(l.trainAcc, 1)}) while test accuracy ${l.testAcc > s.testAcc + 0.005 ? `rises only ${points(l.testAcc - s.testAcc)}` : l.testAcc < s.testAcc - 0.005 ? `falls ${points(l.testAcc - s.testAcc)}` : 'stays put'} (${pct(s.testAcc, 1)} → ${pct(l.testAcc, 1)}); the train–test gap ${gapL > gapS + 0.005 ? 'grows' : 'goes'} from ${points(gapS)} to ${points(gapL)}.`,
      overfit
        ? `That is overfitting: after epoch ${m.bestTestLossEpoch} the test loss rises (${num(m.bestTestLoss, 4)} → ${num(l.testLoss, 4)}) while the training loss keeps falling — the network is memorising the training images rather than learning more about clothes.`
        : `The test loss did not rise clearly (${num(m.bestTestLoss, 4)} at its best, ${num(l.testLoss, 4)} at the end), so overfitting is mild over ${l.epoch} epochs here.`,
    ],
  };
}

function ex7(m: M): Pick<ExerciseReport, 'measurement' | 'takeaway'> {
  const runs = m.runs as M[];
  const find = (t: string, o: string) => runs.find((r) => r.transform === t && r.optimizer === o);
  const lines = runs.map(
    (r) =>
      `${r.transform === 'none' ? 'raw 0–255' : 'x / 255  '} ${r.optimizer} ${r.learningRate}: test accuracy ${pct(r.testAcc, 2)}, epoch-1 loss ${num(r.epochLoss[0])}; at initialisation mean |logit| ${num(r.initMeanAbsLogit)}, ` +
      `${pct(r.initSoftmaxOne)} of probe images with softmax max exactly 1.0, first-kernel gradient ‖g‖ ${num(r.initKernel0GradNorm)}`,
  );
  const take: string[] = [];
  for (const o of ['adam', 'sgd']) {
    const raw = find('none', o);
    const sc = find('scale', o);
    if (!raw || !sc) continue;
    const d = sc.testAcc - raw.testAcc;
    take.push(
      d > 0.02
        ? `${o}: raw inputs cost ${points(d)} of test accuracy (${pct(raw.testAcc, 1)} vs ${pct(sc.testAcc, 1)}).`
        : `${o}: raw inputs cost little here (${pct(raw.testAcc, 1)} vs ${pct(sc.testAcc, 1)}) — contrary to the usual story.`,
    );
  }
  const rawAny = find('none', 'sgd') ?? find('none', 'adam');
  const scAny = find('scale', 'sgd') ?? find('scale', 'adam');
  if (rawAny && scAny) {
    take.push(
      `The pixels carry the same information either way; what changes is scale. Raw inputs make the first layer's pre-activations ${num(rawAny.initMeanAbsZ1 / scAny.initMeanAbsZ1, 3)}× larger (mean |z₁| ${num(rawAny.initMeanAbsZ1)} vs ${num(scAny.initMeanAbsZ1)}) and its kernel gradient ${num(rawAny.initKernel0GradNorm / scAny.initKernel0GradNorm, 3)}× larger (‖g‖ ${num(rawAny.initKernel0GradNorm)} vs ${num(scAny.initKernel0GradNorm)}), ` +
        `so the logits start huge (mean |logit| ${num(rawAny.initMeanAbsLogit)} vs ${num(scAny.initMeanAbsLogit)}) and — as the reparametrisation check of \`normlab why\` shows number for number — the same optimizer settings amount to a first-layer step 255× (Adam) to 255²× (SGD) larger than with x/255.`,
    );
  }
  take.push(
    'Run `normlab why` for the full study: all four transforms, diagnostics over time, the exact reparametrisation check and the sigmoid/softmax tables (why.html).',
  );
  return { measurement: lines, takeaway: take };
}

function ex8(m: M): Pick<ExerciseReport, 'measurement' | 'takeaway'> {
  const st = m.stoppedAt as M | null;
  const a60 = m.accuracyAbove60At as M | null;
  const history = (m.history.loss as number[]).map(
    (l: number, i: number) => `epoch ${i + 1}: loss ${l.toFixed(4)}, acc ${(m.history.acc[i] as number).toFixed(4)}`,
  );
  return {
    measurement: [
      `${m.code}`,
      `it checks ${m.checks}`,
      ...history,
      st
        ? `stopped after epoch ${st.epoch}: loss ${num(st.loss, 4)} < ${m.threshold}, accuracy ${pct(st.acc, 2)}; printed "${m.message}"`
        : `loss never fell below ${m.threshold} in ${m.maxEpochs} epochs; training ran to the end`,
      `test accuracy at the end: ${pct(m.testAcc, 2)}`,
    ],
    takeaway: [
      `The lab's callback tests the loss (logs.loss < ${m.threshold}) but prints that it reached 60% accuracy. Those are different quantities: ` +
        (a60
          ? `training accuracy was already above 60% at the end of epoch ${a60.epoch} (${pct(a60.acc, 1)}, loss ${num(a60.loss, 3)})`
          : 'training accuracy never exceeded 60%') +
        (st
          ? `, while the loss first fell below ${m.threshold} at the end of epoch ${st.epoch}, when accuracy was ${pct(st.acc, 1)} — so the message is wrong on both counts.`
          : '.'),
      "Say what you test: `if (logs.acc > 0.6)` with a message about accuracy, or `if (logs.loss < 0.4)` with a message about the loss. Both are checked once per epoch, on the epoch's mean training metrics, not on test data.",
    ],
  };
}

export function exerciseReport(r: ExerciseResult): ExerciseReport {
  const m = r.measurement as M;
  const body =
    r.n === 1
      ? ex1(m)
      : r.n === 2
        ? compare(m, 'units')
        : r.n === 3
          ? ex3(m)
          : r.n === 4
            ? ex4(m)
            : r.n === 5
              ? compare(m, 'layers')
              : r.n === 6
                ? ex6(m)
                : r.n === 7
                  ? ex7(m)
                  : ex8(m);
  return {
    heading: `Exercise ${r.n}: ${r.title}`,
    question: r.question,
    dataset: `Fashion-MNIST (SHA-256 verified, ${r.dataset.directory}): ${r.settings.trainCount} training / ${r.settings.testCount} test images${r.settings.epochs ? `, ${r.settings.epochs} epoch(s)` : ''}, seed ${r.settings.seed}, backend ${r.settings.backend}`,
    form: r.settings.shortened
      ? `Short form: ${r.settings.shortened}, to keep it quick. For the lab's version (${SHORT_FORMS[r.n]?.full ?? 'its settings'}) run \`normlab exercise ${r.n} --full\`` +
        (r.settings.fullEstimateSeconds !== null
          ? ` — about ${seconds(r.settings.fullEstimateSeconds)} of training, estimated from this run's measured time per epoch.`
          : '.')
      : null,
    ...body,
  };
}

export function renderExercise(rep: ExerciseReport): string {
  return [
    rep.heading,
    `Question: ${rep.question}`,
    `Data: ${rep.dataset}`,
    ...(rep.form ? [rep.form] : []),
    '',
    'Measured:',
    ...rep.measurement.map((l) => `  ${l}`),
    '',
    'Takeaway:',
    ...rep.takeaway.map((l) => `  ${l}`),
  ].join('\n');
}
