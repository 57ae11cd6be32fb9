/**
 * `normlab assignment package <id> --gradescope OUT.zip` (the autograder zip to upload to Gradescope) and
 * `normlab assignment autograde <id>` (what that zip's run_autograder runs for each submission).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ASSIGNMENTS } from '../../grader/assignment.js';
import { autograde } from '../../grader/gradescope/autograde.js';
import { writeGradescopePackage } from '../../grader/gradescope/package.js';
import { gradeSettingFlags } from '../grade-flags.js';
import { oneOf } from '../options.js';
import { note } from '../output.js';

interface Settings {
  split: 'train' | 'test';
  timeout: number;
  memory: number;
}

export function registerAssignmentPackage(cmd: Command): void {
  gradeSettingFlags(
    cmd
      .command('package')
      .description('build the Gradescope autograder zip (setup.sh, run_autograder, this normlab) for an assignment')
      .argument('<assignment>', Object.keys(ASSIGNMENTS).join(', '), oneOf(Object.keys(ASSIGNMENTS)))
      .requiredOption('--gradescope <zip>', 'where to write the autograder zip'),
  ).action(async (id: string, flags: Settings & { gradescope: string }) => {
    const out = resolve(flags.gradescope);
    const entries = await writeGradescopePackage(id, out, { split: flags.split, timeoutS: flags.timeout, memoryMB: flags.memory });
    process.stdout.write(`wrote ${out} (${entries.length} files)\n`);
    note('Upload it in Gradescope: assignment → Configure Autograder → Zip file upload → Update Autograder.');
  });

  gradeSettingFlags(
    cmd
      .command('autograde')
      .description("grade <root>/submission and write <root>/results/results.json (Gradescope's run_autograder calls this)")
      .argument('<assignment>', Object.keys(ASSIGNMENTS).join(', '), oneOf(Object.keys(ASSIGNMENTS)))
      .option('--root <dir>', 'the autograder folder (default: $AUTOGRADER_ROOT or /autograder)')
      .option('--data-dir <dir>', 'folder holding the MNIST files'),
  ).action(async (id: string, flags: Settings & { root?: string; dataDir?: string }) => {
    const root = resolve(flags.root ?? process.env.AUTOGRADER_ROOT ?? '/autograder');
    const r = await autograde(id, root, { dataDir: flags.dataDir, split: flags.split, limits: { timeoutS: flags.timeout, memoryMB: flags.memory } });
    note(`score ${String(r.score)}; results written to ${resolve(root, 'results', 'results.json')}`);
  });
}
