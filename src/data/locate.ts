/**
 * Where a named dataset's files are found. Search order:
 *   1. `--data-dir DIR` (LoadOptions.dataDir) — exclusive: when given, it is the only place searched
 *      and nothing is downloaded. The learner said "use these files"; quietly taking another copy would
 *      hide a wrong path, and a wrong path is the lab's classic mix-up.
 *   1'. otherwise NORMLAB_DATA_DIR, searched first, falling through (it is a standing preference);
 *   2. the user cache: <env-paths('normlab').cache>/datasets/<name> (downloads go here);
 *   3. system packages: Debian's /usr/share/datasets/fashion-mnist (fashion-mnist only).
 * A data directory may hold the files directly or in a <name>/ subfolder, so one NORMLAB_DATA_DIR can
 * serve both datasets (their file names are identical).
 *
 * A directory counts for a split when it holds both of the split's files, each under its official name
 * gzipped (`t10k-images-idx3-ubyte.gz`) or raw (`t10k-images-idx3-ubyte`); Kaggle's dotted spelling
 * (`t10k-images.idx3-ubyte`) is accepted too.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import envPaths from 'env-paths';
import { NormlabError } from '../errors.js';
import { DATASETS, officialFiles, type DatasetName, type FileKind, type Split } from './registry.js';

export type PlaceSource = 'data-dir' | 'env' | 'cache' | 'system';

export interface SearchPlace {
  directory: string;
  source: PlaceSource;
}

export interface SearchOptions {
  /** Explicit directory (CLI --data-dir); searched alone when given. */
  dataDir?: string;
  /** Root of normlab's cache; datasets live in <cacheDir>/datasets/<name>. Default: defaultCacheRoot(). */
  cacheDir?: string;
  /** Environment to read NORMLAB_DATA_DIR from (default process.env; tests pass their own). */
  env?: Record<string, string | undefined>;
  /** System package directories to search last (default: the registry's, e.g. Debian's). */
  systemDirs?: string[];
}

/** What one directory holds of a split. */
export interface Inspection {
  place: SearchPlace;
  exists: boolean;
  /** Full paths of the files found, by kind. */
  found: Partial<Record<FileKind, string>>;
  missing: FileKind[];
}

export interface Located {
  place: SearchPlace;
  files: Record<FileKind, string>;
}

const KINDS: readonly FileKind[] = ['images', 'labels'];

/** normlab's cache root, e.g. ~/.cache/normlab on Linux (no "-nodejs" suffix: normlab *is* the app). */
export function defaultCacheRoot(): string {
  return envPaths('normlab', { suffix: '' }).cache;
}

export function datasetCacheDir(name: DatasetName, cacheRoot = defaultCacheRoot()): string {
  return join(cacheRoot, 'datasets', name);
}

