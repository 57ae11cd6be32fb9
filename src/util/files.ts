/**
 * Writing files so that a failure never leaves a half-written one: every output normlab writes (why.json,
 * why.html, model.json, weights.bin, grade reports, grades.csv, assignment starters) goes to a temporary
 * file in the same folder, which is renamed over the target only once it is complete. A rename within one
 * file system is atomic, so readers see the old file or the new one, never a mix, and a full disk, a size
 * limit or a crash keeps the previous file. The temporary name is unique per call (pid + random), so two
 * writers of one file never write into each other's temporary file; the last rename wins.
 *
 * Folders are created one level at a time instead of with `mkdir({recursive: true})`: Node 20's recursive
 * mkdir spins at 100% CPU forever under /proc (it retries the ENOENT that /proc gives for a new entry).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';
import { NormlabError } from '../errors.js';

export type FileData = string | Uint8Array;

/** A fresh temporary name next to `path`: hidden, unique per process and call, recognisable as ours. */
export function temporaryNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** What an errno means to someone who has to fix it, and what to try. */
function explain(error: NodeJS.ErrnoException): { reason: string; hint: string } {
  switch (error.code) {
    case 'ENOSPC':
      return { reason: 'the disk is full', hint: 'free some disk space (or choose another folder) and run again' };
    case 'EDQUOT':
      return { reason: 'the disk quota is used up', hint: 'free some space in your quota and run again' };
    case 'EFBIG':
      return { reason: 'the file is larger than this process may write (ulimit -f)', hint: 'raise the file size limit (ulimit -f) or write somewhere else' };
    case 'EACCES':
    case 'EPERM':
      return { reason: 'permission denied', hint: 'choose a folder you can write to' };
    case 'EROFS':
      return { reason: 'the file system is read-only', hint: 'choose a folder on a writable file system' };
    case 'ENOENT':
      return { reason: 'the folder does not exist (was it deleted?)', hint: 'create the folder again, or choose another one' };
    case 'ENOTDIR':
      return { reason: 'a part of the path is a file, not a folder', hint: 'choose a path whose parents are folders' };
    case 'EISDIR':
      return { reason: 'a folder with that name is in the way', hint: 'remove the folder or choose another file name' };
    default:
      return { reason: error.message, hint: 'check the path and the free space, then run again' };
  }
}

/** The NormlabError for a failed write of `path`, which says the previous file (if any) is unchanged. */
export function writeError(path: string, error: unknown): NormlabError {
  if (error instanceof NormlabError) return error;
  const e = error as NodeJS.ErrnoException;
  const { reason, hint } = explain(e);
  const code = e.code && !reason.includes(e.code) ? ` (${e.code})` : '';
  return new NormlabError('write', `could not write ${path}: ${reason}${code}; any previous ${basename(path)} is unchanged`, hint);
}

/** The folders from the file system root down to `dir` that may need creating, outermost first. */
function foldersDownTo(dir: string): string[] {
  const absolute = resolve(dir);
  const root = parse(absolute).root;
  const parts = absolute.slice(root.length).split(sep).filter(Boolean);
  return parts.map((_, i) => root + parts.slice(0, i + 1).join(sep));
}

function folderError(folder: string, error: unknown): NormlabError {
  const e = error as NodeJS.ErrnoException;
  const { reason, hint } = e.code === 'ENOENT' ? { reason: 'this location does not allow new folders', hint: 'choose another folder' } : explain(e);
  return new NormlabError('write', `cannot create the folder ${folder}: ${reason}${e.code ? ` (${e.code})` : ''}`, hint);
}

/**
 * How many of `folders` (outermost first) already exist: the walk goes up from the target, not down from
 * the root, so nothing above the deepest existing folder is looked at. A process may not be allowed to
 * look there: Node's permission model refuses a stat of /tmp to a model.save in the grader's sandbox
 * (and the grader records every refused attempt). A file in the way is an error.
 */
function existingPrefix(dir: string, folders: string[], kinds: (boolean | undefined)[]): number {
  for (let i = folders.length; i > 0; i--) {
    const isDir = kinds[i - 1];
    if (isDir === true) return i;
    if (isDir === false)
      throw new NormlabError(
        'write',
        `cannot create the folder ${dir}: ${folders[i - 1]} is a file, not a folder (ENOTDIR)`,
        'choose a path whose parents are folders',
      );
  }
  return 0;
}

/** Creates `dir` and its missing parents one level at a time (see the file comment); a clear error otherwise. */
export function makeDirsSync(dir: string): void {
  const folders = foldersDownTo(dir);
  const kinds: (boolean | undefined)[] = new Array(folders.length);
  // from the deepest up, stopping at the first that exists
  for (let i = folders.length - 1; i >= 0; i--) {
    try {
      kinds[i] = statSync(folders[i]).isDirectory();
    } catch {
      kinds[i] = undefined;
    }
    if (kinds[i] !== undefined) break;
  }
  for (const folder of folders.slice(existingPrefix(dir, folders, kinds))) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statSync(folder).isDirectory()) continue; // created meanwhile
      throw folderError(folder, error);
    }
  }
}

/** The async form of makeDirsSync. */
export async function makeDirs(dir: string): Promise<void> {
  const folders = foldersDownTo(dir);
  const kinds: (boolean | undefined)[] = new Array(folders.length);
  for (let i = folders.length - 1; i >= 0; i--) {
    try {
      kinds[i] = (await stat(folders[i])).isDirectory();
    } catch {
      kinds[i] = undefined;
    }
    if (kinds[i] !== undefined) break;
  }
  for (const folder of folders.slice(existingPrefix(dir, folders, kinds))) {
    try {
      await mkdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(folder)).isDirectory()) continue;
      throw folderError(folder, error);
    }
  }
}

export interface WriteOptions {
  /** Permission bits of the new file (default 0o644 before the umask). */
  mode?: number;
  /** Create missing parent folders first (default true). */
  makeParents?: boolean;
}

/**
 * Writes `data` to `path` atomically (temporary file in the same folder, fsync, rename). On failure the
 * temporary file is removed, the previous file is untouched, and the error is a NormlabError that says so.
 */
export function writeFileAtomicSync(path: string, data: FileData, options: WriteOptions = {}): void {
  if (options.makeParents !== false) makeDirsSync(dirname(path));
  const temp = temporaryNameFor(path);
  try {
    const fd = openSync(temp, 'wx', options.mode ?? 0o644);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let written = 0;
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
      // Without fsync, a power cut after the rename can leave an empty file under the final name.
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw writeError(path, error);
  }
}

/** The async form of writeFileAtomicSync. */
export async function writeFileAtomic(path: string, data: FileData, options: WriteOptions = {}): Promise<void> {
  if (options.makeParents !== false) await makeDirs(dirname(path));
  const temp = temporaryNameFor(path);
  try {
    const handle = await open(temp, 'wx', options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw writeError(path, error);
  }
}
