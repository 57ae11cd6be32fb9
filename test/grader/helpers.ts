/**
 * Shared by the grader tests: where the MNIST test split is (the training data the grader hands to
 * submissions in CI), copies of the corpus with the repository path filled in, and a scan of /proc for
 * processes a sandboxed run left behind.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CORPUS = join(REPO_ROOT, 'test/grader/corpus');
export const REFERENCE = join(REPO_ROOT, 'assignments/callbacks/solution.ts');
/** The lab's offline MNIST copy (test split only), see test/shared-data.ts. */
export { MNIST_TEST_DIR as MNIST_DIR, NO_MNIST } from '../shared-data.js';

const tempDirs: string[] = [];
process.on('exit', () => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

export function tempDir(prefix = 'normlab-grader-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

/**
 * Copies corpus files into a fresh folder (outside the repository, as a learner's files would be),
 * replacing __REPO_ROOT__ with this checkout's path so hostile cases aim at real files.
 */
export function corpusCopy(names?: string[]): { dir: string; files: { file: string; name: string }[] } {
  const dir = tempDir('normlab-corpus-');
  const list =
    names ??
    readdirSync(CORPUS)
      .filter((n) => /\.(ts|js)$/.test(n))
      .sort();
  const files = list.map((name) => {
    const file = join(dir, name);
    writeFileSync(file, readFileSync(join(CORPUS, name), 'utf8').replaceAll('__REPO_ROOT__', REPO_ROOT));
    return { file, name };
  });
  return { dir, files };
}

/** Live processes whose command line mentions `marker` (e.g. a grading session's scratch folder). */
export function processesMentioning(marker: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const state = readFileSync(`/proc/${e}/stat`, 'utf8').split(') ')[1]?.[0];
      if (cmd.includes(marker) && state !== 'Z') out.push({ pid: Number(e), cmd: cmd.slice(0, 200) });
    } catch {
      /* gone */
    }
  }
  return out;
}
