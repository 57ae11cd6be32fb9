/**
 * The grading settings every grading command takes — `grade`, `grade serve`/`worker`, `assignment package`
 * and `autograde` — with GradeSettingsSchema's limits and defaults (GRADE_LIMITS), written once.
 */
import type { Command } from 'commander';
import { GRADE_LIMITS } from '../grader/queue/identity.js';
import { integer, oneOf } from './options.js';

/** --split, --timeout and --memory on `cmd` (they become flags.split, flags.timeout, flags.memory). */
export function gradeSettingFlags(cmd: Command): Command {
  return cmd
    .option('--split <split>', 'MNIST split the submissions train on: train or test', oneOf(['train', 'test'] as const), 'train')
    .option(
      '--timeout <seconds>',
      'wall-clock limit per submission (CPU time is capped at this + 5 s)',
      integer(GRADE_LIMITS.timeoutS.min, GRADE_LIMITS.timeoutS.max),
      GRADE_LIMITS.timeoutS.default,
    )
    .option('--memory <MiB>', 'memory cap per submission', integer(GRADE_LIMITS.memoryMB.min, GRADE_LIMITS.memoryMB.max), GRADE_LIMITS.memoryMB.default);
}
