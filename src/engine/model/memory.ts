/**
 * How much memory a model needs to train, checked before anything is allocated, so that a model too big
 * for the machine is refused at once with the number and the limit, instead of crashing minutes later
 * with a RangeError from deep inside a backend (`--units 16384,16384` used to do that after 11–37 s).
 *
 * One limit for both backends: the wasm backend keeps weights, gradients, optimizer state, datasets and
 * workspace in one 32-bit WebAssembly memory, and its heap addresses past 2 GiB fail (measured: a model
 * needing ~2.4 GiB there ended in "RangeError: offset is out of bounds"). The reference backend is held
 * to the same cap so that every model one backend accepts can be checked against the other (the
 * reference is the oracle the wasm backend is tested against).
 */
import { NormlabError } from '../../errors.js';
import type { DType } from '../backend.js';

/** What a backend may hold for one model (see above for why 2 GiB). */
export const MODEL_MEMORY_LIMIT_BYTES = 2 * 1024 ** 3;

/** Room for the uploaded datasets (60,000 + 10,000 uint8 images of 28×28 are 55 MB) and the module itself. */
const DATA_ALLOWANCE_BYTES = 128 * 1024 ** 2;

/** Rows of per-row workspace a runner keeps (a batch, or one evaluation chunk of 256 rows). */
const WORKSPACE_ROWS = 256;

const bytesOf = (dtype: DType) => (dtype === 'float64' ? 8 : 4);

/**
 * Parameter-sized arrays a backend keeps: the weights and three optimizer slots (the wasm backend reserves
 * all three whatever the optimizer, so that one fused kernel serves SGD, RMSprop and Adam; the reference
 * backend keeps weights, a gradient and up to three slots, allocated as used).
 */
const ARRAYS_PER_PARAMETER = 4;

export interface MemoryEstimate {
  parameters: number;
  bytes: number;
}

/**
 * Bytes a backend needs to train: weights and optimizer state in the model's dtype, per-row activations
 * for a batch, and room for the data. (The model's float64 copy of the weights lives in the JavaScript
 * heap, outside this budget.)
 */
export function estimateTrainingMemory(
  layers: { inputSize: number; units: number; useBias: boolean }[],
  dtype: DType,
  batchRows = WORKSPACE_ROWS,
): MemoryEstimate {
  const parameters = layers.reduce((s, l) => s + l.inputSize * l.units + (l.useBias ? l.units : 0), 0);
  const width = layers.reduce((s, l) => s + l.units, 0) + (layers[0]?.inputSize ?? 0);
  const perParameter = bytesOf(dtype) * ARRAYS_PER_PARAMETER;
  // z, activation and gradient per unit and row
  const workspace = 3 * width * Math.max(batchRows, WORKSPACE_ROWS) * bytesOf(dtype);
  return { parameters, bytes: parameters * perParameter + workspace + DATA_ALLOWANCE_BYTES };
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** Throws a NormlabError with the estimate and the limit when a network cannot be trained in memory. */
export function checkTrainingMemory(network: { layers: { inputSize: number; units: number; useBias: boolean }[]; dtype: DType }, batchRows?: number): void {
  const { parameters, bytes } = estimateTrainingMemory(network.layers, network.dtype, batchRows);
  if (bytes <= MODEL_MEMORY_LIMIT_BYTES) return;
  const sizes = network.layers.map((l) => l.units).join(', ');
  throw new NormlabError(
    'memory',
    `this model is too large to train: ${parameters.toLocaleString('en-US')} parameters (dense layers of ${sizes} units, ${network.dtype}) need about ${gib(bytes)}, more than the limit of ${gib(MODEL_MEMORY_LIMIT_BYTES)}`,
    network.dtype === 'float64'
      ? 'use fewer or smaller hidden layers (e.g. --units 1024,512), or --dtype float32'
      : 'use fewer or smaller hidden layers, e.g. --units 1024,512',
  );
}
