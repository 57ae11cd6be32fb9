/**
 * `normlab why`: the measured answer to "why does normalization change the results so much?".
 * Runs the normalization study (src/lab/study), writes why.html and why.json into --out, and prints the
 * terminal summary (or, with --json, the whole result as one JSON line on stdout).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { NormlabError } from '../../errors.js';
import { makeDirsSync, writeFileAtomicSync } from '../../util/files.js';
import { stringifyJson } from '../../util/json.js';
import { acquireFolderLock } from '../../util/lock.js';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { resolveBackendName } from '../../lab/training.js';
import { runStudy } from '../../lab/study/study.js';
import { studyExecutor } from '../../lab/study/executor.js';
import type { StudyResult } from '../../lab/study/types.js';
import { STUDY_GROUPS } from '../../lab/study/types.js';
import { parseStudyOptions, STUDY_LIMITS } from '../../lab/study/options.js';
import { chartJsUmdSource } from '../../report/assets.js';
import { deriveFindings, type Findings } from '../../report/findings.js';
import { seconds } from '../../report/format.js';
import { studyHtml } from '../../report/html.js';
import { studySummary } from '../../report/terminal.js';
import { backendChoice, datasetSpec, integer, listOf, positiveNumber } from '../options.js';
import { note, printJson } from '../output.js';

interface WhyFlags {
  dataset: string;
  dataDir?: string;
  download: boolean;
  epochs?: number;
  seeds?: number;
  runs?: string[];
  quick: boolean;
  out: string;
  json: boolean;
  backend: string;
  workers: number;
  sweep?: number[];
  reparamSteps?: number;
  html: boolean;
}

/** The flag behind each study option the command sets. */
const WHY_FLAGS: Record<string, string> = {
  dataset: '--dataset',
  dataDir: '--data-dir',
  epochs: '--epochs',
  seeds: '--seeds',
  runs: '--runs',
  backend: '--backend',
  workers: '--workers',
  sweepLearningRates: '--sweep',
  reparamMaxSteps: '--reparam-steps',
};

/** The JSON written to why.json and printed by --json: the study, its findings, and nothing bulky twice. */
export function whyJson(study: StudyResult, findings: Findings): unknown {
  return {
    ...study,
    // Probe-batch outputs (2 × rows × classes per run) only feed the reparametrisation check, whose
    // results are in `reparam`; the per-step losses stay.
    runs: study.runs.map(({ outputs: _outputs, ...run }) => run),
    findings,
  };
}

/** Create --out if needed and make sure files can be written there; a clear error otherwise. */
function prepareOutDir(dir: string): void {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory())
      throw new NormlabError('flag', `--out ${dir} is a file, not a directory`, 'pass a directory for why.html and why.json, e.g. --out results');
    makeDirsSync(dir);
    accessSync(dir, constants.W_OK);
  } catch (error) {
    if (error instanceof NormlabError) throw error;
    throw new NormlabError('flag', `cannot write to --out ${dir}: ${(error as Error).message}`, 'pass a directory you can write to, e.g. --out results');
  }
}

