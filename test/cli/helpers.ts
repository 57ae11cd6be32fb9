/**
 * Running the CLI from source (so tests never depend on a stale build) and a small real dataset:
 * the first N Fashion-MNIST images of each split written as raw IDX files in a temp folder, loaded
 * through `--dataset idx:DIR`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { FASHION_DIR as FASHION } from '../shared-data.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, ...options.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The last stdout line, parsed (the --json contract). */
export function lastJsonLine(stdout: string): any {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

const tempDirs: string[] = [];
process.on('exit', () => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A folder with the first `train`/`test` Fashion-MNIST images as raw (uncompressed) IDX files. */
export function fashionSlice(train: number, test: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'normlab-cli-'));
  tempDirs.push(dir);
  for (const [prefix, count] of [
    ['train', train],
    ['t10k', test],
  ] as const) {
    const images = gunzipSync(readFileSync(join(FASHION, `${prefix}-images-idx3-ubyte.gz`)));
    const labels = gunzipSync(readFileSync(join(FASHION, `${prefix}-labels-idx1-ubyte.gz`)));
    const imageHeader = Buffer.from(images.subarray(0, 16));
    imageHeader.writeUInt32BE(count, 4);
    const labelHeader = Buffer.from(labels.subarray(0, 8));
    labelHeader.writeUInt32BE(count, 4);
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), Buffer.concat([imageHeader, images.subarray(16, 16 + count * 784)]));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), Buffer.concat([labelHeader, labels.subarray(8, 8 + count)]));
  }
  return dir;
}
