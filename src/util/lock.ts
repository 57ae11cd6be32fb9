/**
 * A lock file that keeps two normlab processes from writing the same outputs at once (two `normlab why`
 * runs into one --out would otherwise interleave their why.json and why.html). The file holds the owner's
 * pid; a lock whose owner no longer runs (killed, machine restarted) is stale and is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { NormlabError } from '../errors.js';

/** What the lock file holds (written below); read back through this schema, never by a cast. */
const LockOwner = z.object({ pid: z.number().int().positive().optional(), host: z.string().optional() });
type LockOwner = z.infer<typeof LockOwner>;

export interface FolderLock {
  path: string;
  release(): void;
}

function ownerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, but someone else's
  }
}

/** Takes `<dir>/.normlab-<name>.lock` or throws a NormlabError naming the process that holds it. */
export function acquireFolderLock(dir: string, name: string): FolderLock {
  const path = join(dir, `.normlab-${name}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new NormlabError('write', `cannot create the lock file ${path}: ${(error as Error).message}`, 'choose a folder you can write to');
      let owner: LockOwner = {};
      try {
        // Anything but the object this function writes (null, a number, a pid as text) reads as "unknown owner".
        const parsed = LockOwner.safeParse(JSON.parse(readFileSync(path, 'utf8')));
        if (parsed.success) owner = parsed.data;
      } catch {
        // unreadable or half-written by a writer that just started: treat as held unless it is old news
      }
      const sameHost = owner.host === undefined || owner.host === hostname();
      if (typeof owner.pid === 'number' && sameHost && !ownerAlive(owner.pid)) {
        rmSync(path, { force: true });
        continue;
      }
      throw new NormlabError(
        'busy',
        `another normlab ${name} (pid ${owner.pid ?? 'unknown'}) is writing into ${dir}`,
        `wait for it to finish or choose another folder; if no such process runs, delete ${path}`,
      );
    }
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() }));
    closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.removeListener('exit', release);
      rmSync(path, { force: true });
    };
    process.on('exit', release);
    return { path, release };
  }
  throw new NormlabError('busy', `cannot take the lock ${path}`, `delete ${path} if no normlab ${name} is running`);
}
