/** `normlab assignment init <id> [dir]`: write an assignment's starter files for a learner. */
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { ASSIGNMENTS, initAssignment } from '../../grader/assignment.js';
import { oneOf } from '../options.js';
import { note } from '../output.js';
import { registerAssignmentPackage } from './assignment-package.js';

export function registerAssignment(program: Command): void {
  const cmd = program.command('assignment').description('graded assignments: write the starter files for a learner');
  cmd
    .command('init')
    .description('write the starter module (with TODOs) and the README of an assignment into a folder')
    .argument('<assignment>', Object.keys(ASSIGNMENTS).join(', '), oneOf(Object.keys(ASSIGNMENTS)))
    .argument('[dir]', 'folder to write into (default: ./<assignment>)')
    .option('--force', 'overwrite files that already exist', false)
    .action((id: string, dir: string | undefined, flags: { force: boolean }) => {
      const target = resolve(dir ?? id);
      const a = ASSIGNMENTS[id];
      const { written, kept } = initAssignment(id, target, { force: flags.force });
      for (const f of written) process.stdout.write(`wrote ${relative(process.cwd(), f) || f}\n`);
      for (const f of kept) note(`kept ${relative(process.cwd(), f) || f} (it exists; --force overwrites it)`);
      const starter = a.starterFiles.find((f) => f.to.endsWith('.ts'))?.to ?? '';
      process.stdout.write(
        `\n${a.title}: edit ${relative(process.cwd(), resolve(target, starter)) || starter}, then check it with\n  normlab grade ${relative(process.cwd(), resolve(target, starter))}\n`,
      );
    });
  registerAssignmentPackage(cmd);
}
