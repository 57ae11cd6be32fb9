/**
 * NetworkRunner of the wasm backend: lays a network out in the module's linear memory (see layout.ts)
 * and drives the kernels. One trainBatch is one call into WASM (forward, loss, backward, update).
 *
 * Steady-state training allocates nothing: the workspace is sized for the largest batch seen so far and
 * only grows when a larger one arrives. evaluate/predict run in chunks of at most CHUNK rows so that a
 * 10,000-row prediction does not need a 10,000-row workspace.
 *
 * On kernels with a `split` (Node's two-thread module, see threads.ts) a training batch with enough work
 * may run on two threads, each on half of the first layer's units, when SplitPolicy measures that this
 * is faster. The numbers are bit-identical to the one-thread step, so whether a batch is shared —
 * policy, size, load on the machine, a helper thread still starting — never changes a result.
 */
import type { BatchResult, DataId, DenseSpec, InputSource, NetworkRunner, NetworkSpec, StageSpec, TargetSource, Trace, WeightSlot } from '../../backend.js';
import { weightLayout } from '../../backend.js';
import type { WasmHeap } from './heap.js';
import * as M from './layout.js';
import { SplitPolicy } from './split-policy.js';

/** The instantiated module, shared by every runner of one backend. */
export interface Kernels {
  heap: WasmHeap;
  run32(net: number, data: number, rows: number, count: number, mode: number): number;
  run64(net: number, data: number, rows: number, count: number, mode: number): number;
  prepare32(net: number): void;
  prepare64(net: number): void;
  /** Two-thread training (normlab-mt.wasm in Node); absent for the single-threaded module. */
  split?: SplitTrainer;
}

/** Runs training batches on two threads (implemented by threads.ts). */
export interface SplitTrainer {
  /** 'always': every batch of a network that can split; 'auto': as SplitPolicy measures best. */
  readonly policy: 'auto' | 'always';
  /**
   * One MODE_TRAIN batch on two threads; returns its loss sum, or undefined when the helper thread is
   * not available (starting, or failed) — the caller then runs the batch on one thread.
   */
  train(net: number, data: number, rows: number, count: number, size: 4 | 8): number | undefined;
  /** A network that may split batches was created / disposed (the helper thread lives while one exists). */
  attach(): void;
  detach(): void;
}

/** Rows per kernel call for evaluate/predict. */
const CHUNK = 256;

/**
 * 'auto' considers two threads only for batches whose first layer does at least this many multiply-adds
 * (rows × inputs × units); smaller ones are not worth timing. (The lab model's batch of 8, 0.8 M, still
 * gained about 15% on two threads when measured; 4 rows of it would not be considered.)
 */
export const MIN_SPLIT_WORK = 500_000;

/**
 * Where thread 1's units begin in a first-layer row (bytes), or 0 when the network cannot split: it
 * needs a layer above the first (thread 0 runs the layers above while thread 1 transposes), an
 * element-wise first activation (a softmax needs whole rows), and at least two SIMD vectors of units.
 * The cut is at a 64-byte cache line when the row is long enough, so the threads never write one line.
 */
export function splitOffset(spec: NetworkSpec): number {
  if (spec.layers.length < 2 || spec.layers[0].activation === 'softmax') return 0;
  // The two-thread step shares the first layer's units; stages in front of layer 1 (batch norm or dropout
  // after the first dense layer) work per feature = per unit of layer 0 and split the same way. Stages in
  // front of the first layer (it reads the transformed input, not the uint8 lists) and per-tensor
  // clipping (it needs whole gradients) run on one thread.
  if ((spec.layers[0].stages ?? []).length > 0 || spec.optimizer.clipnorm !== undefined || spec.optimizer.clipvalue !== undefined) return 0;
  const size = spec.dtype === 'float32' ? 4 : 8;
  const lanes = 16 / size;
  const rowBytes = Math.ceil(spec.layers[0].units / lanes) * lanes * size;
  if (rowBytes < 32) return 0;
  const line = rowBytes >= 128 ? 64 : 16;
  return Math.min(Math.max(Math.round(rowBytes / 2 / line) * line, 16), rowBytes - 16);
}

const ACT: Record<DenseSpec['activation'], number> = {
  linear: M.ACT_LINEAR,
  relu: M.ACT_RELU,
  sigmoid: M.ACT_SIGMOID,
  tanh: M.ACT_TANH,
  softmax: M.ACT_SOFTMAX,
};

