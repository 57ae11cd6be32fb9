/**
 * Save/load a model as two files, like tfjs' `file://` handler: `model.json` (config, compile settings
 * and a manifest of the weights) and `weights.bin` (the weights as little-endian float32 or float64).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NormlabError } from '../../errors.js';
import { makeDirs, writeFileAtomic } from '../../util/files.js';
import { Dense } from '../layers/dense.js';
import { Flatten } from '../layers/flatten.js';
import type { Layer, LayerConfig } from '../layers/layer.js';
import { Sequential, type ModelConfig } from './sequential.js';

const FORMAT = 'normlab-model';

interface ModelFile {
  format: typeof FORMAT;
  version: 1;
  config: ModelConfig;
  weights: { shape: number[]; dtype: 'float32' | 'float64'; offset: number; count: number }[];
}

function directoryOf(path: string): string {
  return path.startsWith('file://') ? path.slice('file://'.length) : path;
}

export async function saveModel(model: Sequential, path: string): Promise<{ modelJson: string; weightsBin: string }> {
  const dir = directoryOf(path);
  await makeDirs(dir);
  const weights = model.getWeights();
  const bytesPer = model.dtype === 'float64' ? 8 : 4;
  const total = weights.reduce((s, w) => s + w.size, 0);
  const buffer = new ArrayBuffer(total * bytesPer);
  const manifest: ModelFile['weights'] = [];
  let offset = 0;
  for (const w of weights) {
    const view = model.dtype === 'float64' ? new Float64Array(buffer, offset * bytesPer, w.size) : new Float32Array(buffer, offset * bytesPer, w.size);
    view.set(w.dataSync() as ArrayLike<number>);
    manifest.push({ shape: w.shape, dtype: model.dtype, offset, count: w.size });
    offset += w.size;
  }
  const file: ModelFile = { format: FORMAT, version: 1, config: model.getConfig(), weights: manifest };
  const modelJson = join(dir, 'model.json');
  const weightsBin = join(dir, 'weights.bin');
  // Each file goes to a unique temporary name and is renamed into place (src/util/files.ts), so an
  // interrupted save never leaves a half-written model and two concurrent saves never share a temp file.
  await writeFileAtomic(weightsBin, new Uint8Array(buffer), { makeParents: false });
  await writeFileAtomic(modelJson, JSON.stringify(file, null, 2), { makeParents: false });
  return { modelJson, weightsBin };
}

function layerFromConfig(config: LayerConfig): Layer {
  if (config.className === 'Flatten') return new Flatten(config);
  if (config.className === 'Dense') return new Dense(config);
  throw new NormlabError('model-file', `unknown layer type '${(config as { className: string }).className}' in model.json`);
}

export async function loadModel(path: string): Promise<Sequential> {
  const dir = directoryOf(path).replace(/model\.json$/, '');
  const modelJson = join(dir, 'model.json');
  let file: ModelFile;
  try {
    file = JSON.parse(await readFile(modelJson, 'utf8')) as ModelFile;
  } catch (e) {
    throw new NormlabError('model-file', `cannot read ${modelJson}: ${(e as Error).message}`, 'pass the directory that model.save() wrote');
  }
  if (file.format !== FORMAT || file.version !== 1) throw new NormlabError('model-file', `${modelJson} is not a normlab model file (format ${JSON.stringify(file.format)})`);
  const bytes = await readFile(join(dir, 'weights.bin'));
  const bytesPer = file.config.dtype === 'float64' ? 8 : 4;
  const expected = file.weights.reduce((s, w) => s + w.count, 0) * bytesPer;
  if (bytes.byteLength !== expected) {
    throw new NormlabError('model-file', `${join(dir, 'weights.bin')} has ${bytes.byteLength} bytes, expected ${expected}`, 'the file is truncated or belongs to another model: save the model again');
  }
  const aligned = new Uint8Array(bytes).buffer;
  const model = new Sequential({ name: file.config.name, dtype: file.config.dtype, seed: file.config.seed, backend: file.config.backend, layers: file.config.layers.map(layerFromConfig) });
  if (file.config.compile) model.compile({ optimizer: file.config.compile.optimizer, loss: file.config.compile.loss, metrics: file.config.compile.metrics.map((m) => (m === 'acc' ? 'accuracy' : m)) });
  model.setWeights(file.weights.map((w) => Float64Array.from(file.config.dtype === 'float64' ? new Float64Array(aligned, w.offset * 8, w.count) : new Float32Array(aligned, w.offset * 4, w.count))));
  return model;
}
