/**
 * Sequential: the tfjs-layers model API (`sequential`, `compile`, `fit`, `evaluate`, `predict`,
 * `summary`, `getWeights`/`setWeights`, `stopTraining`). The model owns the configuration, the seed
 * and the fit loop; the arithmetic happens in a NetworkRunner on a Backend.
 */
import { NormlabError } from '../../errors.js';
import { closestName } from '../../util/suggest.js';
import type { DType, DenseSpec, LossSpec, NetworkRunner, NetworkSpec, OptimizerSpec, Trace } from '../backend.js';
import { getBackend, getBackendName } from '../backends/registry.js';
import { initialize } from '../initializers.js';
import { Dense } from '../layers/dense.js';
import type { Layer, LayerConfig, Shape } from '../layers/layer.js';
import { resolveLoss } from '../losses.js';
import { resolveOptimizer } from '../optimizers.js';
import { Random } from '../random.js';
import { Tensor } from '../tensor.js';
import type { CallbackHooks } from './callbacks.js';
import { checkFlat, checkInputShape, checkLossActivation, checkTargets, requireTensor, toInputSource } from './checks.js';
import { runFit, type FitArgs } from './fit.js';
import { History } from './history.js';
import { checkTrainingMemory } from './memory.js';
import { formatSummary } from './summary.js';

export interface SequentialArgs {
  layers?: Layer[];
  name?: string;
  /** Precision of weights and arithmetic. Default float32, as tfjs. */
  dtype?: DType;
  /** Seed for initialisation and shuffling. Default: the global seed (setSeed) or a random one. */
  seed?: number;
  /** Backend name; default: the global default (setBackend). */
  backend?: string;
}

export interface CompileArgs {
  optimizer: string | OptimizerSpec;
  loss: string | LossSpec;
  metrics?: string[];
}

export interface ModelConfig {
  name: string;
  dtype: DType;
  seed: number;
  backend: string;
  layers: LayerConfig[];
  compile?: { optimizer: OptimizerSpec; loss: LossSpec; metrics: string[] };
}

let globalSeed: number | undefined;
/** Like keras.utils.set_random_seed: models created afterwards without a seed use seeds derived from it. */
export function setSeed(seed: number): void {
  globalSeed = seed >>> 0;
}
let modelCounter = 0;

/** How unknown property writes on a model (e.g. `stopTraning`) are reported. Replaceable by the grader. */
export const modelWarnings = {
  warn: (message: string) => console.warn(`normlab warning: ${message}`),
};

const KNOWN_SETTABLE = new Set(['stopTraining', 'name', 'trainable', 'history']);

export class Sequential {
  readonly name: string;
  readonly dtype: DType;
  readonly seed: number;
  readonly backendName: string;
  readonly layers: Layer[] = [];
  /** Set to true (e.g. from a callback) to stop fit() after the current batch, as in tfjs and Keras. */
  stopTraining = false;
  /** Property names written on this model that the API does not have, with the closest real name. */
  readonly unknownProperties: { name: string; suggestion?: string }[] = [];
  history?: History;

  private outputShapes: Shape[] = [];
  private weights: Float64Array[] = [];
  private runner?: NetworkRunner;
  private compiled?: { optimizer: OptimizerSpec; loss: LossSpec; metrics: string[] };
  private readonly initRandom: Random;
  /** Shuffling continues across fit() calls; re-running the program reproduces the same sequence. */
  readonly shuffleRandom: Random;