/** One stage's memory (see S_* in layout.ts); 0 for what its kind does not use. */
interface StageMem {
  spec: StageSpec;
  rec: number;
  /** gamma, beta, movingMean, movingVariance (T[np]; 0 when absent) */
  gamma: number;
  beta: number;
  mmean: number;
  mvar: number;
  slots: number[];
  ggamma: number;
  gbeta: number;
  inv: number;
  scale: number;
  offset: number;
  /** workspace (depends on the row capacity) */
  out: number;
  xhat: number;
  mask: number;
}

interface LayerMem {
  spec: DenseSpec;
  stages: StageMem[];
  stageRecs: number;
  up: number;
  rec: number;
  w: number;
  b: number;
  ws: [number, number, number];
  bs: [number, number, number];
  colsum: number;
  gb: number;
  gw: number;
  /** workspace (depends on the row capacity) */
  z: number;
  y: number;
  dz: number;
  rstart: number;
  ridx: number;
  rval: number;
}

interface DataMem {
  rec: number;
  x: number;
  y: number;
  rows: number;
  hasTargets: boolean;
}

export class WasmRunner implements NetworkRunner {
  readonly spec: NetworkSpec;
  private readonly k: Kernels;
  private readonly heap: WasmHeap;
  private readonly size: 4 | 8;
  private readonly lanes: number;
  private readonly run: (net: number, data: number, rows: number, count: number, mode: number) => number;
  private readonly net: number;
  private readonly layers: LayerMem[] = [];
  private readonly layout: WeightSlot[];
  private dstage = 0;
  private capacity = 0;
  private shared: number[] = [];
  private rowsPtr = 0;
  private data = new Map<DataId, DataMem>();
  private nextId = 1;
  private disposed = false;
  /** Two-thread training, when the kernels have it and the network can split. */
  private readonly split: SplitTrainer | undefined;
  private readonly policy: SplitPolicy | undefined;
  /** Units of the first layer before thread 1's (H_SPLIT in units); 0 when the network never splits. */
  private readonly splitUnits: number;
  /** Thread 1's record (T1_*) and its buffers (ensureCapacity), when `split`. */
  private threadOneRec = 0;
  private threadOne: number[] = [];
  private readonly firstLayerWork: number;

  // The spec, the weights and the data are validated once for every backend, above this class
  // (../checked.ts, applied by the registry); this class only lays them out and computes.
  constructor(kernels: Kernels, spec: NetworkSpec, weights: Float64Array[]) {
    this.spec = structuredClone(spec);
    this.k = kernels;
    this.heap = kernels.heap;
    this.size = spec.dtype === 'float32' ? 4 : 8;
    this.lanes = 16 / this.size;
    this.run = spec.dtype === 'float32' ? kernels.run32 : kernels.run64;
    const heap = this.heap;
    this.net = heap.alloc(M.HEADER_BYTES + spec.layers.length * M.LAYER_BYTES);
    this.layout = weightLayout(spec);
    const clipping = spec.optimizer.clipnorm !== undefined || spec.optimizer.clipvalue !== undefined;
    for (const [l, layer] of spec.layers.entries()) {
      const up = Math.ceil(layer.units / this.lanes) * this.lanes;
      const wBytes = layer.inputSize * up * this.size;
      const bBytes = up * this.size;
      const stageSpecs = layer.stages ?? [];
      const npBytes = Math.ceil(layer.inputSize / this.lanes) * 16;
      const f64n = layer.inputSize * 8;
      const stages: StageMem[] = stageSpecs.map((st) => {
        const bn = st.kind === 'batchNorm';
        return {
          spec: st,
          rec: 0,
          gamma: bn && st.scale ? heap.alloc(npBytes) : 0,
          beta: bn && st.center ? heap.alloc(npBytes) : 0,
          mmean: bn ? heap.alloc(npBytes) : 0,
          mvar: bn ? heap.alloc(npBytes) : 0,
          slots: bn ? Array.from({ length: 6 }, () => heap.alloc(npBytes)) : [0, 0, 0, 0, 0, 0],
          ggamma: bn ? heap.alloc(npBytes) : 0,
          gbeta: bn ? heap.alloc(npBytes) : 0,
          inv: bn ? heap.alloc(f64n) : 0,
          scale: st.kind === 'affine' ? heap.alloc(f64n) : 0,
          offset: st.kind === 'affine' ? heap.alloc(f64n) : 0,
          out: 0,
          xhat: 0,
          mask: 0,
        };
      });
      const stageRecs = stages.length ? heap.alloc(stages.length * M.STAGE_BYTES) : 0;
      stages.forEach((st, s) => (st.rec = stageRecs + s * M.STAGE_BYTES));
      this.layers.push({
        spec: layer,
        stages,
        stageRecs,
        up,
        rec: this.net + M.H_LAYERS + l * M.LAYER_BYTES,
        w: heap.alloc(wBytes),
        b: heap.alloc(bBytes),
        ws: [heap.alloc(wBytes), heap.alloc(wBytes), heap.alloc(wBytes)],
        bs: [heap.alloc(bBytes), heap.alloc(bBytes), heap.alloc(bBytes)],
        colsum: l === 0 ? heap.alloc(bBytes) : 0,
        gb: heap.alloc(bBytes),
        gw: clipping ? heap.alloc(wBytes) : 0,
        z: 0,
        y: 0,
        dz: 0,
        rstart: 0,
        ridx: 0,
        rval: 0,
      });
    }
    this.firstLayerWork = spec.layers[0].inputSize * spec.layers[0].units;
    const split = kernels.split ? splitOffset(spec) : 0;
    this.splitUnits = split / this.size;
    heap.i32[(this.net + M.H_SPLIT) >> 2] = split;
    if (split > 0) {
      this.split = kernels.split!;
      this.policy = new SplitPolicy(this.split.policy);
      this.split.attach();
      this.threadOneRec = heap.alloc(M.THREAD1_BYTES);
      heap.i32[(this.net + M.H_THREAD1) >> 2] = this.threadOneRec;
    }
    this.writeHeader();
    this.ensureCapacity(32);
    this.setWeights(weights);
  }

