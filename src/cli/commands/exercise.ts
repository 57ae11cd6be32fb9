/**
 * `normlab exercise <1-8>`: run one of the "Beyond Hello World" lab's exercises on Fashion-MNIST and print
 * the question, the measurement and the takeaway. `normlab exercises` lists them.
 */
import { cpus } from 'node:os';
import type { Command } from 'commander';
import { studyExecutor } from '../../lab/study/executor.js';
import { InvalidArgumentError } from 'commander';
import { loadDataset } from '../../data/dataset.js';
import { DEFAULT_EPOCHS, EXERCISES, SHORT_FORMS, runExercise } from '../../lab/exercises.js';
import { resolveBackendName } from '../../lab/training.js';
import { exerciseReport, renderExercise } from '../../report/exercises.js';
import { NormlabError } from '../../errors.js';
import { backendChoice, integer } from '../options.js';
import { note, printJson } from '../output.js';

interface ExerciseFlags {
  dataDir?: string;
  download: boolean;
  epochs?: number;
  seed: number;
  backend: string;
  quick: boolean;
  full: boolean;
  workers: number;
  json: boolean;
}

function exerciseNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > EXERCISES.length) {
    throw new InvalidArgumentError(`expected an exercise number from 1 to ${EXERCISES.length} (normlab exercises lists them).`);
  }
  return n;
}

/**
 * Both splits of Fashion-MNIST, the test split first: it is the smaller file, so MNIST digits in the
 * folder are reported as the known mix-up rather than as a missing train split. The exercises have no
 * --dataset flag, so the identity error's hint is about --data-dir only.
 */
async function loadFashionMnist(options: { dataDir?: string; download: boolean }) {
  try {
    const test = await loadDataset('fashion-mnist', 'test', options);
    const train = await loadDataset('fashion-mnist', 'train', options);
    return [train, test] as const;
  } catch (error) {
    if (error instanceof NormlabError && error.code === 'dataset-identity') {
      throw new NormlabError(
        error.code,
        error.message,
        "the exercises run on Fashion-MNIST: point --data-dir at its files (e.g. /usr/share/datasets/fashion-mnist after `sudo apt-get install dataset-fashion-mnist`), or drop --data-dir to use normlab's cache",
      );
    }
    throw error;
  }
}

export function registerExercise(program: Command, backends: readonly string[]): void {
  program
    .command('exercises')
    .description("list the lab's exercises")
    .option('--json', 'print the list as JSON', false)
    .action((flags: { json: boolean }) => {
      if (flags.json) {
        printJson(EXERCISES.map((e) => ({ ...e, defaultEpochs: DEFAULT_EPOCHS[e.n], shortForm: SHORT_FORMS[e.n] ?? null })));
        return;
      }
      for (const e of EXERCISES) {
        const short = SHORT_FORMS[e.n];
        process.stdout.write(
          `${e.n}. ${e.title}\n   ${e.question}\n${short ? `   (runs a short form by default: ${short.description}; --full for ${short.full})\n` : ''}`,
        );
      }
      process.stdout.write('\nRun one with: normlab exercise <n>   (e.g. normlab exercise 7)\n');
    });

  program
    .command('exercise')
    .description("run one of the lab's exercises on Fashion-MNIST: the question, the measurement, the takeaway")
    .argument('<n>', `exercise number, 1–${EXERCISES.length}`, exerciseNumber)
    .option('--data-dir <dir>', 'directory holding the Fashion-MNIST files (also: NORMLAB_DATA_DIR)')
    .option('--no-download', 'never download missing dataset files')
    .option('--epochs <n>', "epochs (default: the lab's — 5, 30 for exercise 6, 10 at most for 8; 2 in exercise 2's short form)", integer(1, 1000))
    .option('--seed <n>', 'seed for initial weights and shuffling', integer(0, 2 ** 32 - 1), 1)
    .option('--backend <name>', backends.join(' or '), backendChoice(backends), backends.includes('wasm') ? 'wasm' : 'reference')
    .option('--quick', 'use the first 2000 training / 1000 test images (a quick look; numbers are rougher)', false)
    .option('--full', "exercises 2 and 6: the lab's full version (2: 5 epochs per model; 6: all 60 000 images) instead of the short form", false)
    .option('--workers <n>', 'exercise 7: runs in parallel (worker threads; 1 = in this process)', integer(1, 64), Math.max(1, Math.min(2, cpus().length)))
    .option('--json', 'print the result as one JSON object on the last line of stdout', false)
    .action(async (n: number, flags: ExerciseFlags) => {
      const backend = resolveBackendName(flags.backend);
      if (backend !== flags.backend) note(`note: the '${flags.backend}' backend is not available here; using '${backend}' (slower)`);
      const loadOptions = { dataDir: flags.dataDir, download: flags.download };
      const [train, test] = await loadFashionMnist(loadOptions);
      const info = EXERCISES[n - 1];
      note(`Exercise ${n}: ${info.title} — running…`);
      // Exercise 7's four runs are independent: run them on the worker pool, two at a time.
      const executor = n === 7 ? await studyExecutor(flags.workers) : undefined;
      const result = await runExercise(
        n,
        { train, test },
        {
          backend,
          seed: flags.seed,
          epochs: flags.epochs,
          full: flags.full,
          trainLimit: flags.quick ? 2000 : undefined,
          testLimit: flags.quick ? 1000 : undefined,
          onProgress: (line) => note(line),
          execute: executor?.execute,
        },
      ).finally(() => executor?.close());
      const report = exerciseReport(result);
      const out = flags.json ? process.stderr : process.stdout;
      out.write(`\n${renderExercise(report)}\n`);
      if (flags.json) printJson({ ...result, report });
    });
}
