/**
 * The one place that validates what crosses the Backend interface. Every backend handed out by the
 * registry (getBackend) is wrapped here, so the reference and the wasm backend answer the same bad
 * input with the same NormlabError, and a backend itself only computes (the design's "a backend
 * computes; the model, the fit loop and the callbacks live above it once"). The model checks its own
 * arguments first, in a learner's terms (src/engine/model/checks.ts); these checks catch the same
 * mistakes from code that drives a runner directly (the lab's curvature and loss-plane analyses) and are
 * a backstop for the model's own calls.
 *
 * Deliberately not checked: NaN or ±Infinity in inputs and weights. They are allowed on purpose, and
 * both backends propagate them identically; the fit loop reports a non-finite loss
 * (NonFiniteLossError) and the probes count non-finite values.
 */
import { NormlabError } from '../../errors.js';
import { weightLayout, type Backend, type DataId, type InputSource, type NetworkRunner, type NetworkSpec, type TargetSource } from '../backend.js';
import { ACTIVATIONS } from '../math/activations.js';

const WEIGHT_ORDER = 'pass the tensors in getWeights() order (per dense layer: its batch norm weights, then kernel and bias)';

const checkedBackends = new WeakSet<Backend>();

/** `backend` with every call checked first (the same object back when it is already checked). */
export function checkedBackend(backend: Backend): Backend {
  if (checkedBackends.has(backend)) return backend;
  const checked: Backend = {
    name: backend.name,
    createNetwork(spec, weights) {
      checkSpec(spec);
      checkWeights(spec, weights);
      return new CheckedRunner(backend.createNetwork(spec, weights));
    },
  };
  checkedBackends.add(checked);
  return checked;
}

/** The network's shape: known dtype, at least one layer, whole positive sizes, layers that chain. */
export function checkSpec(spec: NetworkSpec): void {
  if (spec.dtype !== 'float32' && spec.dtype !== 'float64') {
    throw new NormlabError('config', `unknown dtype '${String(spec.dtype)}'`, "use 'float32' or 'float64'");
  }
  if (spec.layers.length === 0) throw new NormlabError('config', 'the network has no layers', 'add at least one dense layer');
  spec.layers.forEach((layer, l) => {
    if (!(layer.units >= 1) || !(layer.inputSize >= 1) || !Number.isInteger(layer.units) || !Number.isInteger(layer.inputSize)) {
      throw new NormlabError('shape', `layer ${l} has inputSize ${layer.inputSize} and units ${layer.units}; both must be whole numbers ≥ 1`);
    }
    if (!ACTIVATIONS.includes(layer.activation)) {
      throw new NormlabError('config', `unknown activation '${String(layer.activation)}'`, `use one of ${ACTIVATIONS.join(', ')}`);
    }
    for (const st of layer.stages ?? []) {
      if (st.kind === 'affine' && (st.scale.length !== layer.inputSize || st.offset.length !== layer.inputSize)) {
        throw new NormlabError(
          'shape',
          `an affine stage of layer ${l} has ${st.scale.length} scales and ${st.offset.length} offsets for ${layer.inputSize} inputs`,
        );
      }
    }
    if (l > 0 && layer.inputSize !== spec.layers[l - 1].units) {
      throw new NormlabError('shape', `layer ${l} expects ${layer.inputSize} inputs but layer ${l - 1} has ${spec.layers[l - 1].units} units`);
    }
  });
}

/** One weight tensor per slot of weightLayout(spec), each of its size. */
function checkWeights(spec: NetworkSpec, weights: Float64Array[]): void {
  const expected = weightLayout(spec).map((w) => w.size);
  if (!Array.isArray(weights) || weights.length !== expected.length) {
    throw new NormlabError(
      'shape',
      `setWeights expected ${expected.length} weight tensors, got ${Array.isArray(weights) ? weights.length : typeof weights}`,
      WEIGHT_ORDER,
    );
  }
  weights.forEach((w, i) => {
    if (w?.length !== expected[i]) throw new NormlabError('shape', `setWeights: tensor ${i} has ${w?.length} values, expected ${expected[i]}`, WEIGHT_ORDER);
  });
}

/** A runner whose every call is checked before the backend's runner sees it. */
class CheckedRunner implements NetworkRunner {
  /** Rows and targets of each dataset loaded and not yet released. */
  private readonly loaded = new Map<DataId, { rows: number; targets: boolean }>();
  private disposed = false;

  constructor(private readonly inner: NetworkRunner) {}

  get spec(): NetworkSpec {
    return this.inner.spec;
  }

  private live(): NetworkRunner {
    if (this.disposed) throw new NormlabError('config', 'this network was disposed', 'create the network again (a model rebuilds its own on demand)');
    return this.inner;
  }

  getWeights(): Float64Array[] {
    return this.live().getWeights();
  }