  // ------------------------------------------------------------------------------------- layout

  private writeHeader(): void {
    const i32 = this.heap.i32;
    const f64 = this.heap.f64;
    const h = this.net;
    const spec = this.spec;
    const last = spec.layers[spec.layers.length - 1];
    i32[(h + M.H_NLAYERS) >> 2] = spec.layers.length;
    i32[(h + M.H_LOSSMODE) >> 2] =
      spec.loss.name === 'meanSquaredError'
        ? M.LOSS_MSE
        : !spec.loss.fromLogits && last.activation === 'softmax'
          ? spec.loss.clipProbabilities
            ? M.LOSS_CE_CLIPPED
            : M.LOSS_CE_FUSED
          : M.LOSS_CE_OUTPUT;
    const opt = spec.optimizer;
    f64[(h + M.H_LR) >> 3] = opt.learningRate;
    switch (opt.name) {
      case 'sgd':
        i32[(h + M.H_OPT) >> 2] = M.OPT_SGD;
        f64[(h + M.H_MOMENTUM) >> 3] = opt.momentum;
        i32[(h + M.H_NESTEROV) >> 2] = opt.nesterov ? 1 : 0;
        break;
      case 'adam':
        i32[(h + M.H_OPT) >> 2] = M.OPT_ADAM;
        f64[(h + M.H_BETA1) >> 3] = opt.beta1;
        f64[(h + M.H_BETA2) >> 3] = opt.beta2;
        f64[(h + M.H_EPS) >> 3] = opt.epsilon;
        break;
      case 'rmsprop':
        i32[(h + M.H_OPT) >> 2] = M.OPT_RMSPROP;
        f64[(h + M.H_BETA1) >> 3] = opt.rho;
        f64[(h + M.H_MOMENTUM) >> 3] = opt.momentum;
        f64[(h + M.H_EPS) >> 3] = opt.epsilon;
        i32[(h + M.H_CENTERED) >> 2] = opt.centered ? 1 : 0;
        break;
    }
    i32[(h + M.H_CLIPKIND) >> 2] = opt.clipnorm !== undefined ? M.CLIP_NORM : opt.clipvalue !== undefined ? M.CLIP_VALUE : M.CLIP_NONE;
    f64[(h + M.H_CLIP) >> 3] = opt.clipnorm ?? opt.clipvalue ?? 0;
    for (const [l, L] of this.layers.entries()) {
      const r = L.rec;
      const tensor = this.layout.findIndex((w) => w.layer === l && w.role === 'kernel');
      const ws = opt.paramScales?.[tensor] ?? { lr: 1, epsilon: 1 };
      const bs = (L.spec.useBias ? opt.paramScales?.[tensor + 1] : undefined) ?? { lr: 1, epsilon: 1 };
      i32[(r + M.L_NSTAGES) >> 2] = L.stages.length;
      i32[(r + M.L_STAGES) >> 2] = L.stageRecs;
      for (const st of L.stages) this.writeStage(L, st);
      i32[(r + M.L_IN) >> 2] = L.spec.inputSize;
      i32[(r + M.L_UNITS) >> 2] = L.spec.units;
      i32[(r + M.L_UP) >> 2] = L.up;
      i32[(r + M.L_ACT) >> 2] = ACT[L.spec.activation];
      i32[(r + M.L_USEBIAS) >> 2] = L.spec.useBias ? 1 : 0;
      i32[(r + M.L_W) >> 2] = L.w;
      i32[(r + M.L_B) >> 2] = L.b;
      i32[(r + M.L_WS1) >> 2] = L.ws[0];
      i32[(r + M.L_WS2) >> 2] = L.ws[1];
      i32[(r + M.L_WS3) >> 2] = L.ws[2];
      i32[(r + M.L_BS1) >> 2] = L.bs[0];
      i32[(r + M.L_BS2) >> 2] = L.bs[1];
      i32[(r + M.L_BS3) >> 2] = L.bs[2];
      i32[(r + M.L_COLSUM) >> 2] = L.colsum;
      i32[(r + M.L_GB) >> 2] = L.gb;
      i32[(r + M.L_GW) >> 2] = L.gw;
      f64[(r + M.L_LRW) >> 3] = ws.lr;
      f64[(r + M.L_EPSW) >> 3] = ws.epsilon;
      f64[(r + M.L_LRB) >> 3] = bs.lr;
      f64[(r + M.L_EPSB) >> 3] = bs.epsilon;
    }
  }

