/**
 * The reference backend: plain loops, written to be read and trusted. It is the oracle every faster
 * backend is tested against, so clarity beats speed everywhere in this file.
 *
 * Precision: every stored value (inputs after the transform, weights, activations, gradients, optimizer
 * slots) lives in a typed array of the network's dtype, so a float32 network rounds to float32 at every
 * step. Sums are accumulated in JavaScript doubles before being stored, which is slightly *more*
 * accurate than a float32 framework; the parity tolerances allow for that.
 */
import { argmaxOf, argmaxRow } from '../../math/argmax.js';
import type { BatchResult, DataId, InputSource, NetworkRunner, NetworkSpec, TargetSource, Trace, WeightSlot } from '../../backend.js';
import { CLIP_EPSILON, dropoutUniform, weightLayout } from '../../backend.js';
import { elementwise, logSumExpRow, softmaxRow } from '../../math/activations.js';
import { applyUpdate, createOptimizerState, type OptimizerState } from './optimizers.js';

type Vec = Float64Array | Float32Array;

interface StoredData {
  x: InputSource;
  y?: TargetSource;
}

/** Everything a forward pass computed for one batch, kept for the backward pass. */
interface ForwardPass {
  /** inputs[l] is what layer l's matmul saw: the transformed input batch after layer l's stages. */
  inputs: Vec[];
  pre: Vec[];
  post: Vec[];
  /** Per layer, per stage: what the backward pass needs. */
  caches: StageCache[][];
}

interface LossAndGrad {
  losses: Float64Array;
  /** Gradient of the mean loss w.r.t. the last layer's pre-activation. */
  dz: Vec;
  correct: number;
}

/** What a stage computed in a training-mode forward pass, kept for its backward pass. */
interface StageCache {
  /** batchNorm: the normalized input x̂ [rows, n] and 1/√(σ² + ε) per feature. */
  xhat?: Float64Array;
  invStd?: Float64Array;
  /** dropout: the multiplier of every value (0 or 1/(1 − rate)). */
  mask?: Float64Array;
}

/** Training mode uses batch statistics and dropout; inference mode moving statistics and no dropout. */
type Mode = 'training' | 'inference';

export class ReferenceRunner implements NetworkRunner {
  readonly spec: NetworkSpec;
  private readonly layout: WeightSlot[];
  private params: Vec[];
  private optimizer: OptimizerState;
  private data = new Map<DataId, StoredData>();
  private nextId = 1;
  /** Training steps taken (trainBatch calls): picks each step's dropout mask. */
  private step = 0;

  constructor(spec: NetworkSpec, weights: Float64Array[]) {
    this.spec = spec;
    this.layout = weightLayout(spec);
    this.params = this.layout.map((slot) => this.alloc(slot.size));
    this.setWeights(weights);
    this.optimizer = createOptimizerState(this.params, (n) => this.alloc(n));
  }

  private alloc(n: number): Vec {
    return this.spec.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  }

  /** Index in `params` of layer l's kernel (bias at +1 when present), or of a stage weight. */
  private paramIndex(l: number, stage: number, role: WeightSlot['role']): number {
    return this.layout.findIndex((w) => w.layer === l && w.stage === stage && w.role === role);
  }

  getWeights(): Float64Array[] {
    return this.params.map((p) => Float64Array.from(p));
  }

  setWeights(weights: Float64Array[]): void {
    const shapes = this.layout.map((w) => w.size);
    if (weights.length !== shapes.length) {
      throw new Error(`setWeights: expected ${shapes.length} tensors, got ${weights.length}`);
    }
    weights.forEach((w, i) => {
      if (w.length !== shapes[i]) throw new Error(`setWeights: tensor ${i} has ${w.length} values, expected ${shapes[i]}`);
      this.params[i].set(w);
    });
  }

  resetOptimizer(): void {
    this.optimizer = createOptimizerState(this.params, (n) => this.alloc(n));
  }

  optimizerSlots(): { tensor: number; slots: Float64Array[] }[] {
    const out: { tensor: number; slots: Float64Array[] }[] = [];
    this.layout.forEach((w, tensor) => {
      if (w.stage >= 0 || (w.role !== 'kernel' && w.role !== 'bias')) return;
      const o = this.optimizer;
      out.push({ tensor, slots: [o.slot1[tensor], o.slot2[tensor], o.slot3[tensor]].map((s) => Float64Array.from(s)) });
    });
    return out;
  }

  setLearningRate(learningRate: number): void {
    (this.spec.optimizer as { learningRate: number }).learningRate = learningRate;
  }

