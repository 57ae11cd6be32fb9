/**
 * The "Beyond Hello World" lab's eight exercises on Fashion-MNIST, each as a function that measures the
 * answer and returns it as plain data (the report layer writes the words). Every exercise checks that it
 * was given the real, verified Fashion-MNIST before measuring anything.
 */
import { argmaxRow } from '../engine/math/argmax.js';
import { NormlabError, isNormlabError } from '../errors.js';
import type { Dataset } from '../data/dataset.js';
import { datasetTensors } from '../engine/dataset-tensors.js';
import { inputTransform } from '../data/transforms.js';
import { Callback, type Logs } from '../engine/model/callbacks.js';
import { layers } from '../engine/layers/index.js';
import { sequential, type Sequential } from '../engine/model/sequential.js';
import type { Tensor } from '../engine/tensor.js';
import { trainOnDataset, type TrainingResult } from './training.js';
import { sliceDataset } from '../data/slice.js';
import { inProcessExecutor, type JobExecutor } from './study/study.js';
import { probeRowsFor } from './study/plan.js';
import { formatRunInstanceId, formatRunKey } from './study/run-id.js';
import type { RunSpec } from './study/types.js';

export interface ExerciseInfo {
  n: number;
  title: string;
  /** The lab's question, as the learner reads it. */
  question: string;
}

export const EXERCISES: readonly ExerciseInfo[] = [
  {
    n: 1,
    title: 'What predict returns',
    question: 'Run model.predict on the test images and print the result for the first one, and its label. What are the numbers?',
  },
  { n: 2, title: '128 vs 1024 hidden units', question: 'Increase the hidden layer to 1024 neurons. What changes: accuracy, training time?' },
  { n: 3, title: 'Remove the Flatten layer', question: 'What happens if you remove the Flatten() layer? Why?' },
  { n: 4, title: 'An output layer of 5 units', question: 'The output layer has 10 neurons because there are 10 classes. What happens with 5?' },
  { n: 5, title: 'An extra hidden layer', question: 'What happens if you add another hidden layer between the first one and the output layer?' },
  { n: 6, title: '5 vs 30 epochs', question: 'Train for 30 epochs instead of 5. What happens to the training and the test accuracy? Why?' },
  { n: 7, title: 'No normalization', question: 'Remove the division by 255 of the pixel values. What happens, and why?' },
  {
    n: 8,
    title: 'A callback that stops training',
    question: 'Write a callback that stops training once a threshold is reached. Which quantity does the lab’s callback actually check?',
  },
];

export interface ExerciseData {
  train: Dataset;
  test: Dataset;
}

export interface ExerciseOptions {
  backend: string;
  seed?: number;
  /** Override the exercise's epochs (each has the lab's default). */
  epochs?: number;
  /** Use only the first N training / test images (tests, --quick). */
  trainLimit?: number;
  testLimit?: number;
  /** Run the lab's full version of a long exercise (2: 5 epochs; 6: all 60 000 images) instead of its short form. */
  full?: boolean;
  /** One line per finished epoch / run, for progress output. */
  onProgress?(line: string): void;
  /** Where exercise 7's four independent runs execute (default: one after another in this thread). */
  execute?: JobExecutor;
}

export interface DatasetCheck {
  name: string;
  verified: boolean;
  directory: string;
  trainCount: number;
  testCount: number;
  classNames: string[];
}

export interface CaughtError {
  code: string;
  message: string;
  hint?: string;
}

export interface ExerciseResult extends ExerciseInfo {
  dataset: DatasetCheck;
  settings: {
    backend: string;
    seed: number;
    epochs: number | null;
    trainCount: number;
    testCount: number;
    /** 'short': the exercise's quick form (see SHORT_FORMS), 'full': the lab's settings. */
    form: 'short' | 'full';
    /** What the short form changed, in words (null for 'full'). */
    shortened: string | null;
    /** The full version's training time, estimated from this run's measured seconds per epoch (short form only). */
    fullEstimateSeconds: number | null;
  };
  /** Every number the exercise measured (shape differs per exercise). */
  measurement: Record<string, unknown>;
}