  private writeStage(L: LayerMem, st: StageMem): void {
    const i32 = this.heap.i32;
    const f64 = this.heap.f64;
    const r = st.rec;
    const n = L.spec.inputSize;
    const spec = st.spec;
    i32[(r + M.S_KIND) >> 2] = spec.kind === 'affine' ? M.STAGE_AFFINE : spec.kind === 'batchNorm' ? M.STAGE_BATCHNORM : M.STAGE_DROPOUT;
    i32[(r + M.S_N) >> 2] = n;
    const ptrs: [number, number][] = [
      [M.S_GAMMA, st.gamma],
      [M.S_BETA, st.beta],
      [M.S_MMEAN, st.mmean],
      [M.S_MVAR, st.mvar],
      [M.S_GS1, st.slots[0]],
      [M.S_GS2, st.slots[1]],
      [M.S_GS3, st.slots[2]],
      [M.S_BS1, st.slots[3]],
      [M.S_BS2, st.slots[4]],
      [M.S_BS3, st.slots[5]],
      [M.S_GGAMMA, st.ggamma],
      [M.S_GBETA, st.gbeta],
      [M.S_INV, st.inv],
      [M.S_SCALE, st.scale],
      [M.S_OFFSET, st.offset],
    ];
    for (const [field, p] of ptrs) i32[(r + field) >> 2] = p;
    if (spec.kind === 'affine') {
      f64.set(spec.scale, st.scale >> 3);
      f64.set(spec.offset, st.offset >> 3);
    } else if (spec.kind === 'batchNorm') {
      f64[(r + M.S_MOMENTUM) >> 3] = spec.momentum;
      f64[(r + M.S_EPS) >> 3] = spec.epsilon;
    } else {
      f64[(r + M.S_RATE) >> 3] = spec.rate;
      i32[(r + M.S_SEED) >> 2] = spec.seed | 0;
    }
  }