  setWeights(weights: Float64Array[]): void {
    const inner = this.live();
    checkWeights(inner.spec, weights);
    inner.setWeights(weights);
  }

  resetOptimizer(): void {
    this.live().resetOptimizer();
  }

  optimizerSlots(): { tensor: number; slots: Float64Array[] }[] {
    const runner = this.live();
    if (!runner.optimizerSlots) throw new NormlabError('setup', 'this backend does not expose its optimizer state');
    return runner.optimizerSlots();
  }

  setLearningRate(learningRate: number): void {
    if (typeof learningRate !== 'number' || !(learningRate > 0) || !Number.isFinite(learningRate)) {
      throw new NormlabError('config', `the learning rate must be a positive number, got ${JSON.stringify(learningRate)}`);
    }
    this.live().setLearningRate(learningRate);
  }

  loadData(x: InputSource, y?: TargetSource): DataId {
    const inner = this.live();
    const layers = inner.spec.layers;
    const n = layers[0].inputSize;
    const out = layers[layers.length - 1].units;
    if (!Number.isInteger(x.rows) || x.rows < 0) throw new NormlabError('shape', `the data has ${x.rows} rows; a row count is a whole number ≥ 0`);
    if (x.inputSize !== n) {
      throw new NormlabError(
        'shape',
        `the network's first layer expects ${n} input values per sample, but the data has ${x.inputSize}`,
        `set the first layer's inputShape to match the data (e.g. flatten [28, 28] → ${x.inputSize})`,
      );
    }
    if (x.values.length < x.rows * n) throw new NormlabError('shape', `input holds ${x.values.length} values, fewer than ${x.rows} rows × ${n}`);
    if (y) {
      if (y.rows !== x.rows) throw new NormlabError('shape', `inputs have ${x.rows} rows but targets have ${y.rows}`, 'pass one target per input sample');
      if (y.kind === 'dense') {
        if (y.width !== out) {
          throw new NormlabError(
            'shape',
            `targets have width ${y.width} but the output layer has ${out} units`,
            'make the last layer as wide as the targets (or use sparse labels with sparseCategoricalCrossentropy)',
          );
        }
        if (y.values.length < y.rows * y.width)
          throw new NormlabError('shape', `targets hold ${y.values.length} values, fewer than ${y.rows} rows × ${y.width}`);
      } else {
        if (y.labels.length < y.rows) throw new NormlabError('shape', `targets hold ${y.labels.length} labels for ${y.rows} rows`);
        for (let i = 0; i < y.rows; i++) {
          const label = y.labels[i];
          if (!(label >= 0 && label < out)) {
            throw new NormlabError(
              'labels',
              `label ${label} (row ${i}) is outside the output layer's classes 0…${out - 1}`,
              `make the last layer as wide as the number of classes (at least ${label + 1})`,
            );
          }
        }
      }
    }
    const id = inner.loadData(x, y);
    this.loaded.set(id, { rows: x.rows, targets: y !== undefined });
    return id;
  }

  releaseData(id: DataId): void {
    this.live().releaseData(id);
    this.loaded.delete(id);
  }

  /** The dataset `id` and the rows `rows[0..count)` of it: known, loaded with targets when needed, in range. */
  private checkRows(id: DataId, rows: Int32Array, count: number, needTargets: boolean): NetworkRunner {
    const inner = this.live();
    const data = this.loaded.get(id);
    if (!data)
      throw new NormlabError('config', `no dataset with id ${id} is loaded on this network`, 'load it with loadData() (and do not use it after releaseData())');
    if (needTargets && !data.targets)
      throw new NormlabError('config', 'this dataset was loaded without targets', 'pass the targets to loadData() to train or evaluate on it');
    if (!Number.isInteger(count) || count < 1 || count > rows.length) {
      throw new NormlabError('shape', `asked for ${count} rows, but a batch has 1 to ${rows.length} rows (the length of its index array)`);
    }
    for (let r = 0; r < count; r++) {
      const row = rows[r];
      if (!(row >= 0 && row < data.rows)) throw new NormlabError('shape', `row index ${row} is outside the dataset's ${data.rows} rows`);
    }
    return inner;
  }

  trainBatch(id: DataId, rows: Int32Array, count: number) {
    return this.checkRows(id, rows, count, true).trainBatch(id, rows, count);
  }

  evaluate(id: DataId, rows: Int32Array, count: number) {
    return this.checkRows(id, rows, count, true).evaluate(id, rows, count);
  }

  predict(id: DataId, rows: Int32Array, count: number) {
    return this.checkRows(id, rows, count, false).predict(id, rows, count);
  }

  trace(id: DataId, rows: Int32Array, count: number) {
    return this.checkRows(id, rows, count, true).trace(id, rows, count);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.loaded.clear();
    this.inner.dispose();
  }
}