export const FASHION_CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The exercises are about Fashion-MNIST: refuse anything else, and say what was found. */
export function checkFashionMnist(data: ExerciseData): DatasetCheck {
  const { train, test } = data;
  const ok =
    train.name === 'fashion-mnist' &&
    test.name === 'fashion-mnist' &&
    train.verified &&
    test.verified &&
    train.classNames.join('|') === FASHION_CLASS_NAMES.join('|') &&
    train.height === 28 &&
    train.width === 28;
  if (!ok) {
    throw new NormlabError(
      'dataset-identity',
      `the lab's exercises use Fashion-MNIST, but the data loaded is '${train.name}'${train.verified ? '' : ' (unverified)'} with classes ${train.classNames.slice(0, 4).join(', ')}…`,
      'load Fashion-MNIST (the default; install it with apt-get install dataset-fashion-mnist, or let normlab download it)',
    );
  }
  return { name: train.name, verified: true, directory: train.directory, trainCount: train.count, testCount: test.count, classNames: [...train.classNames] };
}

function caught(error: unknown): CaughtError {
  if (isNormlabError(error)) return { code: error.code, message: error.message, hint: error.hint };
  throw error;
}

interface Ctx {
  data: ExerciseData;
  options: ExerciseOptions;
  seed: number;
  backend: string;
}

function labModelConfig(ctx: Ctx, over: { units?: number[]; epochs: number; normalize?: 'scale' | 'none'; optimizer?: 'adam' | 'sgd' }) {
  return {
    dataset: 'fashion-mnist',
    epochs: over.epochs,
    units: over.units ?? [128],
    normalize: over.normalize ?? 'scale',
    optimizer: over.optimizer ?? 'adam',
    backend: ctx.backend,
    seed: ctx.seed,
  } as const;
}

function progressHooks(ctx: Ctx, label: string) {
  return {
    onEpoch: (epoch: number, logs: Logs, seconds: number) =>
      ctx.options.onProgress?.(`  ${label}: epoch ${epoch + 1} — loss ${logs.loss.toFixed(4)}, acc ${(logs.acc ?? NaN).toFixed(4)} (${seconds.toFixed(1)} s)`),
  };
}

function trainSummary(r: TrainingResult) {
  const last = (k: string) => r.history[k]?.[r.history[k].length - 1] ?? NaN;
  return {
    trainLoss: last('loss'),
    trainAcc: last('acc'),
    testLoss: r.test.loss,
    testAcc: r.test.acc,
    secondsPerEpoch: r.secondsPerEpoch,
    epochSeconds: r.epochSeconds,
    epochs: r.history.loss?.length ?? 0,
  };
}

async function exercise1(ctx: Ctx, epochs: number) {
  let model: Sequential | undefined;
  const r = await trainOnDataset(labModelConfig(ctx, { epochs }), ctx.data, { ...progressHooks(ctx, '128 units'), prepareModel: (m) => (model = m) });
  const transform = inputTransform('scale');
  const { x } = datasetTensors(sliceDataset(ctx.data.test, 1), transform);
  const out = model!.predict(x);
  const probabilities = Array.from(out.dataSync() as Float32Array);
  model!.dispose();
  const argmax = argmaxRow(probabilities, 0, probabilities.length);
  const label = ctx.data.test.labels[0];
  const names = ctx.data.test.classNames;
  const sorted = probabilities.map((p, i) => ({ i, p })).sort((a, b) => b.p - a.p);
  return {
    code: 'classifications = model.predict(test_images); print(classifications[0]); print(test_labels[0])',
    probabilities,
    sum: probabilities.reduce((a, b) => a + b, 0),
    outputShape: out.shape,
    argmax,
    argmaxName: names[argmax],
    maxProbability: probabilities[argmax],
    runnerUp: { index: sorted[1].i, name: names[sorted[1].i], probability: sorted[1].p },
    label,
    labelName: names[label],
    correct: argmax === label,
    training: trainSummary(r),
  };
}

async function compareConfigs(ctx: Ctx, epochs: number, variants: { name: string; units: number[] }[]) {
  const out: Record<string, unknown>[] = [];
  for (const v of variants) {
    let params = 0;
    const r = await trainOnDataset(labModelConfig(ctx, { epochs, units: v.units }), ctx.data, {
      ...progressHooks(ctx, v.name),
      prepareModel: (m) => (params = m.countParams()),
    });
    out.push({ name: v.name, units: v.units, params, ...trainSummary(r) });
  }
  return out;
}