  loadData(x: InputSource, y?: TargetSource): DataId {
    const id = this.nextId++;
    this.data.set(id, { x, y });
    return id;
  }

  releaseData(id: DataId): void {
    this.data.delete(id);
  }

  private stored(id: DataId): StoredData {
    const d = this.data.get(id);
    if (!d) throw new Error(`unknown data id ${id}`);
    return d;
  }

  /** Gather the given rows and apply the input transform x' = a·x + b, in the network's dtype. */
  private gatherInputs(x: InputSource, rows: Int32Array, count: number): Vec {
    const n = x.inputSize;
    const out = this.alloc(count * n);
    const { a, b } = x.transform;
    for (let r = 0; r < count; r++) {
      const src = rows[r] * n;
      for (let j = 0; j < n; j++) out[r * n + j] = a * x.values[src + j] + b;
    }
    return out;
  }

  /**
   * One stage on [count, n] values. Every value is computed in double precision and rounded once into
   * the dtype. `update` (trainBatch only) moves batch norm's moving statistics.
   */
  private applyStage(l: number, s: number, x: Vec, count: number, mode: Mode, update: boolean, cache: StageCache): Vec {
    const stage = this.spec.layers[l].stages![s];
    const n = this.spec.layers[l].inputSize;
    const out = this.alloc(count * n);
    if (stage.kind === 'affine') {
      for (let r = 0; r < count; r++) for (let i = 0; i < n; i++) out[r * n + i] = stage.scale[i] * x[r * n + i] + stage.offset[i];
      return out;
    }
    if (stage.kind === 'dropout') {
      if (mode === 'inference' || stage.rate === 0) {
        out.set(x);
        return out;
      }
      const keep = 1 / (1 - stage.rate);
      const mask = new Float64Array(count * n);
      for (let k = 0; k < count * n; k++) {
        mask[k] = dropoutUniform(stage.seed, this.step, k) < stage.rate ? 0 : keep;
        out[k] = x[k] * mask[k];
      }
      cache.mask = mask;
      return out;
    }
    // batchNorm
    const gammaAt = this.paramIndex(l, s, 'gamma');
    const betaAt = this.paramIndex(l, s, 'beta');
    const gamma = gammaAt >= 0 ? this.params[gammaAt] : undefined;
    const beta = betaAt >= 0 ? this.params[betaAt] : undefined;
    const movingMean = this.params[this.paramIndex(l, s, 'movingMean')];
    const movingVar = this.params[this.paramIndex(l, s, 'movingVariance')];
    if (mode === 'inference') {
      for (let i = 0; i < n; i++) {
        const inv = 1 / Math.sqrt(movingVar[i] + stage.epsilon);
        const g = gamma ? gamma[i] : 1;
        const b = beta ? beta[i] : 0;
        for (let r = 0; r < count; r++) out[r * n + i] = g * ((x[r * n + i] - movingMean[i]) * inv) + b;
      }
      return out;
    }
    const xhat = new Float64Array(count * n);
    const invStd = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let mean = 0;
      for (let r = 0; r < count; r++) mean += x[r * n + i];
      mean /= count;
      let variance = 0;
      for (let r = 0; r < count; r++) variance += (x[r * n + i] - mean) ** 2;
      variance /= count;
      const inv = 1 / Math.sqrt(variance + stage.epsilon);
      invStd[i] = inv;
      const g = gamma ? gamma[i] : 1;
      const b = beta ? beta[i] : 0;
      for (let r = 0; r < count; r++) {
        const h = (x[r * n + i] - mean) * inv;
        xhat[r * n + i] = h;
        out[r * n + i] = g * h + b;
      }
      if (update) {
        movingMean[i] = stage.momentum * movingMean[i] + (1 - stage.momentum) * mean;
        movingVar[i] = stage.momentum * movingVar[i] + (1 - stage.momentum) * variance;
      }
    }
    cache.xhat = xhat;
    cache.invStd = invStd;
    return out;
  }

  /**
   * Back through stage s of layer l: dy is d(mean loss)/d(stage output), [count, n], in double. Returns
   * d/d(stage input) and writes batch norm's gamma/beta gradients into `grads`.
   */
  private stageBackward(l: number, s: number, dy: Float64Array, count: number, cache: StageCache, grads: Vec[]): Float64Array {
    const stage = this.spec.layers[l].stages![s];
    const n = this.spec.layers[l].inputSize;
    const dx = new Float64Array(count * n);
    if (stage.kind === 'affine') {
      for (let r = 0; r < count; r++) for (let i = 0; i < n; i++) dx[r * n + i] = dy[r * n + i] * stage.scale[i];
      return dx;
    }
    if (stage.kind === 'dropout') {
      if (!cache.mask) return Float64Array.from(dy);
      for (let k = 0; k < count * n; k++) dx[k] = dy[k] * cache.mask[k];
      return dx;
    }
    const gammaAt = this.paramIndex(l, s, 'gamma');
    const betaAt = this.paramIndex(l, s, 'beta');
    const xhat = cache.xhat!;
    for (let i = 0; i < n; i++) {
      const g = gammaAt >= 0 ? this.params[gammaAt][i] : 1;
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let r = 0; r < count; r++) {
        sumDy += dy[r * n + i];
        sumDyXhat += dy[r * n + i] * xhat[r * n + i];
      }
      if (gammaAt >= 0) grads[gammaAt][i] = sumDyXhat;
      if (betaAt >= 0) grads[betaAt][i] = sumDy;
      // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)), the batch-statistics backward pass
      const scale = g * cache.invStd![i];
      for (let r = 0; r < count; r++) {
        dx[r * n + i] = scale * (dy[r * n + i] - sumDy / count - (xhat[r * n + i] * sumDyXhat) / count);
      }
    }
    return dx;
  }

  private forward(input: Vec, count: number, mode: Mode, update = false): ForwardPass {
    const pass: ForwardPass = { inputs: [], pre: [], post: [], caches: [] };
    let current = input;
    this.spec.layers.forEach((layer, l) => {
      const caches: StageCache[] = [];
      (layer.stages ?? []).forEach((_, s) => {
        const cache: StageCache = {};
        current = this.applyStage(l, s, current, count, mode, update, cache);
        caches.push(cache);
      });
      pass.caches.push(caches);
      pass.inputs.push(current);
      const k = this.paramIndex(l, -1, 'kernel');
      const kernel = this.params[k];
      const bias = layer.useBias ? this.params[k + 1] : undefined;
      const z = this.alloc(count * layer.units);
      // Loop order r → i → u walks the row-major kernel contiguously; the double-precision row
      // accumulator means a float32 network rounds each z once, not after every addition.
      const row = new Float64Array(layer.units);
      for (let r = 0; r < count; r++) {
        for (let u = 0; u < layer.units; u++) row[u] = bias ? bias[u] : 0;
        for (let i = 0; i < layer.inputSize; i++) {
          const xi = current[r * layer.inputSize + i];
          if (xi === 0) continue; // adds nothing; zero pixels are common
          for (let u = 0; u < layer.units; u++) row[u] += xi * kernel[i * layer.units + u];
        }
        z.set(row, r * layer.units);
      }
      const y = this.alloc(count * layer.units);
      if (layer.activation === 'softmax') {
        for (let r = 0; r < count; r++) softmaxRow(z, r * layer.units, layer.units, y, r * layer.units);
      } else {
        const act = elementwise[layer.activation];
        for (let i = 0; i < z.length; i++) y[i] = act.output(z[i]);
      }
      pass.pre.push(z);
      pass.post.push(y);
      current = y;
    });
    return pass;
  }

  /**
   * Per-sample losses, accuracy, and the gradient of the mean loss w.r.t. the last pre-activation.
   * Cross-entropy with a softmax last layer is fused (computed from the logits z), as tf.keras does:
   * the loss stays finite and the gradient is simply softmax(z) − target.
   */
  private lossAndGrad(pass: ForwardPass, y: TargetSource, rows: Int32Array, count: number): LossAndGrad {
    const last = this.spec.layers[this.spec.layers.length - 1];
    const width = last.units;
    const z = pass.pre[pass.pre.length - 1];
    const out = pass.post[pass.post.length - 1];
    const losses = new Float64Array(count);
    const dOut = new Float64Array(count * width); // d(mean loss)/d(output of last layer) or /d(z) if fused
    let correct = 0;
    const target = (r: number, j: number): number => (y.kind === 'sparse' ? (y.labels[rows[r]] === j ? 1 : 0) : y.values[rows[r] * y.width + j]);

    const isCrossEntropy = this.spec.loss.name !== 'meanSquaredError';
    const fromSoftmax = isCrossEntropy && !this.spec.loss.fromLogits && last.activation === 'softmax';
    const clipped = fromSoftmax && this.spec.loss.clipProbabilities === true;
    const fused = fromSoftmax && !clipped;
    for (let r = 0; r < count; r++) {
      const o = r * width;
      if (clipped) {
        losses[r] = clippedCrossEntropy(out, o, width, (j) => target(r, j), dOut, count);
      } else if (isCrossEntropy) {
        // logits: z when fused; the layer output when the user says the output already is logits.
        const logits = fused ? z : out;
        const lse = logSumExpRow(logits, o, width);
        let loss = 0;
        let targetSum = 0;
        for (let j = 0; j < width; j++) {
          const t = target(r, j);
          targetSum += t;
          if (t !== 0) loss -= t * (logits[o + j] - lse);
        }
        losses[r] = loss;
        for (let j = 0; j < width; j++) dOut[o + j] = (Math.exp(logits[o + j] - lse) * targetSum - target(r, j)) / count;
      } else {
        let loss = 0;
        for (let j = 0; j < width; j++) {
          const diff = out[o + j] - target(r, j);
          loss += diff * diff;
          dOut[o + j] = (2 * diff) / width / count;
        }
        losses[r] = loss / width;
      }
      if (predictionMatches(out, o, width, (j) => target(r, j), y.kind === 'sparse' ? y.labels[rows[r]] : -1)) correct++;
    }
    const dz = this.alloc(count * width);
    if (fused) {
      dz.set(dOut);
    } else {
      this.activationBackward(last.activation, z, out, dOut, dz, count, width);
    }
    return { losses, dz, correct };
  }

  /** dz = dy ⊙ f'(z), or the softmax Jacobian–vector product for softmax layers. */
  private activationBackward(
    activation: NetworkSpec['layers'][number]['activation'],
    z: Vec,
    y: Vec,
    dy: ArrayLike<number>,
    dz: Vec,
    count: number,
    width: number,
  ): void {
    if (activation === 'softmax') {
      for (let r = 0; r < count; r++) {
        const o = r * width;
        let dot = 0;
        for (let j = 0; j < width; j++) dot += dy[o + j] * y[o + j];
        for (let j = 0; j < width; j++) dz[o + j] = y[o + j] * (dy[o + j] - dot);
      }
      return;
    }
    const act = elementwise[activation];
    for (let i = 0; i < count * width; i++) dz[i] = dy[i] * act.der(z[i], y[i]);
  }

  /** Gradients of the mean loss w.r.t. every parameter tensor, in weight order (0 for non-trainable). */
  private backward(pass: ForwardPass, dzLast: Vec, count: number): Vec[] {
    const grads: Vec[] = this.params.map((p) => this.alloc(p.length));
    let dz = dzLast;
    for (let l = this.spec.layers.length - 1; l >= 0; l--) {
      const layer = this.spec.layers[l];
      const stages = layer.stages ?? [];
      const k = this.paramIndex(l, -1, 'kernel');
      const input = pass.inputs[l];
      // dKernel = inputᵀ · dz, accumulated in double precision and rounded once into the dtype.
      const dKernel = new Float64Array(layer.inputSize * layer.units);
      for (let r = 0; r < count; r++) {
        for (let i = 0; i < layer.inputSize; i++) {
          const xi = input[r * layer.inputSize + i];
          if (xi === 0) continue;
          for (let u = 0; u < layer.units; u++) dKernel[i * layer.units + u] += xi * dz[r * layer.units + u];
        }
      }
      grads[k].set(dKernel);
      if (layer.useBias) {
        const dBias = grads[k + 1];
        for (let u = 0; u < layer.units; u++) {
          let sum = 0;
          for (let r = 0; r < count; r++) sum += dz[r * layer.units + u];
          dBias[u] = sum;
        }
      }
      // The input needs a gradient only for the layer below, or for a batch norm among the stages.
      if (l === 0 && !stages.some((st) => st.kind === 'batchNorm')) break;
      const kernel = this.params[k];
      let dInput: Float64Array = new Float64Array(count * layer.inputSize);
      for (let r = 0; r < count; r++) {
        for (let i = 0; i < layer.inputSize; i++) {
          let sum = 0;
          for (let u = 0; u < layer.units; u++) sum += dz[r * layer.units + u] * kernel[i * layer.units + u];
          dInput[r * layer.inputSize + i] = sum;
        }
      }
      for (let s = stages.length - 1; s >= 0; s--) dInput = this.stageBackward(l, s, dInput, count, pass.caches[l][s], grads);
      if (l === 0) break;
      const below = this.spec.layers[l - 1];
      const dzBelow = this.alloc(count * below.units);
      this.activationBackward(below.activation, pass.pre[l - 1], pass.post[l - 1], dInput, dzBelow, count, below.units);
      dz = dzBelow;
    }
    return grads;
  }

  private requireTargets(d: StoredData): TargetSource {
    if (!d.y) throw new Error('this dataset was loaded without targets');
    return d.y;
  }

  trainBatch(id: DataId, rows: Int32Array, count: number): BatchResult {
    const d = this.stored(id);
    const pass = this.forward(this.gatherInputs(d.x, rows, count), count, 'training', true);
    const { losses, dz, correct } = this.lossAndGrad(pass, this.requireTargets(d), rows, count);
    const grads = this.backward(pass, dz, count);
    applyUpdate(
      this.spec.optimizer,
      this.optimizer,
      this.params,
      grads,
      this.layout.map((w) => w.trainable),
    );
    this.step++;
    return { lossSum: sum(losses), correct, rows: count };
  }

  evaluate(id: DataId, rows: Int32Array, count: number): BatchResult {
    const d = this.stored(id);
    const pass = this.forward(this.gatherInputs(d.x, rows, count), count, 'inference');
    const { losses, correct } = this.lossAndGrad(pass, this.requireTargets(d), rows, count);
    return { lossSum: sum(losses), correct, rows: count };
  }

  predict(id: DataId, rows: Int32Array, count: number): Float64Array {
    const d = this.stored(id);
    const pass = this.forward(this.gatherInputs(d.x, rows, count), count, 'inference');
    return Float64Array.from(pass.post[pass.post.length - 1]);
  }

  trace(id: DataId, rows: Int32Array, count: number): Trace {
    const d = this.stored(id);
    const pass = this.forward(this.gatherInputs(d.x, rows, count), count, 'training');
    const { losses, dz } = this.lossAndGrad(pass, this.requireTargets(d), rows, count);
    const grads = this.backward(pass, dz, count);
    return {
      preActivations: pass.pre.map((v) => Float64Array.from(v)),
      activations: pass.post.map((v) => Float64Array.from(v)),
      gradients: grads.map((v) => Float64Array.from(v)),
      losses,
    };
  }

  dispose(): void {
    this.data.clear();
  }
}

