/**
 * The dataset side of `normlab serve`: which registered datasets this machine has (found with the data
 * layer's own search order: --data-dir alone, else NORMLAB_DATA_DIR, the cache, system packages), which
 * file an official name stands for, and whether the files found are really that dataset.
 *
 * Verification uses the data layer (readIdx + verifyNamedSplit): the SHA-256 of the decompressed bytes
 * must be the registry's, so a folder of MNIST digits passed as Fashion-MNIST is refused with the data
 * layer's own explanation instead of being trained on. A split is checked once per server (about half a
 * second for the training images) and again only when its files change on disk. The browser checks the
 * hashes of what it receives as well (web/src/data.ts), so a corrupted transfer is caught too.
 */
import { statSync } from 'node:fs';
import { readIdx } from '../data/idx.js';
import { locateSplit, type Located } from '../data/locate.js';
import { DATASETS, DATASET_NAMES, SPLITS, officialFiles, type DatasetName, type FileKind, type Split } from '../data/registry.js';
import { verifyNamedSplit } from '../data/verify.js';
import { isNormlabError, NormlabError } from '../errors.js';

export interface DatasetAvailability {
  name: DatasetName;
  title: string;
  classNames: string[];
  height: number;
  width: number;
  /** Per split: the folder its files were found in and their names, or null when they were not found. */
  splits: Record<Split, { directory: string; files: Record<FileKind, string> } | null>;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

/** The (split, kind) an official file name stands for, e.g. "t10k-labels-idx1-ubyte(.gz)" → test labels. */
export function datasetFileFor(file: string): { split: Split; kind: FileKind } | undefined {
  const gz = file.endsWith('.gz') ? file : `${file}.gz`;
  for (const split of SPLITS) {
    for (const kind of ['images', 'labels'] as const) {
      if (officialFiles(split)[kind] === gz) return { split, kind };
    }
  }
  return undefined;
}

/** What each registered dataset has on this machine (nothing is read or verified here: just found). */
export function datasetAvailability(dataDir?: string): DatasetAvailability[] {
  return DATASET_NAMES.map((name) => {
    const d = DATASETS[name];
    const splits = {} as DatasetAvailability['splits'];
    for (const split of SPLITS) {
      const { located } = locateSplit(name, split, { dataDir });
      splits[split] = located
        ? { directory: located.place.directory, files: { images: basename(located.files.images), labels: basename(located.files.labels) } }
        : null;
    }
    return { name, title: d.title, classNames: d.classNames, height: d.height, width: d.width, splits };
  });
}

/** What a verification decided; `error` is the data layer's NormlabError when the files are not the dataset. */
export interface SplitVerdict {
  error?: NormlabError;
}

/** Caches verdicts per split, keyed by the files' paths, sizes and modification times. */
export class SplitVerifier {
  private readonly verdicts = new Map<string, SplitVerdict>();

  /** Throws nothing: a file that cannot be read or is not the dataset comes back as `error`. */
  verify(name: DatasetName, split: Split, located: Located): SplitVerdict {
    const key = this.key(name, split, located);
    const cached = this.verdicts.get(key);
    if (cached) return cached;
    let verdict: SplitVerdict;
    try {
      verifyNamedSplit(DATASETS[name], split, { images: readIdx(located.files.images), labels: readIdx(located.files.labels) });
      verdict = {};
    } catch (error) {
      if (!isNormlabError(error)) throw error;
      verdict = { error };
    }
    this.verdicts.set(key, verdict);
    return verdict;
  }

  private key(name: string, split: string, located: Located): string {
    const stamp = (path: string) => {
      try {
        const s = statSync(path);
        return `${path}:${s.size}:${s.mtimeMs}`;
      } catch {
        return `${path}:missing`;
      }
    };
    return `${name}/${split}/${stamp(located.files.images)}/${stamp(located.files.labels)}`;
  }
}
