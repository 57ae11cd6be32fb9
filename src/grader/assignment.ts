/**
 * The graded assignments. Each one has its learner-facing files in assignments/<id>/ (README.md,
 * starter.ts, and the reference solution the tests use) and its constants here.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NormlabError } from '../errors.js';
import { makeDirsSync, writeFileAtomicSync } from '../util/files.js';
import { closestName } from '../util/suggest.js';
import { packageRoot } from './runtime.js';

export interface Assignment {
  id: string;
  title: string;
  /** The function the submission exports. */
  entry: string;
  /** Epochs fit must be asked for. */
  epochs: number;
  /** Training must have been stopped by the callback after at most this many epochs. */
  stopBy: number;
  /** Training accuracy must exceed this when training stops. */
  threshold: number;
  /** What the callback prints when it stops training. */
  message: string;
  /** Files copied by `normlab assignment init` (source in assignments/<id>/ → name in the target). */
  starterFiles: { from: string; to: string }[];
}

export const CALLBACKS: Assignment = {
  id: 'callbacks',
  title: 'Stop training with a callback',
  entry: 'trainMnist',
  epochs: 10,
  stopBy: 8,
  threshold: 0.99,
  message: 'Reached 99% accuracy so cancelling training!',
  starterFiles: [
    { from: 'starter.ts', to: 'train-mnist.ts' },
    { from: 'README.md', to: 'README.md' },
  ],
};

export const ASSIGNMENTS: Record<string, Assignment> = { callbacks: CALLBACKS };

export function getAssignment(id: string): Assignment {
  const a = ASSIGNMENTS[id];
  if (!a) {
    const s = closestName(id, Object.keys(ASSIGNMENTS));
    throw new NormlabError('assignment', `unknown assignment '${id}'`, s ? `did you mean '${s}'?` : `available: ${Object.keys(ASSIGNMENTS).join(', ')}`);
  }
  return a;
}

export function assignmentDir(id: string): string {
  return join(packageRoot, 'assignments', id);
}

/** Writes the starter files into `target` (created if needed). Existing files are kept unless `force`. */
export function initAssignment(id: string, target: string, options: { force?: boolean } = {}): { written: string[]; kept: string[] } {
  const a = getAssignment(id);
  const dir = resolve(target);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new NormlabError('flag', `${dir} is a file, not a folder`, `choose a folder for the assignment, e.g. normlab assignment init ${id} ${id}-work`);
  }
  makeDirsSync(dir);
  const written: string[] = [];
  const kept: string[] = [];
  for (const f of a.starterFiles) {
    const src = join(assignmentDir(id), f.from);
    if (!existsSync(src)) throw new NormlabError('setup', `the assignment file ${src} is missing from this normlab installation`);
    const dest = join(dir, f.to);
    if (existsSync(dest) && statSync(dest).isDirectory()) {
      throw new NormlabError('flag', `cannot write ${dest}: a folder with that name is in the way`, `remove or rename the folder ${dest}`);
    }
    if (existsSync(dest) && !options.force) {
      kept.push(dest);
      continue;
    }
    writeFileAtomicSync(dest, readFileSync(src), { makeParents: false });
    written.push(dest);
  }
  return { written, kept };
}
