/**
 * Sandbox processes left behind by a worker that died. A SIGKILLed worker cannot stop the sandboxed child
 * it was grading (Node has no parent-death signal, and the child runs in its own process group), so every
 * worker keeps its scratch files under a folder named after its pid, `normlab-worker-<pid>-…`, which the
 * child's command line mentions. Any worker on the machine, at start and then periodically, kills the
 * processes whose command line names the folder of a worker that is no longer alive, and removes the folder.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const WORKER_DIR_PREFIX = 'normlab-worker-';
const OWNER = new RegExp(`${WORKER_DIR_PREFIX}(\\d+)-`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLine(pid: string): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.split(') ')[1]?.[0] === 'Z') return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** Processes whose command line mentions a worker folder (of any worker, or of the one with `ownerPid`). */
export function workerProcesses(ownerPid?: number): { pid: number; owner: number }[] {
  const out: { pid: number; owner: number }[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out; // not Linux: nothing to scan
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const cmd = commandLine(e);
    const m = cmd && OWNER.exec(cmd);
    if (!m) continue;
    const owner = Number(m[1]);
    if (ownerPid === undefined || owner === ownerPid) out.push({ pid: Number(e), owner });
  }
  return out;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Kills the sandbox processes of dead workers and removes their folders; returns how many processes. */
export function reapOrphans(root = tmpdir()): number {
  const orphans = workerProcesses().filter((p) => p.owner !== process.pid && !alive(p.owner));
  for (const p of orphans) kill(p.pid);
  try {
    for (const name of readdirSync(root)) {
      const m = OWNER.exec(name);
      if (m && name.startsWith(WORKER_DIR_PREFIX) && !alive(Number(m[1]))) rmSync(join(root, name), { recursive: true, force: true });
    }
  } catch {
    /* the temp folder is not listable: nothing to remove */
  }
  return orphans.length;
}

/** Kills this process's own sandbox children (a worker handing its jobs back on shutdown). */
export function killOwnSandboxes(): number {
  const mine = workerProcesses(process.pid);
  for (const p of mine) kill(p.pid);
  return mine.length;
}
