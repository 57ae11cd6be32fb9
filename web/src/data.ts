/**
 * Loading a registered dataset in the browser: fetch the IDX files from `normlab serve`, gunzip them
 * with the browser's own DecompressionStream when they are gzip (recognised by content, like the Node
 * loader), check the SHA-256 of the decompressed bytes against the registry, parse them with the same
 * pure IDX parser the Node side uses, and return the same Dataset shape `trainOnDataset` takes.
 */
import type { Dataset } from '../../src/data/dataset.js';
import { sliceDataset } from '../../src/data/slice.js';
import { isGzip, parseIdx, type IdxImages, type IdxLabels } from '../../src/data/idx-format.js';
import { DATASETS, identifyByHash, officialFiles, type DatasetName, type FileKind, type Split } from '../../src/data/registry.js';
import { NormlabError } from '../../src/errors.js';

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface LoadedFile {
  file: string;
  raw: Uint8Array;
  verified: boolean;
  note?: string;
}

/** Fetch, gunzip and verify one file of a registered dataset. */
export async function fetchDatasetFile(base: string, name: DatasetName, split: Split, kind: FileKind): Promise<LoadedFile> {
  const file = officialFiles(split)[kind];
  const url = `${base}/datasets/${name}/${file}`;
  const response = await fetch(url);
  if (response.status === 409) {
    // The server found files but they are not this dataset; its text is the data layer's explanation.
    const [message, hint] = (await response.text()).trim().split('\nTry: ');
    throw new NormlabError('dataset-identity', message, hint);
  }
  if (!response.ok) {
    const reason = (await response.text().catch(() => '')).trim();
    throw new NormlabError(
      'dataset-missing',
      `${DATASETS[name].title} ${split} ${kind} (${file}) is not available from the server (HTTP ${response.status}${reason ? `: ${reason}` : ''}).`,
      `start normlab serve with --data-dir DIR for a folder holding the official files, or run \`normlab train --dataset ${name}\` once to download them`,
    );
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const raw = isGzip(bytes) ? await gunzip(bytes) : bytes;
  const hash = await sha256Hex(raw);
  const expected = DATASETS[name].splits[split][kind];
  if (hash === expected.sha256) return { file, raw, verified: true };
  const known = identifyByHash(hash);
  if (known) {
    throw new NormlabError(
      'dataset-identity',
      `the server's ${file} for ${DATASETS[name].title} is the ${known.dataset.title} ${known.split} ${known.kind} file.`,
      'point normlab serve --data-dir at the folder of the dataset you picked',
    );
  }
  return { file, raw, verified: false, note: `${file}: SHA-256 ${hash.slice(0, 12)}… is not the registered one (expected ${expected.sha256.slice(0, 12)}…)` };
}

/** One split of a registered dataset, as the Node loader returns it. */
export async function loadBrowserDataset(base: string, name: DatasetName, split: Split): Promise<Dataset> {
  const [imagesFile, labelsFile] = await Promise.all([fetchDatasetFile(base, name, split, 'images'), fetchDatasetFile(base, name, split, 'labels')]);
  const images = parseIdx(imagesFile.raw, imagesFile.file);
  const labels = parseIdx(labelsFile.raw, labelsFile.file);
  if (images.kind !== 'images' || labels.kind !== 'labels') {
    throw new NormlabError('dataset-identity', `${imagesFile.file} and ${labelsFile.file} do not hold images and labels as their names say.`);
  }
  if ((images as IdxImages).count !== (labels as IdxLabels).count) {
    throw new NormlabError('dataset-count', `${imagesFile.file} holds ${images.count} images but ${labelsFile.file} holds ${labels.count} labels.`);
  }
  const d = DATASETS[name];
  const notes = [imagesFile.note, labelsFile.note].filter((n): n is string => n !== undefined);
  return {
    name,
    split,
    count: images.count,
    height: (images as IdxImages).height,
    width: (images as IdxImages).width,
    images: images.data,
    labels: labels.data,
    classNames: d.classNames,
    verified: notes.length === 0,
    directory: `${base}/datasets/${name}`,
    notes,
  };
}

/** The first `count` items of a dataset (views, no copy): for quick demos and tests (?trainLimit=). */
export function firstImagesOnly(ds: Dataset, count: number): Dataset {
  const sliced = sliceDataset(ds, count);
  return sliced === ds ? ds : { ...sliced, notes: [...ds.notes, `first ${count} of ${ds.count} ${ds.split} images only`] };
}