/**
 * TensorFlow.js layers' cross-entropy from probabilities, written out with its gradient:
 * p = clip(y, ε, 1−ε); q = p / Σp; c = clip(q, ε, 1−ε); loss = −Σ t·log c. Each clip passes the gradient
 * only where its input lies inside [ε, 1−ε] (tf.clipByValue's gradient), so a sample whose true-class
 * probability is below ε gets a loss of −log ε and a zero gradient. Writes d(mean loss)/dy into dOut.
 */
export function clippedCrossEntropy(y: ArrayLike<number>, o: number, width: number, target: (j: number) => number, dOut: Float64Array, count: number): number {
  const lo = CLIP_EPSILON;
  const hi = 1 - CLIP_EPSILON;
  let s = 0;
  for (let j = 0; j < width; j++) s += Math.min(hi, Math.max(lo, y[o + j]));
  let loss = 0;
  // dL/dp_j = Σ_k −t_k·[q_k inside]/c_k · (δ_kj/s − p_k/s²)
  let shared = 0; // Σ_k −t_k·[q_k inside]/c_k · (−p_k/s²)
  const direct = new Float64Array(width); // −t_j·[q_j inside]/c_j / s
  for (let k = 0; k < width; k++) {
    const t = target(k);
    if (t === 0) continue;
    const p = Math.min(hi, Math.max(lo, y[o + k]));
    const q = p / s;
    const c = Math.min(hi, Math.max(lo, q));
    loss -= t * Math.log(c);
    if (q >= lo && q <= hi) {
      direct[k] = -t / c / s;
      shared += (t / c) * (p / (s * s));
    }
  }
  for (let j = 0; j < width; j++) {
    const inside = y[o + j] >= lo && y[o + j] <= hi;
    dOut[o + j] = inside ? (direct[j] + shared) / count : 0;
  }
  return loss;
}

function sum(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/**
 * Keras' accuracy: argmax of the prediction equals the class (sparse), or the argmax of the target
 * (dense, width > 1); for a single output, both sides thresholded at 0.5.
 */
export function predictionMatches(out: ArrayLike<number>, offset: number, width: number, target: (j: number) => number, sparseLabel: number): boolean {
  if (width === 1 && sparseLabel < 0) return out[offset] > 0.5 === target(0) > 0.5;
  const predicted = argmaxRow(out, offset, width);
  if (sparseLabel >= 0) return predicted === sparseLabel;
  return predicted === argmaxOf(width, target);
}

export { argmaxRow };