/** The names a file may have on disk, best first: raw (no gunzip needed), gzip, then Kaggle's spelling. */
export function candidateNames(officialGz: string): string[] {
  const raw = officialGz.replace(/\.gz$/, '');
  const dotted = raw.replace(/-(idx\d-ubyte)$/, '.$1');
  return [raw, `${raw}.gz`, dotted, `${dotted}.gz`];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Look for a split's files in one directory. */
export function inspectDirectory(place: SearchPlace, split: Split): Inspection {
  const exists = isDirectory(place.directory);
  const found: Partial<Record<FileKind, string>> = {};
  if (exists) {
    for (const kind of KINDS) {
      const name = candidateNames(officialFiles(split)[kind]).find((n) => isFile(join(place.directory, n)));
      if (name) found[kind] = join(place.directory, name);
    }
  }
  return { place, exists, found, missing: KINDS.filter((k) => !found[k]) };
}

/** The directories to search for a dataset, in order (see the header comment). */
export function searchPlaces(name: DatasetName, opts: SearchOptions = {}): SearchPlace[] {
  const withSubfolder = (dir: string, source: PlaceSource): SearchPlace[] => {
    const directory = resolve(dir);
    const sub = join(directory, name);
    // The subfolder is listed only when it exists, so "looked in" messages name real places.
    return isDirectory(sub)
      ? [
          { directory, source },
          { directory: sub, source },
        ]
      : [{ directory, source }];
  };
  if (opts.dataDir !== undefined) return withSubfolder(opts.dataDir, 'data-dir');
  const env = opts.env ?? process.env;
  const places: SearchPlace[] = [];
  if (env.NORMLAB_DATA_DIR) places.push(...withSubfolder(env.NORMLAB_DATA_DIR, 'env'));
  places.push({ directory: datasetCacheDir(name, opts.cacheDir), source: 'cache' });
  for (const dir of opts.systemDirs ?? DATASETS[name].systemDirs) places.push({ directory: dir, source: 'system' });
  return places;
}

/** Search the places in order; the first directory holding both files of the split wins. */
export function locateSplit(name: DatasetName, split: Split, opts: SearchOptions = {}): { located?: Located; looked: Inspection[] } {
  const looked: Inspection[] = [];
  for (const place of searchPlaces(name, opts)) {
    const inspection = inspectDirectory(place, split);
    looked.push(inspection);
    if (inspection.missing.length === 0) {
      return { located: { place, files: inspection.found as Record<FileKind, string> }, looked };
    }
  }
  return { looked };
}

const SOURCE_LABEL: Record<PlaceSource, string> = {
  'data-dir': '--data-dir',
  env: 'NORMLAB_DATA_DIR',
  cache: 'cache',
  system: 'system',
};

function describeInspection(i: Inspection, split: Split): string {
  const where = `${SOURCE_LABEL[i.place.source]} ${i.place.directory}`;
  if (!i.exists) return `${where} (does not exist)`;
  if (i.missing.length === 2) return `${where} (neither file)`;
  const present = Object.values(i.found)
    .map((p) => basename(p))
    .join(', ');
  return `${where} (has ${present}, lacks ${officialFiles(split)[i.missing[0]]})`;
}

/**
 * The error for "the files are nowhere": which files are missing, every place looked at, why a download
 * did not help, and how to get the files.
 */
export function missingFilesError(
  name: DatasetName,
  split: Split,
  looked: Inspection[],
  download: { attempted: false; reason: string } | { attempted: true; failures: string[] },
): NormlabError {
  const dataset = DATASETS[name];
  const files = officialFiles(split);
  // A file is missing when no place held it; a place holding one of the two still counts as not found.
  const missing = KINDS.filter((k) => looked.every((i) => !i.found[k])).map((k) => files[k]);
  const missingText = missing.length > 0 ? missing.join(' and ') : `${files.images} and ${files.labels} together in one folder`;
  const otherSplit: Split = split === 'train' ? 'test' : 'train';
  const explicit = looked.filter((i) => i.place.source === 'data-dir');
  const hasOtherSplit = explicit.some((i) => inspectDirectory(i.place, otherSplit).missing.length === 0);
  const lines = [
    `${dataset.title} ${split} split not found: missing ${missingText} (.gz or uncompressed).` +
      (hasOtherSplit ? ` The --data-dir folder holds only the ${otherSplit} split.` : ''),
    `Looked in: ${looked.map((i) => describeInspection(i, split)).join('; ')}.`,
    download.attempted ? `Download failed (every mirror, in order):\n  ${download.failures.join('\n  ')}` : `Not downloaded: ${download.reason}.`,
  ];
  const allFiles = [...Object.values(officialFiles('train')), ...Object.values(officialFiles('test'))].join(', ');
  const hint =
    (dataset.installCommand ? `on Debian/Ubuntu run \`${dataset.installCommand}\`; or ` : '') +
    `pass --data-dir DIR (or set NORMLAB_DATA_DIR=DIR) for a folder holding the official files ${allFiles}` +
    (explicit.length > 0 ? '; or drop --data-dir to use the cache and download' : '') +
    (!download.attempted && explicit.length === 0 ? '; or allow downloading (drop --no-download)' : '');
  return new NormlabError('dataset-missing', lines.join('\n'), hint);
}

/** Check that an explicit --data-dir exists before searching it: a typo deserves its own message. */
export function checkDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) {
    throw new NormlabError(
      'dataset-dir',
      `--data-dir ${resolve(dataDir)} does not exist.`,
      'check the path, or drop --data-dir to use the cache (downloading if needed)',
    );
  }
  if (!isDirectory(dataDir)) {
    throw new NormlabError('dataset-dir', `--data-dir ${resolve(dataDir)} is a file, expected a directory.`, 'pass the folder that holds the IDX files');
  }
}
