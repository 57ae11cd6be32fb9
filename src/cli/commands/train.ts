/** `normlab train`: train the lab's model on a dataset and report test loss and accuracy. */
import type { Command } from 'commander';
import { loadDataset } from '../../data/dataset.js';
import { TRANSFORM_NAMES } from '../../data/transforms.js';
import { formatEpochLine } from '../../engine/model/fit.js';
import { DTYPE_CHOICES, HIDDEN_ACTIVATIONS, OPTIMIZER_CHOICES, TRAIN_LIMITS as L, TrainSettings } from '../../lab/settings.js';
import { resolveBackendName, trainOnDataset, type TrainingResult } from '../../lab/training.js';
import { LAYER_NORMALIZERS, NORMALIZE_CHOICES, type NormalizeChoice } from '../../lab/normalizers.js';
import { datasetSpec, fraction, integer, listOf, oneOf, parseFlags, positiveNumber } from '../options.js';
import { note, printJson } from '../output.js';
import { epochProgress } from '../progress.js';

interface TrainFlags {
  dataset: string;
  dataDir?: string;
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd' | 'rmsprop';
  lr?: number;
  units: number[];
  activation: (typeof HIDDEN_ACTIVATIONS)[number];
  normalize: NormalizeChoice;
  dtype: 'float32' | 'float64';
  backend: string;
  seed: number;
  validationSplit: number;
  download: boolean;
  json: boolean;
}

/** The flag that sets each TrainSettings field, for error messages. */
const TRAIN_FLAGS: Record<keyof TrainSettings, string> = {
  dataset: '--dataset',
  epochs: '--epochs',
  batchSize: '--batch-size',
  optimizer: '--optimizer',
  learningRate: '--lr',
  units: '--units',
  activation: '--activation',
  normalize: '--normalize',
  dtype: '--dtype',
  backend: '--backend',
  seed: '--seed',
  validationSplit: '--validation-split',
};

export function registerTrain(program: Command, backends: readonly string[]): void {
  program
    .command('train')
    .description("train the lab's model (Flatten → Dense(128, relu) → Dense(10, softmax)) and report test accuracy")
    .option('--dataset <name>', 'fashion-mnist, mnist, or idx:DIR', datasetSpec, 'fashion-mnist')
    .option('--data-dir <dir>', 'directory holding the dataset files (also: NORMLAB_DATA_DIR)')
    .option('--epochs <n>', 'number of epochs', integer(L.epochs.min, L.epochs.max), 5)
    .option('--batch-size <n>', 'samples per optimizer step', integer(L.batchSize.min, L.batchSize.max), 32)
    .option('--optimizer <name>', OPTIMIZER_CHOICES.join(', '), oneOf(OPTIMIZER_CHOICES), 'adam')
    .option('--lr <rate>', "learning rate (default: Keras' default for the optimizer)", positiveNumber)
    .option(
      '--units <sizes>',
      `hidden layer sizes, e.g. 128 or 512,256 (at most ${L.hiddenLayers.max} layers)`,
      listOf(integer(L.units.min, L.units.max), 'layer sizes', L.hiddenLayers.max),
      [128],
    )
    .option('--activation <name>', HIDDEN_ACTIVATIONS.join(', '), oneOf(HIDDEN_ACTIVATIONS), 'relu')
    .option(
      '--normalize <how>',
      `${TRANSFORM_NAMES.join(', ')} (outside the model; scale = /255), or ${LAYER_NORMALIZERS.join(', ')} (a layer inside the model, on raw 0–255 pixels)`,
      oneOf(NORMALIZE_CHOICES),
      'scale',
    )
    .option('--dtype <type>', DTYPE_CHOICES.join(' or '), oneOf(DTYPE_CHOICES), 'float32')
    .option('--backend <name>', backends.join(' or '), oneOf(backends), backends.includes('wasm') ? 'wasm' : 'reference')
    .option('--seed <n>', 'seed for initial weights and shuffling', integer(L.seed.min, L.seed.max), 1)
    .option('--validation-split <f>', 'fraction of the training set held out for validation', fraction(L.validationSplit.min, L.validationSplit.max), 0)
    .option('--no-download', 'never download missing dataset files')
    .option('--json', 'print the result as one JSON object on the last line of stdout', false)
    .action(async (flags: TrainFlags) => {
      const started = performance.now();
      // The same schema (and limits) as every other way to start a run; checked before any data is read.
      const settings = parseFlags(
        TrainSettings,
        {
          dataset: flags.dataset,
          epochs: flags.epochs,
          batchSize: flags.batchSize,
          optimizer: flags.optimizer,
          learningRate: flags.lr,
          units: flags.units,
          activation: flags.activation,
          normalize: flags.normalize,
          dtype: flags.dtype,
          backend: resolveBackendName(flags.backend),
          seed: flags.seed,
          validationSplit: flags.validationSplit,
        },
        TRAIN_FLAGS,
        'train',
      );
      const loadOptions = { dataDir: flags.dataDir, download: flags.download };
      // The test split first: it is the smaller file, so a wrong or mixed-up dataset is reported at once.
      const testSet = await loadDataset(flags.dataset, 'test', loadOptions);
      const trainSet = await loadDataset(flags.dataset, 'train', loadOptions);
      for (const line of trainSet.notes) note(`note: ${line}`);
      note(
        `${trainSet.name}: ${trainSet.count} training / ${testSet.count} test images from ${trainSet.directory}${trainSet.verified ? ' (SHA-256 verified)' : ' (unverified)'}`,
      );
      const progress = epochProgress(flags.epochs, true);
      const result = await trainOnDataset(
        settings,
        { train: trainSet, test: testSet },
        {
          onBatch: (p) => progress.update(p),
          onEpoch: (epoch, logs, seconds) => progress.finishEpoch(epoch, formatEpochLine(epoch, flags.epochs, seconds, logs)),
        },
      );
      progress.stop();
      report(result, flags.json, (performance.now() - started) / 1000);
      if (result.nonFinite || result.divergence.length > 0) process.exitCode = 3;
    });
}

function report(result: TrainingResult, json: boolean, totalSeconds: number): void {
  const c = result.config;
  const out = json ? process.stderr : process.stdout;
  if (result.nonFinite) {
    const n = result.nonFinite;
    out.write(
      `Training stopped: the loss became ${n.value} at epoch ${n.epoch + 1}, batch ${n.batch + 1} (optimizer step ${n.step + 1}).\n` +
        `  Try: a smaller learning rate (--lr ${(c.learningRate / 10).toPrecision(2)}), normalized inputs (--normalize scale), or --dtype float64 to see whether float32 precision is the cause.\n`,
    );
  } else {
    for (const d of result.divergence) out.write(`Warning: ${d.message}.\n  Try: ${d.hint}.\n`);
    out.write(
      `Test: loss ${result.test.loss.toFixed(4)}, accuracy ${result.test.acc.toFixed(4)} ` +
        `(${c.optimizer} lr ${c.learningRate}, units ${c.units.join(',')} ${c.activation}, normalize ${c.normalize} = ${result.normalization}, ${c.dtype}, ${c.backend}; ` +
        `${result.secondsPerEpoch.toFixed(2)} s/epoch)\n`,
    );
  }
  if (json) printJson({ ...result, totalSeconds });
}