  constructor(args: SequentialArgs = {}) {
    this.name = args.name ?? `sequential_${++modelCounter}`;
    this.dtype = args.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new NormlabError('config', `dtype must be 'float32' or 'float64', got '${String(args.dtype)}'`);
    }
    this.seed = args.seed ?? (globalSeed !== undefined ? (globalSeed + modelCounter) >>> 0 : (Math.random() * 2 ** 32) >>> 0);
    this.backendName = args.backend ?? getBackendName();
    const root = new Random(this.seed);
    this.initRandom = root.derive('init');
    this.shuffleRandom = root.derive('shuffle');
    for (const layer of args.layers ?? []) this.add(layer);
    // A misspelled stop flag (`stopTraning`, Python's `stop_training`) silently does nothing in tfjs.
    // Returning a Proxy lets normlab notice and say so, while the write itself still happens.
    return new Proxy(this, {
      set: (target, prop, value, receiver) => {
        if (typeof prop === 'string' && !(prop in target) && !KNOWN_SETTABLE.has(prop)) {
          const suggestion = closestName(prop, [...KNOWN_SETTABLE]);
          target.unknownProperties.push({ name: prop, suggestion });
          modelWarnings.warn(
            `model.${prop} is not a property the model reads, so setting it does nothing${suggestion ? `; did you mean model.${suggestion}?` : '.'}`,
          );
        }
        return Reflect.set(target, prop, value, receiver);
      },
    });
  }

  add(layer: Layer): void {
    if (!layer || typeof (layer as Layer).computeOutputShape !== 'function') {
      throw new NormlabError('config', `model.add() needs a layer, got ${JSON.stringify(layer)}`, 'create layers with layers.dense({...}) or layers.flatten({...})');
    }
    if (this.layers.length === 0 && !layer.inputShape) {
      throw new NormlabError(
        'config',
        `the first layer ('${layer.name}') needs an inputShape so the model knows the size of one sample`,
        'e.g. layers.flatten({inputShape: [28, 28]})',
      );
    }
    const input: Shape = this.layers.length === 0 ? [null, ...layer.inputShape!] : this.outputShapes[this.outputShapes.length - 1];
    const output = layer.computeOutputShape(input);
    const fanIn = (input[input.length - 1] ?? 0) as number;
    if (layer instanceof Dense) {
      // Before allocating anything: a model too large to train is refused here, with its size and the limit.
      checkTrainingMemory({ dtype: this.dtype, layers: [...this.denseSizes(), { inputSize: fanIn, units: layer.units, useBias: layer.useBias }] });
    }
    this.layers.push(layer);
    this.outputShapes.push(output);
    if (layer instanceof Dense) {
      this.weights.push(initialize(layer.kernelInitializer, fanIn, layer.units, fanIn * layer.units, this.initRandom));
      if (layer.useBias) this.weights.push(initialize(layer.biasInitializer, fanIn, layer.units, layer.units, this.initRandom));
    }
    this.dropRunner();
  }

  get inputShape(): number[] {
    if (this.layers.length === 0) throw new NormlabError('config', 'the model has no layers', 'add layers with model.add(...) or sequential({layers: [...]})');
    return this.layers[0].inputShape!;
  }

  get outputShape(): Shape {
    return this.outputShapes[this.outputShapes.length - 1];
  }

  get isCompiled(): boolean {
    return this.compiled !== undefined;
  }

  get optimizerSpec(): OptimizerSpec | undefined {
    return this.compiled ? structuredClone(this.compiled.optimizer) : undefined;
  }

  get lossSpec(): LossSpec | undefined {
    return this.compiled ? { ...this.compiled.loss } : undefined;
  }

  get metricNames(): string[] {
    return this.compiled ? [...this.compiled.metrics] : [];
  }

  compile(args: CompileArgs): void {
    if (!args || typeof args !== 'object') {
      throw new NormlabError('config', 'compile() needs {optimizer, loss}', "e.g. model.compile({optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy']})");
    }
    const optimizer = resolveOptimizer(args.optimizer);
    const loss = resolveLoss(args.loss);
    const metrics = (args.metrics ?? []).map((m) => {
      const key = String(m).toLowerCase();
      if (key === 'accuracy' || key === 'acc') return 'acc';
      throw new NormlabError('config', `unknown metric '${m}'`, "normlab supports metrics: ['accuracy']");
    });
    const last = this.layers[this.layers.length - 1];
    if (last instanceof Dense) checkLossActivation(loss, last.activation);
    // Keras creates a fresh optimizer on compile; keep the current weights.
    this.weights = this.getWeightArrays();
    this.compiled = { optimizer, loss, metrics };
    this.dropRunner();
  }

  /** The flat dense stack the backend runs; errors if the shapes cannot be trained. */
  networkSpec(): NetworkSpec {
    const denseLayers = this.layers
      .map((layer, i) => ({ layer, i }))
      .filter(({ layer }) => layer instanceof Dense);
    if (denseLayers.length === 0) throw new NormlabError('config', 'the model has no dense layer to train', 'add layers.dense({units: 10, activation: "softmax"})');
    checkFlat(
      denseLayers.map(({ layer, i }) => ({ name: layer.name, outputShape: this.outputShapes[i] })),
      this.inputShape,
    );
    const specs: DenseSpec[] = denseLayers.map(({ layer, i }) => {
      const dense = layer as Dense;
      const input = i === 0 ? [null, ...this.inputShape] : this.outputShapes[i - 1];
      return { inputSize: input[input.length - 1] as number, units: dense.units, activation: dense.activation, useBias: dense.useBias };
    });
    const compiled = this.compiled ?? { optimizer: resolveOptimizer('sgd'), loss: { name: 'meanSquaredError' as const, fromLogits: false } };
    return { dtype: this.dtype, layers: specs, loss: compiled.loss, optimizer: structuredClone(compiled.optimizer) };
  }

  /** Input size, units and bias of each dense layer added so far. */
  private denseSizes(): { inputSize: number; units: number; useBias: boolean }[] {
    return this.layers.flatMap((layer, i) => {
      if (!(layer instanceof Dense)) return [];
      const input = i === 0 ? [null, ...this.inputShape] : this.outputShapes[i - 1];
      return [{ inputSize: input[input.length - 1] as number, units: layer.units, useBias: layer.useBias }];
    });
  }

  /** The runner, created on first use from the current weights. */
  getRunner(): NetworkRunner {
    if (!this.runner) this.runner = getBackend(this.backendName).createNetwork(this.networkSpec(), this.weights);
    return this.runner;
  }

  private dropRunner(): void {
    if (this.runner) {
      this.weights = this.runner.getWeights();
      this.runner.dispose();
      this.runner = undefined;
    }
  }

  private getWeightArrays(): Float64Array[] {
    return this.runner ? this.runner.getWeights() : this.weights.map((w) => Float64Array.from(w));
  }

  /** Weight tensors in tfjs order (kernel [in, units], bias [units], per dense layer). */
  getWeights(): Tensor[] {
    const arrays = this.getWeightArrays();
    const shapes = this.weightShapes();
    return arrays.map((a, i) => new Tensor(this.dtype === 'float64' ? a : Float32Array.from(a), shapes[i], this.dtype));
  }

  weightShapes(): number[][] {
    const shapes: number[][] = [];
    this.layers.forEach((layer, i) => {
      if (!(layer instanceof Dense)) return;
      const input = i === 0 ? [null, ...this.inputShape] : this.outputShapes[i - 1];
      shapes.push([input[input.length - 1] as number, layer.units]);
      if (layer.useBias) shapes.push([layer.units]);
    });
    return shapes;
  }

  setWeights(weights: (Tensor | Float64Array)[]): void {
    const shapes = this.weightShapes();
    if (!Array.isArray(weights) || weights.length !== shapes.length) {
      throw new NormlabError('shape', `setWeights expects ${shapes.length} tensors, got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    const arrays = weights.map((w, i) => {
      const values = w instanceof Tensor ? Float64Array.from(w.dataSync()) : Float64Array.from(w);
      const size = shapes[i].reduce((p, d) => p * d, 1);
      if (values.length !== size) {
        throw new NormlabError('shape', `weight ${i} should have shape [${shapes[i].join(',')}] (${size} values), got ${values.length} values`);
      }
      return values;
    });
    if (this.runner) this.runner.setWeights(arrays);
    else this.weights = arrays;
  }

  async fit(x: Tensor, y: Tensor, args: FitArgs = {}): Promise<History> {
    if (!this.compiled) {
      throw new NormlabError('config', 'the model must be compiled before fit()', "call model.compile({optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy']}) first");
    }
    const history = await runFit(this, requireTensor(x, 'x'), requireTensor(y, 'y'), args);
    this.history = history;
    return history;
  }

  /** Upload x (and y) to the runner after checking them; returns what is needed to run batches. */
  prepareData(x: Tensor, y?: Tensor, classNames?: string[]) {
    const xs = requireTensor(x, 'x');
    checkInputShape(xs, this.inputShape);
    const spec = this.networkSpec();
    const inputSize = spec.layers[0].inputSize;
    const outputUnits = spec.layers[spec.layers.length - 1].units;
    const targets = y ? checkTargets(requireTensor(y, 'y'), xs.shape[0], spec.loss, outputUnits, classNames) : undefined;
    const runner = this.getRunner();
    const id = runner.loadData(toInputSource(xs, inputSize), targets);
    return { runner, id, samples: xs.shape[0], outputUnits };
  }

  /** Loss (and accuracy when compiled with it), tfjs-style: a Tensor or [loss, acc] tensors. */
  evaluate(x: Tensor, y: Tensor, args: { batchSize?: number } = {}): Tensor | Tensor[] {
    const { loss, acc } = this.evaluateNumbers(x, y, args);
    const lossTensor = new Tensor(Float32Array.of(loss), [], 'float32');
    return this.metricNames.includes('acc') ? [lossTensor, new Tensor(Float32Array.of(acc), [], 'float32')] : lossTensor;
  }

  /** The same as evaluate(), as plain numbers. */
  evaluateNumbers(x: Tensor, y: Tensor, args: { batchSize?: number } = {}): { loss: number; acc: number } {
    if (!this.compiled) throw new NormlabError('config', 'the model must be compiled before evaluate()', 'call model.compile(...) first');
    const batchSize = checkBatchSize(args.batchSize ?? 32);
    const { runner, id, samples } = this.prepareData(x, y);
    try {
      let lossSum = 0;
      let correct = 0;
      const rows = new Int32Array(batchSize);
      for (let start = 0; start < samples; start += batchSize) {
        const count = Math.min(batchSize, samples - start);
        for (let i = 0; i < count; i++) rows[i] = start + i;
        const r = runner.evaluate(id, rows, count);
        lossSum += r.lossSum;
        correct += r.correct;
      }
      return { loss: lossSum / samples, acc: correct / samples };
    } finally {
      runner.releaseData(id);
    }
  }

  predict(x: Tensor, args: { batchSize?: number } = {}): Tensor {
    const batchSize = checkBatchSize(args.batchSize ?? 32);
    const { runner, id, samples, outputUnits } = this.prepareData(x);
    try {
      const out = this.dtype === 'float64' ? new Float64Array(samples * outputUnits) : new Float32Array(samples * outputUnits);
      const rows = new Int32Array(batchSize);
      for (let start = 0; start < samples; start += batchSize) {
        const count = Math.min(batchSize, samples - start);
        for (let i = 0; i < count; i++) rows[i] = start + i;
        out.set(runner.predict(id, rows, count), start * outputUnits);
      }
      return new Tensor(out, [samples, outputUnits], this.dtype);
    } finally {
      runner.releaseData(id);
    }
  }

  /** Pre-activations, activations, gradients and per-sample losses for some rows (for probes). */
  trace(x: Tensor, y: Tensor, rows?: Int32Array): Trace {
    const { runner, id, samples } = this.prepareData(x, y);
    try {
      const r = rows ?? Int32Array.from({ length: samples }, (_, i) => i);
      return runner.trace(id, r, r.length);
    } finally {
      runner.releaseData(id);
    }
  }

  countParams(): number {
    return this.layers.reduce((sum, layer, i) => sum + layer.countParams(i === 0 ? [null, ...this.inputShape] : this.outputShapes[i - 1]), 0);
  }

  summary(lineLength?: number, positions?: number[], printFn: (line: string) => void = console.log): void {
    const rows = this.layers.map((layer, i) => ({
      name: layer.name,
      className: layer.className,
      outputShape: this.outputShapes[i],
      params: layer.countParams(i === 0 ? [null, ...this.inputShape] : this.outputShapes[i - 1]),
    }));
    for (const line of formatSummary(rows, lineLength, positions)) printFn(line);
  }

  getConfig(): ModelConfig {
    return {
      name: this.name,
      dtype: this.dtype,
      seed: this.seed,
      backend: this.backendName,
      layers: this.layers.map((l) => l.getConfig()),
      compile: this.compiled ? structuredClone(this.compiled) : undefined,
    };
  }

  /** tfjs-style `await model.save('file://dir')` (Node): writes dir/model.json and dir/weights.bin. */
  async save(path: string): Promise<{ modelJson: string; weightsBin: string }> {
    const { saveModel } = await import('./io.js'); // loaded lazily: it needs node:fs, the browser never calls it
    return saveModel(this, path);
  }

  /** Free the backend's memory. The model can be used again; it rebuilds its runner on demand. */
  dispose(): void {
    this.dropRunner();
  }
}

export function checkBatchSize(batchSize: unknown): number {
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new NormlabError('config', `batchSize must be a positive whole number, got ${JSON.stringify(batchSize)}`, 'e.g. batchSize: 32');
  }
  return batchSize;
}

/** tfjs' `tf.sequential({layers})`. */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}

export type { CallbackHooks };