async function exercise3(ctx: Ctx) {
  const model = sequential({
    seed: ctx.seed,
    backend: ctx.backend,
    layers: [layers.dense({ units: 128, activation: 'relu', inputShape: [28, 28] }), layers.dense({ units: 10, activation: 'softmax' })],
  });
  const summary: string[] = [];
  model.summary(65, undefined, (line) => summary.push(line));
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const small = sliceDataset(ctx.data.train, 64);
  const { x, y } = datasetTensors(small, inputTransform('scale'));
  let error: CaughtError | null = null;
  try {
    await model.fit(x, y, { epochs: 1, verbose: 0 });
  } catch (e) {
    error = caught(e);
  }
  return {
    code: "tf.sequential({layers: [tf.layers.dense({units: 128, activation: 'relu', inputShape: [28, 28]}), tf.layers.dense({units: 10, activation: 'softmax'})]})",
    summary,
    outputShape: model.outputShape,
    error,
  };
}

async function exercise4(ctx: Ctx) {
  const model = sequential({
    seed: ctx.seed,
    backend: ctx.backend,
    layers: [layers.flatten({ inputShape: [28, 28] }), layers.dense({ units: 128, activation: 'relu' }), layers.dense({ units: 5, activation: 'softmax' })],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const { x, y } = datasetTensors(ctx.data.train, inputTransform('scale'));
  let error: CaughtError | null = null;
  try {
    await model.fit(x, y, { epochs: 1, verbose: 0 });
  } catch (e) {
    error = caught(e);
  }
  let maxLabel = 0;
  for (const l of ctx.data.train.labels) maxLabel = Math.max(maxLabel, l);
  return {
    code: "tf.layers.dense({units: 5, activation: 'softmax'})",
    outputUnits: 5,
    maxLabel,
    classes: ctx.data.train.classNames.length,
    error,
  };
}

/** Test loss/accuracy after every epoch (a callback, as a learner would write it). */
class TestEveryEpoch extends Callback {
  readonly test: { loss: number; acc: number }[] = [];
  constructor(
    private readonly x: Tensor,
    private readonly y: Tensor,
  ) {
    super();
  }
  onEpochEnd(): void {
    this.test.push((this.model as Sequential).evaluateNumbers(this.x, this.y, { batchSize: 500 }));
  }
}

async function exercise6(ctx: Ctx, short: number, long: number) {
  const { x, y } = datasetTensors(ctx.data.test, inputTransform('scale'));
  const cb = new TestEveryEpoch(x, y);
  const r = await trainOnDataset(labModelConfig(ctx, { epochs: long }), ctx.data, { ...progressHooks(ctx, `${long} epochs`), callbacks: [cb] });
  const at = (e: number) => ({
    epoch: e,
    trainLoss: r.history.loss[e - 1],
    trainAcc: r.history.acc[e - 1],
    testLoss: cb.test[e - 1]?.loss ?? NaN,
    testAcc: cb.test[e - 1]?.acc ?? NaN,
  });
  const bestTestLossEpoch = cb.test.reduce((b, t, i) => (t.loss < cb.test[b].loss ? i : b), 0) + 1;
  const bestTestAccEpoch = cb.test.reduce((b, t, i) => (t.acc > cb.test[b].acc ? i : b), 0) + 1;
  return {
    note: `one run of ${long} epochs; the ${short}-epoch numbers are its state after epoch ${short}, which is exactly what a ${short}-epoch run with the same seed gives`,
    curves: { trainLoss: r.history.loss, trainAcc: r.history.acc, testLoss: cb.test.map((t) => t.loss), testAcc: cb.test.map((t) => t.acc) },
    short: at(Math.min(short, r.history.loss.length)),
    long: at(r.history.loss.length),
    bestTestLossEpoch,
    bestTestLoss: cb.test[bestTestLossEpoch - 1].loss,
    bestTestAccEpoch,
    bestTestAcc: cb.test[bestTestAccEpoch - 1].acc,
    secondsPerEpoch: r.secondsPerEpoch,
  };
}

async function exercise7(ctx: Ctx, epochs: number) {
  const trainCount = ctx.data.train.count;
  const specs: RunSpec[] = (['adam', 'sgd'] as const).flatMap((optimizer) =>
    (['scale', 'none'] as const).map((transform) => ({
      id: formatRunInstanceId(formatRunKey({ activation: 'relu', transform, optimizer }), ctx.seed),
      key: formatRunKey({ activation: 'relu', transform, optimizer }),
      group: 'main' as const,
      tier: 'full' as const,
      label: `${transform} · ${optimizer}`,
      seed: ctx.seed,
      transform,
      activation: 'relu' as const,
      units: [128],
      optimizer,
      learningRate: optimizer === 'adam' ? 0.001 : 0.01,
      dtype: 'float32' as const,
      backend: ctx.backend,
      epochs,
      batchSize: 32,
      probe: { rows: probeRowsFor(trainCount, 512, 'train'), steps: [0], testRows: probeRowsFor(ctx.data.test.count, 500, 'test') },
      keepTrajectory: false,
      data: { dataset: 'fashion-mnist' },
    })),
  );
  // Four independent runs: on the caller's executor (the CLI's worker pool) when given.
  const execute = ctx.options.execute ?? inProcessExecutor();
  const runs = await execute(
    specs,
    (r) =>
      ctx.options.onProgress?.(
        `  ${r.spec.transform === 'none' ? 'raw 0–255' : 'x / 255'}, ${r.spec.optimizer}: test accuracy ${(r.test.acc * 100).toFixed(1)}% (${r.seconds.toFixed(1)} s)`,
      ),
    ctx.data,
  );
  return {
    runs: runs.map((r) => {
      const init = r.probes[0];
      return {
        transform: r.spec.transform,
        optimizer: r.spec.optimizer,
        learningRate: r.spec.learningRate,
        testAcc: r.test.acc,
        testLoss: r.test.loss,
        epochLoss: r.history.loss ?? [],
        initLoss: init?.loss ?? NaN,
        initMeanAbsZ1: init?.layers[0]?.meanAbsPre ?? NaN,
        initMeanAbsLogit: init?.logits.meanAbs ?? NaN,
        initSoftmaxOne: init?.softmax.maxExactlyOne ?? NaN,
        initKernel0GradNorm: init?.layers[0]?.kernelGradNorm ?? NaN,
        finalDeadRelu: r.probes[r.probes.length - 1]?.layers[0]?.deadFraction ?? null,
        nonFinite: r.nonFinite,
      };
    }),
  };
}

/** The lab's callback, exactly: at the end of every epoch, stop once logs.loss < 0.4. */
class LabCallback extends Callback {
  stoppedAt: { epoch: number; loss: number; acc: number } | null = null;
  readonly message = 'Reached 60% accuracy so cancelling training!';
  onEpochEnd(epoch: number, logs?: Logs): void {
    if (logs && logs.loss < 0.4) {
      this.stoppedAt = { epoch: epoch + 1, loss: logs.loss, acc: logs.acc ?? NaN };
      this.model.stopTraining = true;
    }
  }
}

async function exercise8(ctx: Ctx, maxEpochs: number) {
  const cb = new LabCallback();
  const r = await trainOnDataset(labModelConfig(ctx, { epochs: maxEpochs }), ctx.data, { ...progressHooks(ctx, 'callback'), callbacks: [cb] });
  const accEpoch = r.history.acc.findIndex((a) => a > 0.6);
  return {
    code: "onEpochEnd(epoch, logs) { if (logs.loss < 0.4) { console.log('Reached 60% accuracy so cancelling training!'); this.model.stopTraining = true; } }",
    checks: 'logs.loss (the mean training loss of the epoch, before each batch’s update), at the end of each epoch',
    threshold: 0.4,
    message: cb.message,
    maxEpochs,
    stoppedAt: cb.stoppedAt,
    epochsRun: r.history.loss.length,
    history: { loss: r.history.loss, acc: r.history.acc },
    /** First epoch whose training accuracy exceeded 0.6 (what the message claims), 1-based; null if never. */
    accuracyAbove60At: accEpoch >= 0 ? { epoch: accEpoch + 1, acc: r.history.acc[accEpoch], loss: r.history.loss[accEpoch] } : null,
    testAcc: r.test.acc,
  };
}

/** Default epochs per exercise (the lab's). */
export const DEFAULT_EPOCHS: Record<number, number | null> = { 1: 5, 2: 5, 3: null, 4: null, 5: 5, 6: 30, 7: 5, 8: 10 };

/**
 * The two long exercises run a shorter form unless `full` is asked for, keeping the question intact:
 * 2 compares 128 vs 1024 units over 2 epochs instead of 5 (the time per epoch, the thing asked about, is
 * the same); 6 keeps 5 vs 30 epochs but trains on the first 10 000 images (overfitting shows sooner with
 * less data, and 30 epochs then cost about as much as 5 on all 60 000).
 */
export const SHORT_FORMS: Record<number, { epochs?: number; trainLimit?: number; description: string; full: string }> = {
  2: { epochs: 2, description: '2 epochs per model instead of the lab’s 5', full: '5 epochs per model' },
  6: {
    trainLimit: 10_000,
    description: 'the first 10 000 training images instead of all 60 000 (30 epochs as in the lab)',
    full: 'all 60 000 training images, 30 epochs',
  },
};

export async function runExercise(n: number, fullData: ExerciseData, options: ExerciseOptions): Promise<ExerciseResult> {
  const info = EXERCISES.find((e) => e.n === n);
  if (!info) throw new NormlabError('flag', `there is no exercise ${n}`, `use a number from 1 to ${EXERCISES.length} (normlab exercises lists them)`);
  const dataset = checkFashionMnist(fullData);
  const short = options.full ? undefined : SHORT_FORMS[n];
  const trainLimit = Math.min(options.trainLimit ?? Infinity, short?.trainLimit ?? Infinity);
  const data = {
    train: sliceDataset(fullData.train, Number.isFinite(trainLimit) ? trainLimit : undefined),
    test: sliceDataset(fullData.test, options.testLimit),
  };
  const ctx: Ctx = { data, options, seed: options.seed ?? 1, backend: options.backend };
  const epochs = options.epochs ?? short?.epochs ?? DEFAULT_EPOCHS[n];
  // A shortened form is only reported as such when it actually changed something the user did not set.
  const shortened =
    short &&
    ((short.epochs !== undefined && options.epochs === undefined) || (short.trainLimit !== undefined && short.trainLimit < (options.trainLimit ?? Infinity)))
      ? short.description
      : null;
  let measurement: Record<string, unknown>;
  switch (n) {
    case 1:
      measurement = await exercise1(ctx, epochs!);
      break;
    case 2:
      measurement = {
        runs: await compareConfigs(ctx, epochs!, [
          { name: '128 units', units: [128] },
          { name: '1024 units', units: [1024] },
        ]),
      };
      break;
    case 3:
      measurement = await exercise3(ctx);
      break;
    case 4:
      measurement = await exercise4(ctx);
      break;
    case 5:
      measurement = {
        runs: await compareConfigs(ctx, epochs!, [
          { name: 'one hidden layer (128)', units: [128] },
          { name: 'two hidden layers (128, 128)', units: [128, 128] },
        ]),
      };
      break;
    case 6:
      measurement = await exercise6(ctx, epochs! > 5 ? 5 : Math.max(1, Math.floor(epochs! / 2)), epochs!);
      break;
    case 7:
      measurement = await exercise7(ctx, epochs!);
      break;
    default:
      measurement = await exercise8(ctx, epochs!);
  }
  let fullEstimateSeconds: number | null = null;
  if (shortened && n === 2) {
    const runs = (measurement as { runs: { secondsPerEpoch: number }[] }).runs;
    fullEstimateSeconds = runs.reduce((a, r) => a + r.secondsPerEpoch, 0) * DEFAULT_EPOCHS[2]!;
  } else if (shortened && n === 6) {
    fullEstimateSeconds = (measurement as { secondsPerEpoch: number }).secondsPerEpoch * (fullData.train.count / data.train.count) * epochs!;
  }
  return {
    ...info,
    dataset,
    settings: {
      backend: ctx.backend,
      seed: ctx.seed,
      epochs: DEFAULT_EPOCHS[n] === null ? null : epochs,
      trainCount: data.train.count,
      testCount: data.test.count,
      form: shortened ? 'short' : 'full',
      shortened,
      fullEstimateSeconds,
    },
    measurement,
  };
}
