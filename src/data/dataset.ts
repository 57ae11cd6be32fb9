/**
 * The public loader: `loadDataset('fashion-mnist' | 'mnist' | 'idx:DIR', split)` → a verified, typed
 * Dataset whose pixels stay uint8. Each split loads on its own, so a folder with only the test split
 * (like the lab's MNIST copy) is enough for test-only work.
 *
 * Named datasets must match the registry's SHA-256 exactly (a different dataset → 'dataset-identity',
 * unknown bytes → 'dataset-checksum'); `idx:DIR` loads any valid IDX files and says they are unverified.
 * Nothing is cached on disk except downloads: hashing both files costs ~0.2 s, cheaper than a stale cache.
 */
import { existsSync, renameSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { NormlabError } from '../errors.js';
import { makeDirsSync } from '../util/files.js';
import { closestName } from '../util/suggest.js';
import { ensureSplitFiles, type ProgressCallback } from './download.js';
import { readIdx } from './idx.js';
import { candidateNames, inspectDirectory, isDirectory, type Located } from './locate.js';
import { DATASET_NAMES, DATASETS, SPLITS, identifyByHash, officialFiles, type DatasetName, type Split } from './registry.js';
import { checkCounts, expectImages, expectLabels, verifyNamedSplit, type DecodedSplit } from './verify.js';

export type { DatasetName, Split } from './registry.js';

export interface Dataset {
  /** 'fashion-mnist' | 'mnist' | 'idx:<dir>' (the spec it was loaded from). */
  name: string;
  split: Split;
  count: number;
  height: number;
  width: number;
  /** [count, height, width] pixels, 0–255, row-major. */
  images: Uint8Array;
  /** [count] class indices. */
  labels: Uint8Array;
  /** Name of each class index. */
  classNames: string[];
  /** Every file's decompressed SHA-256 matched the registry. */
  verified: boolean;
  /** The folder the files came from (absolute). */
  directory: string;
  /** Things a learner should know about where the data came from, e.g. 'unverified IDX files: …'. */
  notes: string[];
}

export interface LoadOptions {
  /** Folder holding the files (CLI --data-dir): searched alone; nothing is downloaded. */
  dataDir?: string;
  /** Download missing files into the cache (default true). */
  download?: boolean;
  /** fetch to download with (default: global fetch); tests pass a fake. */
  fetchImpl?: typeof fetch;
  /** Download progress (default: a progress bar on stderr). */
  onProgress?: ProgressCallback;
  /** Root of normlab's cache (default env-paths' cache dir for 'normlab'); datasets go in <cacheDir>/datasets/<name>. */
  cacheDir?: string;
  /** Environment for NORMLAB_DATA_DIR (default process.env). */
  env?: Record<string, string | undefined>;
  /** System package folders searched last (default: the registry's, e.g. Debian's for fashion-mnist). */
  systemDirs?: string[];
}

export type DatasetSpec = { kind: 'named'; name: DatasetName } | { kind: 'idx'; dir: string };

/** 'fashion-mnist' | 'mnist' | 'idx:DIR'; anything else is a NormlabError listing the valid names. */
export function parseDatasetSpec(spec: string): DatasetSpec {
  if (spec.startsWith('idx:')) {
    const dir = spec.slice(4);
    if (dir.trim() === '') {
      throw new NormlabError('dataset-name', `'${spec}' names no directory.`, 'write idx:DIR, e.g. idx:./my-data');
    }
    return { kind: 'idx', dir };
  }
  if ((DATASET_NAMES as readonly string[]).includes(spec)) return { kind: 'named', name: spec as DatasetName };
  const suggestion = closestName(spec, DATASET_NAMES);
  throw new NormlabError(
    'dataset-name',
    `unknown dataset '${spec}'; expected one of ${DATASET_NAMES.join(', ')}, or idx:DIR for a folder of IDX files.`,
    suggestion ? `did you mean '${suggestion}'?` : `use ${DATASET_NAMES.join(' or ')}, or idx:DIR`,
  );
}

/**
 * Load one split of a dataset: `loadDataset('mnist', 'test')`, or with the options in one object,
 * `loadDataset('mnist', { split: 'test', dataDir })`.
 */
export async function loadDataset(spec: string, split: Split | (LoadOptions & { split: Split }), opts: LoadOptions = {}): Promise<Dataset> {
  if (typeof split === 'object' && split !== null) {
    const { split: chosen, ...rest } = split;
    return loadDataset(spec, chosen, { ...rest, ...opts });
  }
  if (!SPLITS.includes(split)) {
    throw new NormlabError('dataset-split', `unknown split '${String(split)}'; expected 'train' or 'test'.`, "use 'train' or 'test'");
  }
  const parsed = parseDatasetSpec(spec);
  return parsed.kind === 'named' ? loadNamed(parsed.name, split, opts) : loadIdxFolder(spec, parsed.dir, split);
}

/**
 * Decodes a split's two files. When they come from normlab's own cache, broken copies (they do not
 * decode, or their hash is not the registered one) are moved into <cache>/quarantine/ instead, so the
 * next lookup downloads them again rather than failing the same way on every run; `moved` says so.
 */
function decodeOrQuarantine(located: Located, name: DatasetName, split: Split): { files?: DecodedSplit; moved: string[] } {
  const decoded: Partial<DecodedSplit> = {};
  const broken: { path: string; problem: string }[] = [];
  for (const kind of ['images', 'labels'] as const) {
    const path = located.files[kind];
    try {
      decoded[kind] = readIdx(path);
      const sha = decoded[kind]!.sha256;
      if (located.place.source === 'cache' && sha !== DATASETS[name].splits[split][kind].sha256) {
        broken.push({ path, problem: `its SHA-256 is ${sha.slice(0, 12)}…, not the registered one` });
      }
    } catch (e) {
      if (!(e instanceof NormlabError) || located.place.source !== 'cache') throw e;
      broken.push({ path, problem: e.message.replace(/\.$/, '') });
    }
  }
  if (broken.length === 0) return { files: decoded as DecodedSplit, moved: [] };
  const quarantine = join(located.place.directory, 'quarantine');
  const moved = broken.map(({ path, problem }) => {
    const target = join(quarantine, `${basename(path)}.${new Date().toISOString().replace(/[:.]/g, '-')}`);
    try {
      makeDirsSync(quarantine);
      renameSync(path, target);
    } catch (e) {
      throw new NormlabError(
        'dataset-cache',
        `${path} in the cache is corrupt (${problem}) and could not be moved aside: ${(e as Error).message}`,
        `delete ${path} and run again`,
      );
    }
    return `${path} in the cache was corrupt (${problem}); moved it to ${target} and fetched a fresh copy`;
  });
  return { moved };
}

async function loadNamed(name: DatasetName, split: Split, opts: LoadOptions): Promise<Dataset> {
  const dataset = DATASETS[name];
  let located = await ensureSplitFiles(name, split, opts);
  let { files, moved } = decodeOrQuarantine(located, name, split);
  if (!files) {
    try {
      located = await ensureSplitFiles(name, split, opts);
    } catch (e) {
      if (e instanceof NormlabError) throw new NormlabError(e.code, `${moved.join('; ')}; but then: ${e.message}`, e.hint);
      throw e;
    }
    files = { images: readIdx(located.files.images), labels: readIdx(located.files.labels) };
  }
  verifyNamedSplit(dataset, split, files);
  // The hashes matched, so kinds and counts are right; splitContents' checks only narrow the types.
  return {
    name,
    split,
    ...splitContents(files),
    classNames: [...dataset.classNames],
    verified: true,
    directory: located.place.directory,
    notes: moved,
  };
}

async function loadIdxFolder(spec: string, dir: string, split: Split): Promise<Dataset> {
  const directory = resolve(dir);
  if (!isDirectory(directory)) {
    throw new NormlabError(
      'dataset-dir',
      `${spec}: ${directory} ${existsSync(directory) ? 'is a file' : 'does not exist'}, expected a folder of IDX files.`,
      'check the path after idx:',
    );
  }
  const inspection = inspectDirectory({ directory, source: 'data-dir' }, split);
  if (inspection.missing.length > 0) {
    const names = officialFiles(split);
    const missing = inspection.missing.map((k) => candidateNames(names[k]).slice(0, 2).join(' or '));
    throw new NormlabError(
      'dataset-missing',
      `${spec}: no ${split} split in ${directory}: missing ${missing.join(', and ')}.`,
      `name the files ${Object.values(officialFiles('train')).join(', ')}, ${Object.values(officialFiles('test')).join(', ')} (gzipped or not)`,
    );
  }
  const files: DecodedSplit = { images: readIdx(inspection.found.images!), labels: readIdx(inspection.found.labels!) };
  const contents = splitContents(files);

  const knownImages = identifyByHash(files.images.sha256);
  const knownLabels = identifyByHash(files.labels.sha256);
  const known = knownImages && knownLabels && knownImages.dataset === knownLabels.dataset && knownImages.split === knownLabels.split ? knownImages : undefined;
  const notes: string[] = [];
  if (known) {
    notes.push(`these IDX files are the ${known.dataset.title} ${known.split} split (SHA-256 verified); '${known.dataset.name}' loads it by name`);
    if (known.split !== split) notes.push(`they are the ${known.split} split, loaded here as ${split} because of their file names`);
  } else {
    notes.push(`unverified IDX files: ${files.images.file}, ${files.labels.file} (their SHA-256 matches no dataset normlab knows)`);
    for (const k of [knownImages, knownLabels]) {
      if (k) notes.push(`${k === knownImages ? files.images.file : files.labels.file} is the ${k.dataset.title} ${k.split} ${k.kind}`);
    }
  }
  return {
    name: spec,
    split,
    ...contents,
    classNames: known ? [...known.dataset.classNames] : classNamesFromLabels(contents.labels),
    verified: known !== undefined,
    directory,
    notes,
  };
}

/** A split's pixels and labels as a Dataset holds them, once the files are images and labels of one count. */
function splitContents(files: DecodedSplit): Pick<Dataset, 'count' | 'height' | 'width' | 'images' | 'labels'> {
  const images = expectImages(files.images);
  const labels = expectLabels(files.labels);
  checkCounts(files.images, files.labels);
  return { count: images.count, height: images.height, width: images.width, images: images.data, labels: labels.data };
}

/** '0'..'N-1' where N-1 is the largest label present. */
function classNamesFromLabels(labels: Uint8Array): string[] {
  let max = -1;
  for (const l of labels) if (l > max) max = l;
  return Array.from({ length: max + 1 }, (_, i) => String(i));
}