export function registerWhy(program: Command, backends: readonly string[]): void {
  program
    .command('why')
    .description(
      'measure why input normalization changes the results: controlled runs, diagnostics, the reparametrisation check, sigmoid/softmax tables; writes why.html and why.json',
    )
    .option('--dataset <name>', 'fashion-mnist, mnist, or idx:DIR', datasetSpec, 'fashion-mnist')
    .option('--data-dir <dir>', 'directory holding the dataset files (also: NORMLAB_DATA_DIR)')
    .option('--no-download', 'never download missing dataset files')
    .option('--epochs <n>', 'epochs per run (default 2; 1 with --quick)', integer(STUDY_LIMITS.epochs.min, STUDY_LIMITS.epochs.max))
    .option(
      '--seeds <n>',
      'seeds 1..n for every comparison: mean, spread and 95% interval (default 5; 2 with --quick)',
      integer(STUDY_LIMITS.seeds.min, STUDY_LIMITS.seeds.max),
    )
    .option(
      '--runs <list>',
      `only these groups (${STUDY_GROUPS.join(', ')}) or runs whose key contains the text, e.g. main,sweep or none·sgd`,
      listOf((s) => s, 'groups or run keys'),
    )
    .option('--quick', 'a small slice (1000 training / 500 test images, 1 epoch, 2 seeds): for tests and a first look', false)
    .option('--out <dir>', 'where to write why.html and why.json', '.')
    .option('--no-html', 'write only why.json')
    .option('--json', 'print the whole result as one JSON object on the last line of stdout', false)
    .option('--backend <name>', backends.join(' or '), backendChoice(backends), backends.includes('wasm') ? 'wasm' : 'reference')
    .option(
      '--workers <n>',
      'runs in parallel (worker threads; 1 = in this process)',
      integer(STUDY_LIMITS.workers.min, STUDY_LIMITS.workers.max),
      Math.max(1, Math.min(2, cpus().length)),
    )
    .option('--sweep <rates>', 'learning rates of the raw-input Adam sweep, e.g. 3e-4,1e-4', listOf(positiveNumber, 'learning rates'))
    .option(
      '--reparam-steps <n>',
      'stop the float64 reparametrisation pair after n steps (default: the full run)',
      integer(STUDY_LIMITS.reparamMaxSteps.min, STUDY_LIMITS.reparamMaxSteps.max),
    )
    .action(async (flags: WhyFlags) => {
      const started = performance.now();
      // Checked before anything else, so a bad value is named by its flag (--sweep, not sweepLearningRates).
      const options = parseStudyOptions(
        {
          dataset: flags.dataset,
          dataDir: flags.dataDir,
          download: flags.download,
          epochs: flags.epochs,
          seeds: flags.seeds,
          runs: flags.runs,
          quick: flags.quick,
          backend: flags.backend,
          workers: flags.workers,
          sweepLearningRates: flags.sweep,
          reparamMaxSteps: flags.reparamSteps,
        },
        (path) => WHY_FLAGS[String(path[0])] ?? String(path[0]),
      );
      // Check --out before minutes of training, not after.
      prepareOutDir(resolve(flags.out));
      // One run per --out at a time: two would interleave their why.json and why.html.
      const lock = acquireFolderLock(resolve(flags.out), 'why');
      const backend = resolveBackendName(flags.backend);
      if (backend !== flags.backend) note(`note: the '${flags.backend}' backend is not available here; using '${backend}' (slower)`);
      const executor = await studyExecutor(flags.workers);
      let total = 0;
      const study = await runStudy(
        { ...options, backend, workers: executor.workers },
        {
          execute: executor.execute,
          environment: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length },
          onPlan: (specs, o) => {
            total = specs.length;
            note(
              `normlab why: ${specs.length} runs on ${o.dataset}${o.quick ? ' (--quick slice)' : ''}, ${o.epochs} epoch(s) each, ` +
                `${executor.workers} at a time on the '${backend}' backend${executor.workers > 1 ? ' (worker threads)' : ''}`,
            );
          },
          onRunDone: (r, done) => {
            const acc = Number.isFinite(r.test.acc)
              ? `test acc ${(r.test.acc * 100).toFixed(1)}%`
              : `stopped: loss ${r.nonFinite.loss?.value} at step ${r.nonFinite.loss?.step}`;
            note(`  [${String(done).padStart(String(total).length)}/${total}] ${r.spec.id.padEnd(34)} ${acc.padEnd(16)} ${r.seconds.toFixed(1)} s`);
          },
        },
      ).finally(() => executor.close());
      const findings = deriveFindings(study);
      const outDir = resolve(flags.out);
      const payload = whyJson(study, findings);
      const jsonPath = join(outDir, 'why.json');
      const htmlPath = flags.html ? join(outDir, 'why.html') : null;
      // Each file is written atomically; a failed write keeps the previous report and is reported after
      // the summary, so minutes of measurements still reach the terminal.
      let writeFailure: unknown;
      try {
        writeFileAtomicSync(jsonPath, `${stringifyJson(payload)}\n`);
        if (htmlPath) writeFileAtomicSync(htmlPath, studyHtml(study, findings, { chartJs: chartJsUmdSource(), jsonName: 'why.json' }));
      } catch (error) {
        writeFailure = error;
      }
      const out = flags.json ? process.stderr : process.stdout;
      out.write(`${studySummary(study, findings, { color: Boolean(out.isTTY), width: Math.min(120, (out as NodeJS.WriteStream).columns || 100) })}\n\n`);
      lock.release();
      if (writeFailure) throw writeFailure;
      out.write(`Wrote ${htmlPath ? `${htmlPath} and ` : ''}${jsonPath} (${seconds((performance.now() - started) / 1000)} in all).\n`);
      if (flags.json) printJson(payload);
    });
}
