/** The dataset layer's public surface: load a named or IDX dataset, verified, pixels kept as uint8. */
export { loadDataset, parseDatasetSpec, type Dataset, type DatasetSpec, type LoadOptions } from './dataset.js';
export {
  DATASETS,
  DATASET_NAMES,
  SPLITS,
  identifyByHash,
  officialFiles,
  type DatasetName,
  type FileKind,
  type KnownFile,
  type RegisteredDataset,
  type RegisteredFile,
  type Split,
} from './registry.js';
export { decodeIdx, readIdx, sha256Hex, type DecodedIdx } from './idx.js';
export { parseIdx, isGzip, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, type IdxContent, type IdxImages, type IdxLabels } from './idx-format.js';
export { defaultCacheRoot, datasetCacheDir, searchPlaces, locateSplit, type SearchPlace, type Located } from './locate.js';
export { downloadFile, ensureSplitFiles, terminalProgress, type DownloadProgress, type ProgressCallback } from './download.js';
