/**
 * Save/load a model as two files, like tfjs' `file://` handler: `model.json` (config, compile settings
 * and a manifest of the weights) and `weights.bin` (the weights as little-endian float32 or float64).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NormlabError } from '../../errors.js';
import { makeDirs, writeFileAtomic } from '../../util/files.js';
import { layerFromConfig } from '../layers/index.js';
import type { LayerConfig } from '../layers/layer.js';
import { MODEL_FORMAT, parseModelJson, readWeights, type ModelFile } from './model-file.js';
import { Sequential } from './sequential.js';

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
  const bytes = new Uint8Array(buffer);
  const file: ModelFile = {
    format: MODEL_FORMAT,
    version: 1,
    config: model.getConfig() as ModelFile['config'],
    weights: manifest,
    // Ties model.json to its weights.bin: saves that overlap in one folder are detected on load.
    weightsSha256: createHash('sha256').update(bytes).digest('hex'),
  };
  const modelJson = join(dir, 'model.json');
  const weightsBin = join(dir, 'weights.bin');
  // Each file goes to a unique temporary name and is renamed into place (src/util/files.ts), so an
  // interrupted save never leaves a half-written model and two concurrent saves never share a temp file.
  await writeFileAtomic(weightsBin, bytes, { makeParents: false });
  await writeFileAtomic(modelJson, JSON.stringify(file, null, 2), { makeParents: false });
  return { modelJson, weightsBin };
}

/** Reads a file for loadModel; a missing or unreadable file is a model-file error naming it. */
async function readModelPart(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NormlabError(
      'model-file',
      `cannot read ${path} (${what}): ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`,
      'pass the folder (or model.json) that model.save() wrote',
    );
  }
}

/**
 * Loads a model saved by model.save(): `loadModel('dir')`, `loadModel('dir/model.json')` or the tfjs forms
 * `'file://dir'` / `'file://dir/model.json'`. model.json is checked against a schema and the weights
 * manifest against weights.bin and the layers (src/engine/model/model-file.ts).
 */
export async function loadModel(path: string): Promise<Sequential> {
  const dir = directoryOf(path).replace(/model\.json$/, '');
  const modelJson = join(dir, 'model.json');
  const weightsBin = join(dir, 'weights.bin');
  const file = parseModelJson((await readModelPart(modelJson, 'the model description')).toString('utf8'), modelJson);
  const bytes = await readModelPart(weightsBin, 'the weights');
  let model: Sequential;
  try {
    const layers = file.config.layers.map((c) => layerFromConfig(c as unknown as LayerConfig));
    model = new Sequential({ name: file.config.name, dtype: file.config.dtype, seed: file.config.seed, backend: file.config.backend, layers });
    const compile = file.config.compile;
    if (compile)
      model.compile({
        optimizer: compile.optimizer as never,
        loss: compile.loss as never,
        metrics: compile.metrics.map((m) => (m === 'acc' ? 'accuracy' : m)),
      });
  } catch (e) {
    // A layer's or the optimizer's own check failed on a value from the file.
    const reason = e instanceof NormlabError ? e.message : `${(e as Error).name}: ${(e as Error).message}`;
    throw new NormlabError('model-file', `${modelJson}: the model it describes cannot be built: ${reason}`, 'save the model again with model.save()');
  }
  const shapes = model.getWeights().map((w) => w.shape as number[]);
  const weights = readWeights(file, bytes, shapes, { modelJson, weightsBin });
  // Sizes match: now make sure the bytes are the ones saved with this model.json.
  if (file.weightsSha256 && createHash('sha256').update(bytes).digest('hex') !== file.weightsSha256) {
    throw new NormlabError(
      'model-file',
      `${weightsBin} is not the weights file saved with ${modelJson} (SHA-256 differs)`,
      'two saves into one folder overlapped, or a file was replaced: save the model again',
    );
  }
  model.setWeights(weights);
  return model;
}

/** tfjs' name for loadModel: `await loadLayersModel('file://dir/model.json')`. */
export const loadLayersModel = loadModel;