  /** Make the per-row workspace large enough for `rows` rows (reallocates only when it grows). */
  private ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    const cap = Math.max(rows, this.capacity);
    const heap = this.heap;
    const s = this.size;
    for (const p of this.shared) heap.release(p);
    for (const p of this.threadOne) heap.release(p);
    heap.release(this.rowsPtr);
    for (const L of this.layers) for (const p of [L.z, L.y, L.dz, L.rstart, L.ridx, L.rval]) heap.release(p);
    for (const L of this.layers) for (const st of L.stages) for (const p of [st.out, st.xhat, st.mask]) heap.release(p);
    heap.release(this.dstage);
    const maxIn = Math.max(...this.layers.map((L) => L.spec.inputSize));
    const maxUp = Math.max(...this.layers.map((L) => L.up));
    const in0 = this.layers[0].spec.inputSize;
    this.dstage = this.layers.some((L) => L.stages.length) ? heap.alloc(cap * maxIn * 8) : 0;
    for (const L of this.layers) {
      const n = L.spec.inputSize;
      for (const st of L.stages) {
        st.out = heap.alloc(cap * n * s);
        st.xhat = st.spec.kind === 'batchNorm' ? heap.alloc(cap * n * 8) : 0;
        st.mask = st.spec.kind === 'dropout' ? heap.alloc(cap * n * 8) : 0;
      }
      L.z = heap.alloc(cap * L.up * s);
      L.y = heap.alloc(cap * L.up * s);
      L.dz = heap.alloc(cap * L.up * s);
      L.rstart = heap.alloc((cap + 1) * 4);
      L.ridx = heap.alloc(cap * n * 4);
      L.rval = heap.alloc(cap * n * s);
    }
    const colstart = heap.alloc((maxIn + 1) * 4);
    const colrow = heap.alloc(cap * maxIn * 4);
    const colval = heap.alloc(cap * maxIn * s);
    const grow = heap.alloc(maxUp * s);
    const losses = heap.alloc(cap * 8);
    const xdense = heap.alloc(cap * in0 * s);
    const dout = heap.alloc(maxUp * 8);
    this.shared = [colstart, colrow, colval, grow, losses, xdense, dout];
    if (this.split) {
      // thread 1: scratch gradient row, row lists and column lists of the first layer's input
      this.threadOne = [
        heap.alloc(maxUp * s),
        heap.alloc((cap + 1) * 4),
        heap.alloc(cap * in0 * 4),
        heap.alloc(cap * in0 * s),
        heap.alloc((in0 + 1) * 4),
        heap.alloc(cap * in0 * 4),
        heap.alloc(cap * in0 * s),
      ];
    }
    this.rowsPtr = heap.alloc(cap * 4);
    this.capacity = cap;
    const i32 = heap.i32;
    const h = this.net;
    i32[(h + M.H_MAXROWS) >> 2] = cap;
    i32[(h + M.H_COLSTART) >> 2] = colstart;
    i32[(h + M.H_COLROW) >> 2] = colrow;
    i32[(h + M.H_COLVAL) >> 2] = colval;
    i32[(h + M.H_GROW) >> 2] = grow;
    i32[(h + M.H_LOSSES) >> 2] = losses;
    i32[(h + M.H_XDENSE) >> 2] = xdense;
    i32[(h + M.H_DOUT) >> 2] = dout;
    i32[(h + M.H_DSTAGE) >> 2] = this.dstage;
    for (const L of this.layers) {
      for (const st of L.stages) {
        i32[(st.rec + M.S_OUT) >> 2] = st.out;
        i32[(st.rec + M.S_XHAT) >> 2] = st.xhat;
        i32[(st.rec + M.S_MASK) >> 2] = st.mask;
      }
    }
    if (this.split) {
      const t1 = this.threadOneRec;
      [M.T1_GROW, M.T1_RSTART, M.T1_RIDX, M.T1_RVAL, M.T1_COLSTART, M.T1_COLROW, M.T1_COLVAL].forEach((field, i) => {
        i32[(t1 + field) >> 2] = this.threadOne[i];
      });
    }
    for (const L of this.layers) {
      const r = L.rec;
      i32[(r + M.L_Z) >> 2] = L.z;
      i32[(r + M.L_Y) >> 2] = L.y;
      i32[(r + M.L_DZ) >> 2] = L.dz;
      i32[(r + M.L_RSTART) >> 2] = L.rstart;
      i32[(r + M.L_RIDX) >> 2] = L.ridx;
      i32[(r + M.L_RVAL) >> 2] = L.rval;
    }
  }

  /** The dtype view of the module memory and the element index of a byte pointer. */
  private view(): Float32Array | Float64Array {
    return this.size === 4 ? this.heap.f32 : this.heap.f64;
  }

  private check(): void {
    if (this.disposed) throw new Error('this wasm network was disposed');
  }

  // ------------------------------------------------------------------------------------ weights

  /** The pointer of a stage weight (T[np]) of weight slot w. */
  private stagePtr(w: WeightSlot): number {
    const st = this.layers[w.layer].stages[w.stage];
    return w.role === 'gamma' ? st.gamma : w.role === 'beta' ? st.beta : w.role === 'movingMean' ? st.mmean : st.mvar;
  }

  /**
   * Where row i of a tensor shaped like layer `layer`'s kernel (the kernel, its optimizer state) lies, as
   * pieces [first unit, end unit, element offset of the first unit]: one per row, or two for the first
   * layer of a network that splits, whose kernel-shaped tensors are stored in two per-thread blocks
   * (H_SPLIT in ./layout.ts). Padding units beyond `units` are never part of a piece.
   */
  private kernelRowPieces(layer: number, i: number): [number, number, number][] {
    const L = this.layers[layer];
    const { inputSize: n, units } = L.spec;
    const split = layer === 0 ? this.splitUnits : 0;
    if (split === 0) return [[0, units, i * L.up]];
    const pieces: [number, number, number][] = [[0, Math.min(split, units), i * split]];
    if (units > split) pieces.push([split, units, n * split + i * (L.up - split)]);
    return pieces;
  }

  /** A kernel-shaped tensor at byte address p of layer `layer`, as a dense [inputSize, units] array. */
  private readKernelShaped(layer: number, p: number): Float64Array {
    const v = this.view();
    const { inputSize: n, units } = this.layers[layer].spec;
    const out = new Float64Array(n * units);
    const base = p / this.size;
    for (let i = 0; i < n; i++) {
      for (const [from, to, at] of this.kernelRowPieces(layer, i)) out.set(v.subarray(base + at, base + at + (to - from)), i * units + from);
    }
    return out;
  }

  getWeights(): Float64Array[] {
    this.check();
    const v = this.view();
    return this.layout.map((w) => {
      const L = this.layers[w.layer];
      if (w.role === 'kernel') return this.readKernelShaped(w.layer, L.w);
      const p = w.role === 'bias' ? L.b : this.stagePtr(w);
      return Float64Array.from(v.subarray(p / this.size, p / this.size + w.size));
    });
  }

  setWeights(weights: Float64Array[]): void {
    this.check();
    const v = this.view();
    this.layout.forEach((slot, t) => {
      const L = this.layers[slot.layer];
      const w = weights[t];
      if (slot.role === 'kernel') {
        const { inputSize: n, units } = L.spec;
        const base = L.w / this.size;
        for (let i = 0; i < n; i++) {
          for (const [from, to, at] of this.kernelRowPieces(slot.layer, i)) v.set(w.subarray(i * units + from, i * units + to), base + at);
        }
      } else {
        v.set(w, (slot.role === 'bias' ? L.b : this.stagePtr(slot)) / this.size);
      }
    });
    if (this.size === 4) this.k.prepare32(this.net);
    else this.k.prepare64(this.net);
  }

  resetOptimizer(): void {
    this.check();
    const u8 = this.heap.u8;
    for (const L of this.layers) {
      const wBytes = L.spec.inputSize * L.up * this.size;
      const bBytes = L.up * this.size;
      for (const p of L.ws) u8.fill(0, p, p + wBytes);
      for (const p of L.bs) u8.fill(0, p, p + bBytes);
      const npBytes = Math.ceil(L.spec.inputSize / this.lanes) * 16;
      for (const st of L.stages) for (const p of st.slots) if (p) u8.fill(0, p, p + npBytes);
    }
    this.heap.i32[(this.net + M.H_STEP) >> 2] = 0;
  }

  optimizerSlots(): { tensor: number; slots: Float64Array[] }[] {
    this.check();
    const v = this.view();
    const out: { tensor: number; slots: Float64Array[] }[] = [];
    this.layout.forEach((w, tensor) => {
      if (w.stage >= 0 || (w.role !== 'kernel' && w.role !== 'bias')) return;
      const L = this.layers[w.layer];
      const { units } = L.spec;
      const read = (p: number) => {
        const base = p / this.size;
        return w.role === 'bias' ? Float64Array.from(v.subarray(base, base + units)) : this.readKernelShaped(w.layer, p);
      };
      out.push({ tensor, slots: (w.role === 'kernel' ? L.ws : L.bs).map(read) });
    });
    return out;
  }

  setLearningRate(learningRate: number): void {
    this.check();
    (this.spec.optimizer as { learningRate: number }).learningRate = learningRate;
    this.heap.f64[(this.net + M.H_LR) >> 3] = learningRate;
  }

  // --------------------------------------------------------------------------------------- data

  loadData(x: InputSource, y?: TargetSource): DataId {
    this.check();
    const n = this.spec.layers[0].inputSize;
    const heap = this.heap;
    const values = x.values;
    const count = x.rows * n;
    const kind = values instanceof Uint8Array ? M.XK_U8 : values instanceof Float32Array ? M.XK_F32 : M.XK_F64;
    const xPtr = heap.alloc(count * (kind === M.XK_U8 ? 1 : kind === M.XK_F32 ? 4 : 8));
    let yPtr = 0;
    let yKind = M.YK_NONE;
    let yWidth = 0;
    if (y) {
      if (y.kind === 'sparse') {
        yKind = M.YK_SPARSE;
        yPtr = heap.alloc(y.rows * 4);
      } else {
        yKind = y.values instanceof Float32Array ? M.YK_F32 : M.YK_F64;
        yWidth = y.width;
        yPtr = heap.alloc(y.rows * y.width * (yKind === M.YK_F32 ? 4 : 8));
      }
    }
    const rec = heap.alloc(M.DATA_BYTES);
    // every allocation is done: views are stable from here on
    if (kind === M.XK_U8) heap.u8.set(values.subarray(0, count), xPtr);
    else if (kind === M.XK_F32) heap.f32.set(values.subarray(0, count), xPtr >> 2);
    else heap.f64.set(values.subarray(0, count), xPtr >> 3);
    if (y) {
      if (y.kind === 'sparse') heap.i32.set(y.labels.subarray(0, y.rows), yPtr >> 2);
      else if (yKind === M.YK_F32) heap.f32.set(y.values.subarray(0, y.rows * y.width), yPtr >> 2);
      else heap.f64.set(y.values.subarray(0, y.rows * y.width), yPtr >> 3);
    }
    const i32 = heap.i32;
    const f64 = heap.f64;
    i32[(rec + M.D_XKIND) >> 2] = kind;
    i32[(rec + M.D_X) >> 2] = xPtr;
    i32[(rec + M.D_IN) >> 2] = n;
    i32[(rec + M.D_YKIND) >> 2] = yKind;
    i32[(rec + M.D_Y) >> 2] = yPtr;
    i32[(rec + M.D_YWIDTH) >> 2] = yWidth;
    i32[(rec + M.D_ROWS) >> 2] = x.rows;
    f64[(rec + M.D_A) >> 3] = x.transform.a;
    f64[(rec + M.D_B) >> 3] = x.transform.b;
    const id = this.nextId++;
    this.data.set(id, { rec, x: xPtr, y: yPtr, rows: x.rows, hasTargets: y !== undefined });
    return id;
  }

  releaseData(id: DataId): void {
    const d = this.data.get(id);
    if (!d) return;
    this.heap.release(d.rec);
    this.heap.release(d.x);
    this.heap.release(d.y);
    this.data.delete(id);
  }

  private stored(id: DataId, needTargets: boolean): DataMem {
    this.check();
    const d = this.data.get(id);
    if (!d) throw new Error(`unknown data id ${id}`);
    if (needTargets && !d.hasTargets) throw new Error('this dataset was loaded without targets');
    return d;
  }

  /**
   * Copy row indices [from, from + count) into the module. Checked above (../checked.ts) and again here:
   * a wrong index would make the kernels read another buffer of the module's memory.
   */
  private putRows(d: DataMem, rows: Int32Array, from: number, count: number): void {
    if (from + count > rows.length) throw new Error(`asked for ${count} rows but the index array holds ${rows.length - from}`);
    const i32 = this.heap.i32;
    const base = this.rowsPtr >> 2;
    const limit = d.rows;
    for (let r = 0; r < count; r++) {
      const row = rows[from + r];
      if (!(row >= 0 && row < limit)) throw new Error(`row index ${row} is outside the dataset's ${limit} rows`);
      i32[base + r] = row;
    }
  }

  // ------------------------------------------------------------------------------------ compute

  trainBatch(id: DataId, rows: Int32Array, count: number): BatchResult {
    const d = this.stored(id, true);
    this.ensureCapacity(count);
    this.putRows(d, rows, 0, count);
    let lossSum: number | undefined;
    const policy = this.policy;
    if (policy && (policy.mode === 'always' || count * this.firstLayerWork >= MIN_SPLIT_WORK)) {
      const started = performance.now();
      if (policy.wantsTwo()) lossSum = this.split!.train(this.net, d.rec, this.rowsPtr, count, this.size);
      const ranOnTwo = lossSum !== undefined;
      lossSum ??= this.run(this.net, d.rec, this.rowsPtr, count, M.MODE_TRAIN);
      policy.record(ranOnTwo, count, performance.now() - started);
    } else {
      lossSum = this.run(this.net, d.rec, this.rowsPtr, count, M.MODE_TRAIN);
    }
    return { lossSum, correct: this.heap.i32[(this.net + M.H_CORRECT) >> 2], rows: count };
  }

  evaluate(id: DataId, rows: Int32Array, count: number): BatchResult {
    const d = this.stored(id, true);
    this.ensureCapacity(Math.min(count, CHUNK));
    let lossSum = 0;
    let correct = 0;
    const step = Math.max(this.capacity, 1);
    for (let from = 0; from < count; from += step) {
      const n = Math.min(step, count - from);
      this.putRows(d, rows, from, n);
      lossSum += this.run(this.net, d.rec, this.rowsPtr, n, M.MODE_EVALUATE);
      correct += this.heap.i32[(this.net + M.H_CORRECT) >> 2];
    }
    return { lossSum, correct, rows: count };
  }

  predict(id: DataId, rows: Int32Array, count: number): Float64Array {
    const d = this.stored(id, false);
    this.ensureCapacity(Math.min(count, CHUNK));
    const last = this.layers[this.layers.length - 1];
    const width = last.spec.units;
    const out = new Float64Array(count * width);
    const step = Math.max(this.capacity, 1);
    for (let from = 0; from < count; from += step) {
      const n = Math.min(step, count - from);
      this.putRows(d, rows, from, n);
      this.run(this.net, d.rec, this.rowsPtr, n, M.MODE_PREDICT);
      const v = this.view();
      const base = last.y / this.size;
      for (let r = 0; r < n; r++) {
        out.set(v.subarray(base + r * last.up, base + r * last.up + width), (from + r) * width);
      }
    }
    return out;
  }

  trace(id: DataId, rows: Int32Array, count: number): Trace {
    const d = this.stored(id, true);
    this.ensureCapacity(count);
    for (const L of this.layers) {
      if (L.gw === 0) {
        L.gw = this.heap.alloc(L.spec.inputSize * L.up * this.size);
        this.heap.i32[(L.rec + M.L_GW) >> 2] = L.gw;
      }
    }
    this.putRows(d, rows, 0, count);
    this.run(this.net, d.rec, this.rowsPtr, count, M.MODE_TRACE);
    const v = this.view();
    const s = this.size;
    const strided = (ptr: number, rowsN: number, up: number, width: number): Float64Array => {
      const out = new Float64Array(rowsN * width);
      for (let r = 0; r < rowsN; r++) out.set(v.subarray(ptr / s + r * up, ptr / s + r * up + width), r * width);
      return out;
    };
    const gradients = this.layout.map((w) => {
      const L = this.layers[w.layer];
      if (w.role === 'kernel') return strided(L.gw, L.spec.inputSize, L.up, L.spec.units);
      if (w.role === 'bias') return strided(L.gb, 1, L.up, L.spec.units);
      if (!w.trainable) return new Float64Array(w.size);
      const st = L.stages[w.stage];
      return strided(w.role === 'gamma' ? st.ggamma : st.gbeta, 1, 0, w.size);
    });
    const lossesPtr = this.heap.i32[(this.net + M.H_LOSSES) >> 2];
    return {
      preActivations: this.layers.map((L) => strided(L.z, count, L.up, L.spec.units)),
      activations: this.layers.map((L) => strided(L.y, count, L.up, L.spec.units)),
      gradients,
      losses: Float64Array.from(this.heap.f64.subarray(lossesPtr >> 3, (lossesPtr >> 3) + count)),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    for (const id of [...this.data.keys()]) this.releaseData(id);
    const heap = this.heap;
    for (const p of this.shared) heap.release(p);
    for (const p of this.threadOne) heap.release(p);
    heap.release(this.rowsPtr);
    for (const L of this.layers) {
      for (const p of [L.w, L.b, ...L.ws, ...L.bs, L.colsum, L.gb, L.gw, L.z, L.y, L.dz, L.rstart, L.ridx, L.rval]) heap.release(p);
      for (const st of L.stages) {
        for (const p of [st.gamma, st.beta, st.mmean, st.mvar, ...st.slots, st.ggamma, st.gbeta, st.inv, st.scale, st.offset, st.out, st.xhat, st.mask])
          heap.release(p);
      }
      heap.release(L.stageRecs);
    }
    heap.release(this.dstage);
    heap.release(this.threadOneRec);
    heap.release(this.net);
    this.disposed = true;
    this.split?.detach();
  }
}
