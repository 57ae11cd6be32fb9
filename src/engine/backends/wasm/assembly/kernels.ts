/**
 * normlab's WASM kernels (AssemblyScript, compiled with SIMD by scripts/build-wasm.mjs). This file is
 * the library; the entry files choose what a build exports: ./index.ts (build/normlab.wasm, one
 * thread, what browsers and pool workers run) and ./threads.ts (build/normlab-mt.wasm, the same
 * kernels on shared memory plus the two-thread training step).
 *
 * One exported call runs a whole batch: forward through every dense layer, loss, backward and the
 * optimizer update (`run32` / `run64`, mode MODE_TRAIN). The TypeScript runner owns the memory layout
 * (see ../layout.ts); nothing here allocates.
 *
 * The ideas that make it fast:
 * - Every layer input is turned into per-row lists of its nonzero values first. uint8 pixels are listed
 *   raw and the input transform x' = a·x + b is fused into the first layer:
 *   z = a·(Σ_nonzero x·W) + b·colsum(W) + bias, and dW = a·Σ_nonzero x·dz + b·Σ dz. So the ~50% zero
 *   pixels of MNIST-like data (and the zeros of relu outputs) cost nothing, whatever b is.
 * - Forward: for each row, a tile of 6 SIMD accumulators (24 float32 units) stays in registers while the
 *   row's nonzero inputs stream the matching kernel rows.
 * - Backward: the row lists are transposed into per-input column lists, so the gradient of one kernel
 *   row is accumulated in registers and the optimizer update of that row follows at once, while it is in
 *   L1 cache. No full gradient tensor is ever written (except when tracing).
 * - colsum(W) of the first layer is recomputed from the freshly updated rows in the same pass.
 *
 * Every per-unit computation (forward, activation, bias and kernel gradients, update, colsum) can be
 * restricted to a byte range [u0, u1) of the unit axis. Each unit's arithmetic is the same whatever the
 * range, which is what lets two threads share a layer by units and still produce bit-identical numbers.
 *
 * Generic over T = f32 | f64; `sizeof<T>()` branches are resolved at compile time.
 */
import {
  H_NLAYERS, H_LOSSMODE, H_OPT, H_NESTEROV, H_CENTERED, H_STEP, H_LR, H_BETA1, H_BETA2, H_EPS,
  H_MOMENTUM, H_CORRECT, H_VCONST, H_COLSUM_OK, H_COLSTART, H_COLROW, H_COLVAL, H_GROW, H_LOSSES, H_XDENSE, H_DOUT, H_LAYERS,
  LAYER_BYTES, L_IN, L_UNITS, L_UP, L_ACT, L_USEBIAS, L_W, L_B, L_WS1, L_WS2, L_WS3, L_BS1, L_BS2, L_BS3,
  L_Z, L_Y, L_DZ, L_COLSUM, L_GB, L_GW, L_RSTART, L_RIDX, L_RVAL, L_LRW, L_EPSW, L_LRB, L_EPSB,
  D_XKIND, D_X, D_IN, D_YKIND, D_Y, D_YWIDTH, D_A, D_B,
  XK_U8, XK_F32, YK_SPARSE, YK_F32,
  ACT_LINEAR, ACT_RELU, ACT_SIGMOID, ACT_TANH, ACT_SOFTMAX,
  LOSS_CE_FUSED, LOSS_CE_CLIPPED, CLIP_EPS, LOSS_MSE, OPT_SGD, OPT_ADAM,
  MODE_PREDICT, MODE_TRAIN, MODE_TRACE,
  H_DSTEP, H_DSTAGE, H_STAGEMODE, H_CLIPKIND, H_CLIP, H_SPLIT, L_NSTAGES, L_STAGES, STAGE_BYTES,
  S_KIND, S_N, S_OUT, S_GAMMA, S_BETA, S_MMEAN, S_MVAR, S_GS1, S_GS2, S_GS3, S_BS1, S_BS2, S_BS3, S_GGAMMA, S_GBETA,
  S_XHAT, S_INV, S_SCALE, S_OFFSET, S_MASK, S_SEED, S_MASKON, S_RATE, S_MOMENTUM, S_EPS,
  STAGE_AFFINE, STAGE_BATCHNORM, STAGEMODE_INFERENCE, STAGEMODE_TRAINING, STAGEMODE_UPDATE, CLIP_NONE, CLIP_NORM,
} from '../layout';

// Adam's bias corrections 1/(1 - β^t) of the current step (per instance: each thread computes its own).
let invC1: f64 = 1;
let invC2: f64 = 1;

export function heapBase(): usize {
  return __heap_base;
}

// ------------------------------------------------------------------------------------------ helpers

@inline export function i32At(p: usize): i32 {
  return load<i32>(p);
}
@inline export function ptrAt(p: usize): usize {
  return load<u32>(p);
}
@inline export function layerAt(net: usize, l: i32): usize {
  return net + H_LAYERS + <usize>l * LAYER_BYTES;
}
@inline function vzero(): v128 {
  return v128.splat<i32>(0);
}
/** Sum of the lanes of a vector, as a scalar of T. */
@inline function hsum<T>(v: v128): T {
  if (sizeof<T>() == 4) {
    return <T>(f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)));
  } else {
    return <T>(f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1));
  }
}
@inline function fma<T>(acc: v128, s: v128, w: v128): v128 {
  return v128.add<T>(acc, v128.mul<T>(s, w));
}

// ---------------------------------------------------------------------------- building input lists

/** Per-row lists of the nonzero raw bytes of the selected rows (value converted to T). */
function rowsFromBytes<T>(x: usize, n: i32, rows: usize, count: i32, rs: usize, ri: usize, rv: usize): void {
  let k: i32 = 0;
  const zero = vzero();
  for (let r = 0; r < count; r++) {
    store<i32>(rs + (<usize>r << 2), k);
    const src = x + <usize>i32At(rows + (<usize>r << 2)) * <usize>n;
    let i = 0;
    for (; i + 16 <= n; i += 16) {
      let mask = i8x16.bitmask(v128.ne<i8>(v128.load(src + <usize>i), zero));
      while (mask != 0) {
        const j = i + ctz(mask);
        store<i32>(ri + (<usize>k << 2), j);
        store<T>(rv + <usize>k * sizeof<T>(), <T>load<u8>(src + <usize>j));
        k++;
        mask &= mask - 1;
      }
    }
    for (; i < n; i++) {
      const v = load<u8>(src + <usize>i);
      if (v != 0) {
        store<i32>(ri + (<usize>k << 2), i);
        store<T>(rv + <usize>k * sizeof<T>(), <T>v);
        k++;
      }
    }
  }
  store<i32>(rs + (<usize>count << 2), k);
}

/** Per-row lists of the nonzero values of a dense [count, stride] matrix of T (first n columns). */
function rowsFromDense<T>(src: usize, stride: i32, n: i32, count: i32, rs: usize, ri: usize, rv: usize): void {
  let k: i32 = 0;
  for (let r = 0; r < count; r++) {
    store<i32>(rs + (<usize>r << 2), k);
    const p = src + <usize>r * <usize>stride * sizeof<T>();
    for (let i = 0; i < n; i++) {
      const v = load<T>(p + <usize>i * sizeof<T>());
      if (v != 0) {
        store<i32>(ri + (<usize>k << 2), i);
        store<T>(rv + <usize>k * sizeof<T>(), v);
        k++;
      }
    }
  }
  store<i32>(rs + (<usize>count << 2), k);
}

/** Gather float rows and apply x' = a·x + b in double precision, storing T (as the reference does). */
function gatherFloat<T, S>(x: usize, n: i32, rows: usize, count: i32, a: f64, b: f64, out: usize): void {
  for (let r = 0; r < count; r++) {
    const src = x + <usize>i32At(rows + (<usize>r << 2)) * <usize>n * sizeof<S>();
    const dst = out + <usize>r * <usize>n * sizeof<T>();
    for (let i = 0; i < n; i++) {
      store<T>(dst + <usize>i * sizeof<T>(), <T>(a * <f64>load<S>(src + <usize>i * sizeof<S>()) + b));
    }
  }
}

/**
 * Transpose row lists into column lists (counting sort): for each input i, the rows where it is
 * nonzero (as byte offsets r · rowBytes into DZ), in ascending row order, with their values.
 */
export function transposeLists<T>(count: i32, n: i32, rs: usize, ri: usize, rv: usize, cs: usize, cr: usize, cv: usize, rowBytes: usize): void {
  memory.fill(cs, 0, (<usize>n + 1) << 2);
  const nnz = i32At(rs + (<usize>count << 2));
  for (let k = 0; k < nnz; k++) {
    const p = cs + ((<usize>i32At(ri + (<usize>k << 2)) + 1) << 2);
    store<i32>(p, load<i32>(p) + 1);
  }
  for (let i = 1; i <= n; i++) {
    const p = cs + (<usize>i << 2);
    store<i32>(p, load<i32>(p) + load<i32>(p - 4));
  }
  // cs[i] is now the start of column i; use it as a cursor.
  for (let r = 0; r < count; r++) {
    const k1 = i32At(rs + (<usize>(r + 1) << 2));
    for (let k = i32At(rs + (<usize>r << 2)); k < k1; k++) {
      const c = cs + (<usize>i32At(ri + (<usize>k << 2)) << 2);
      const pos = load<i32>(c);
      store<i32>(cr + (<usize>pos << 2), <i32>(<usize>r * rowBytes));
      store<T>(cv + <usize>pos * sizeof<T>(), load<T>(rv + <usize>k * sizeof<T>()));
      store<i32>(c, pos + 1);
    }
  }
  // cs[i] now holds the end of column i = the start of column i + 1; shift back.
  for (let i = n; i >= 1; i--) store<i32>(cs + (<usize>i << 2), load<i32>(cs + (<usize>(i - 1) << 2)));
  store<i32>(cs, 0);
}

// ------------------------------------------------------------------------------------------ forward

// The tiles below are written out by hand for 6, 4, 2 and 1 vectors on purpose: AssemblyScript has no
// compile-time loop unrolling, and the accumulators only stay in registers as separate locals (an array
// of v128 would live in memory). Wider tiles (8) spill registers in V8 and were measured slower.
/** Accumulate a tile of NV vectors of units over one row's nonzeros: acc = Σ_k val_k · W[idx_k, tile]. */
@inline function fwdTile6<T>(k0: i32, k1: i32, ri: usize, rv: usize, wb: usize, rowBytes: usize, va: v128, cu: usize, zu: usize): void {
  let a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero(), a4 = vzero(), a5 = vzero();
  for (let k = k0; k < k1; k++) {
    const s = v128.load_splat<T>(rv + <usize>k * sizeof<T>());
    const w = wb + <usize>i32At(ri + (<usize>k << 2)) * rowBytes;
    a0 = fma<T>(a0, s, v128.load(w, 0));
    a1 = fma<T>(a1, s, v128.load(w, 16));
    a2 = fma<T>(a2, s, v128.load(w, 32));
    a3 = fma<T>(a3, s, v128.load(w, 48));
    a4 = fma<T>(a4, s, v128.load(w, 64));
    a5 = fma<T>(a5, s, v128.load(w, 80));
  }
  v128.store(zu, fma<T>(v128.load(cu, 0), va, a0), 0);
  v128.store(zu, fma<T>(v128.load(cu, 16), va, a1), 16);
  v128.store(zu, fma<T>(v128.load(cu, 32), va, a2), 32);
  v128.store(zu, fma<T>(v128.load(cu, 48), va, a3), 48);
  v128.store(zu, fma<T>(v128.load(cu, 64), va, a4), 64);
  v128.store(zu, fma<T>(v128.load(cu, 80), va, a5), 80);
}
@inline function fwdTile4<T>(k0: i32, k1: i32, ri: usize, rv: usize, wb: usize, rowBytes: usize, va: v128, cu: usize, zu: usize): void {
  let a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
  for (let k = k0; k < k1; k++) {
    const s = v128.load_splat<T>(rv + <usize>k * sizeof<T>());
    const w = wb + <usize>i32At(ri + (<usize>k << 2)) * rowBytes;
    a0 = fma<T>(a0, s, v128.load(w, 0));
    a1 = fma<T>(a1, s, v128.load(w, 16));
    a2 = fma<T>(a2, s, v128.load(w, 32));
    a3 = fma<T>(a3, s, v128.load(w, 48));
  }
  v128.store(zu, fma<T>(v128.load(cu, 0), va, a0), 0);
  v128.store(zu, fma<T>(v128.load(cu, 16), va, a1), 16);
  v128.store(zu, fma<T>(v128.load(cu, 32), va, a2), 32);
  v128.store(zu, fma<T>(v128.load(cu, 48), va, a3), 48);
}
@inline function fwdTile2<T>(k0: i32, k1: i32, ri: usize, rv: usize, wb: usize, rowBytes: usize, va: v128, cu: usize, zu: usize): void {
  let a0 = vzero(), a1 = vzero();
  for (let k = k0; k < k1; k++) {
    const s = v128.load_splat<T>(rv + <usize>k * sizeof<T>());
    const w = wb + <usize>i32At(ri + (<usize>k << 2)) * rowBytes;
    a0 = fma<T>(a0, s, v128.load(w, 0));
    a1 = fma<T>(a1, s, v128.load(w, 16));
  }
  v128.store(zu, fma<T>(v128.load(cu, 0), va, a0), 0);
  v128.store(zu, fma<T>(v128.load(cu, 16), va, a1), 16);
}
@inline function fwdTile1<T>(k0: i32, k1: i32, ri: usize, rv: usize, wb: usize, rowBytes: usize, va: v128, cu: usize, zu: usize): void {
  let a0 = vzero();
  for (let k = k0; k < k1; k++) {
    const s = v128.load_splat<T>(rv + <usize>k * sizeof<T>());
    a0 = fma<T>(a0, s, v128.load(wb + <usize>i32At(ri + (<usize>k << 2)) * rowBytes));
  }
  v128.store(zu, fma<T>(v128.load(cu), va, a0));
}

/**
 * Z[r, u] = a · Σ_{k in row r} val_k · W[idx_k, u] + c[u] for the units in the byte range [u0, u1) of a
 * row. A tile of six accumulators (96 bytes of units) stays in registers while the row's nonzeros stream
 * the kernel rows; narrower tiles finish the range. (Six, not eight: V8 has 15 usable xmm registers and
 * spills with eight.) Each lane accumulates on its own, so the tiling never changes a unit's result.
 */
function forwardSparse<T>(count: i32, rs: usize, ri: usize, rv: usize, W: usize, wRowBytes: usize, up: i32, a: T, c: usize, Z: usize, u0: usize, u1: usize): void {
  const rowBytes = <usize>up * sizeof<T>();
  const va = v128.splat<T>(a);
  for (let r = 0; r < count; r++) {
    const k0 = i32At(rs + (<usize>r << 2));
    const k1 = i32At(rs + (<usize>(r + 1) << 2));
    const z = Z + <usize>r * rowBytes;
    let u: usize = u0;
    for (; u + 96 <= u1; u += 96) fwdTile6<T>(k0, k1, ri, rv, W + u, wRowBytes, va, c + u, z + u);
    if (u + 64 <= u1) {
      fwdTile4<T>(k0, k1, ri, rv, W + u, wRowBytes, va, c + u, z + u);
      u += 64;
    }
    if (u + 32 <= u1) {
      fwdTile2<T>(k0, k1, ri, rv, W + u, wRowBytes, va, c + u, z + u);
      u += 32;
    }
    if (u < u1) fwdTile1<T>(k0, k1, ri, rv, W + u, wRowBytes, va, c + u, z + u);
  }
}

/**
 * Where thread 1's units begin in layer l's rows (bytes) when layer l's kernel and its optimizer state
 * are stored in two per-thread blocks, [n, split] then [n, rowBytes − split]; 0 when stored row-major.
 * Only a first layer that two threads share is blocked (H_SPLIT in ../layout.ts says why).
 */
@inline function blockSplit(net: usize, l: i32): usize {
  return l == 0 ? <usize>i32At(net + H_SPLIT) : 0;
}

/** Address of byte u of kernel row i of a tensor shaped like layer l's kernel (blocked or row-major). */
@inline function kernelAt(base: usize, net: usize, l: i32, n: i32, rowBytes: usize, i: i32, u: usize): usize {
  const split = blockSplit(net, l);
  if (split == 0) return base + <usize>i * rowBytes + u;
  if (u < split) return base + <usize>i * split + u;
  return base + <usize>n * split + <usize>i * (rowBytes - split) + (u - split);
}

/** forwardSparse on layer l's kernel, whichever way it is stored (a blocked kernel: one call per block). */
function forwardLayer<T>(net: usize, l: i32, count: i32, rs: usize, ri: usize, rv: usize, a: T, c: usize, Z: usize, u0: usize, u1: usize): void {
  const lp = layerAt(net, l);
  const up = i32At(lp + L_UP);
  const rowBytes = <usize>up * sizeof<T>();
  const W = ptrAt(lp + L_W);
  const split = blockSplit(net, l);
  if (split == 0) {
    forwardSparse<T>(count, rs, ri, rv, W, rowBytes, up, a, c, Z, u0, u1);
    return;
  }
  // Each block is addressed so that `base + u` is unit byte u of kernel row 0 (block B's base is before
  // its start by `split`); the tiling of each block's units never changes a unit's result.
  if (u0 < split) forwardSparse<T>(count, rs, ri, rv, W, split, up, a, c, Z, u0, min<usize>(u1, split));
  if (u1 > split) {
    const n = i32At(lp + L_IN);
    forwardSparse<T>(count, rs, ri, rv, W + <usize>n * split - split, rowBytes - split, up, a, c, Z, max<usize>(u0, split), u1);
  }
}

/** Y = activation(Z) over count rows of stride up (softmax over the first `units` of each row). */
function activate<T>(act: i32, Z: usize, Y: usize, count: i32, units: i32, up: i32): void {
  const total = <usize>count * <usize>up;
  const bytes = total * sizeof<T>();
  if (act == ACT_LINEAR) {
    memory.copy(Y, Z, bytes);
  } else if (act == ACT_RELU) {
    // max (not pmax): NaN passes through, as Math.max(0, z) in the reference and relu in TensorFlow,
    // so a diverged unit shows up in the loss instead of becoming a quiet 0.
    const zero = vzero();
    for (let o: usize = 0; o < bytes; o += 16) v128.store(Y + o, v128.max<T>(zero, v128.load(Z + o)));
  } else if (act == ACT_SIGMOID) {
    for (let i: usize = 0; i < total; i++) {
      const z = <f64>load<T>(Z + i * sizeof<T>());
      store<T>(Y + i * sizeof<T>(), <T>(1.0 / (1.0 + Math.exp(-z))));
    }
  } else if (act == ACT_TANH) {
    for (let i: usize = 0; i < total; i++) {
      store<T>(Y + i * sizeof<T>(), <T>Math.tanh(<f64>load<T>(Z + i * sizeof<T>())));
    }
  } else {
    // softmax, in double precision, padded lanes set to 0
    const rowBytes = <usize>up * sizeof<T>();
    memory.fill(Y, 0, bytes);
    for (let r = 0; r < count; r++) {
      const z = Z + <usize>r * rowBytes;
      const y = Y + <usize>r * rowBytes;
      let m: f64 = -Infinity;
      for (let j = 0; j < units; j++) m = max<f64>(m, <f64>load<T>(z + <usize>j * sizeof<T>()));
      let s: f64 = 0;
      for (let j = 0; j < units; j++) s += Math.exp(<f64>load<T>(z + <usize>j * sizeof<T>()) - m);
      for (let j = 0; j < units; j++) {
        store<T>(y + <usize>j * sizeof<T>(), <T>(Math.exp(<f64>load<T>(z + <usize>j * sizeof<T>()) - m) / s));
      }
    }
  }
}

/**
 * An element-wise activation (linear, relu, sigmoid, tanh — not softmax) on the units in the byte range
 * [u0, u1) of every row, with exactly the arithmetic of `activate`.
 */
function activateUnits<T>(act: i32, Z: usize, Y: usize, count: i32, up: i32, u0: usize, u1: usize): void {
  const rowBytes = <usize>up * sizeof<T>();
  const zero = vzero();
  for (let r = 0; r < count; r++) {
    const z = Z + <usize>r * rowBytes;
    const y = Y + <usize>r * rowBytes;
    if (act == ACT_LINEAR) {
      memory.copy(y + u0, z + u0, u1 - u0);
    } else if (act == ACT_RELU) {
      for (let o = u0; o < u1; o += 16) v128.store(y + o, v128.max<T>(zero, v128.load(z + o)));
    } else if (act == ACT_SIGMOID) {
      for (let o = u0; o < u1; o += sizeof<T>()) store<T>(y + o, <T>(1.0 / (1.0 + Math.exp(-<f64>load<T>(z + o)))));
    } else {
      for (let o = u0; o < u1; o += sizeof<T>()) store<T>(y + o, <T>Math.tanh(<f64>load<T>(z + o)));
    }
  }
}

/**
 * Whether layer l reads raw uint8 bytes with the input transform fused into it: the first layer, on
 * uint8 data, without stages (a stage needs the transformed values themselves).
 */
@inline function fusedInput(net: usize, data: usize, l: i32): bool {
  return l == 0 && i32At(data + D_XKIND) == XK_U8 && i32At(layerAt(net, 0) + L_NSTAGES) == 0;
}

/** The scale `a` of layer l's input values (the fused input transform of a uint8 first layer; else 1). */
@inline function inputScale<T>(net: usize, data: usize, l: i32): T {
  return fusedInput(net, data, l) ? <T>load<f64>(data + D_A) : <T>1;
}

/** The row added to every pre-activation of layer l: its bias, or b·colsum(W) + bias (see prepareOffsetRow). */
@inline function offsetRow(net: usize, data: usize, l: i32): usize {
  if (fusedInput(net, data, l) && load<f64>(data + D_B) != 0) return ptrAt(net + H_GROW);
  return ptrAt(layerAt(net, l) + L_B);
}

/**
 * Builds the row lists of layer l's input into (rs, ri, rv). For a float first-layer input this goes
 * through the scratch H_XDENSE.
 */
export function listInput<T>(net: usize, data: usize, rows: usize, count: i32, l: i32, rs: usize, ri: usize, rv: usize): void {
  const n = i32At(layerAt(net, l) + L_IN);
  if (l > 0) {
    const below = layerAt(net, l - 1);
    rowsFromDense<T>(ptrAt(below + L_Y), i32At(below + L_UP), n, count, rs, ri, rv);
    return;
  }
  const kind = i32At(data + D_XKIND);
  const x = ptrAt(data + D_X);
  if (kind == XK_U8) {
    rowsFromBytes<T>(x, n, rows, count, rs, ri, rv);
  } else {
    const ta = load<f64>(data + D_A);
    const tb = load<f64>(data + D_B);
    const xd = ptrAt(net + H_XDENSE);
    if (kind == XK_F32) gatherFloat<T, f32>(x, n, rows, count, ta, tb, xd);
    else gatherFloat<T, f64>(x, n, rows, count, ta, tb, xd);
    rowsFromDense<T>(xd, n, n, count, rs, ri, rv);
  }
}

/**
 * For a uint8 first layer whose transform has an offset b: the offset row b·colsum(W) + bias, written to
 * the scratch row H_GROW (where offsetRow finds it, until the backward pass reuses the row).
 */
export function prepareOffsetRow<T>(net: usize, data: usize): void {
  const tb = load<f64>(data + D_B);
  if (!fusedInput(net, data, 0) || tb == 0) return;
  if (i32At(net + H_COLSUM_OK) == 0) prepare<T>(net);
  const lp = layerAt(net, 0);
  const g = ptrAt(net + H_GROW);
  const c = ptrAt(lp + L_B);
  const cs = ptrAt(lp + L_COLSUM);
  const vb = v128.splat<T>(<T>tb);
  const rowBytes = <usize>i32At(lp + L_UP) * sizeof<T>();
  for (let u: usize = 0; u < rowBytes; u += 16) {
    v128.store(g + u, fma<T>(v128.load(c + u), vb, v128.load(cs + u)));
  }
}

/**
 * Z and, for an element-wise activation, Y of layer l for the units in the byte range [u0, u1), from
 * the row lists (rs, ri, rv) of its input. (A softmax needs whole rows: see `forward`.)
 */
export function forwardUnits<T>(net: usize, data: usize, count: i32, l: i32, u0: usize, u1: usize, rs: usize, ri: usize, rv: usize): void {
  const lp = layerAt(net, l);
  const up = i32At(lp + L_UP);
  const Z = ptrAt(lp + L_Z);
  forwardLayer<T>(net, l, count, rs, ri, rv, inputScale<T>(net, data, l), offsetRow(net, data, l), Z, u0, u1);
  const act = i32At(lp + L_ACT);
  if (act != ACT_SOFTMAX) activateUnits<T>(act, Z, ptrAt(lp + L_Y), count, up, u0, u1);
}

/** The forward pass from layer `from` up: fills those layers' row lists, Z and Y. */
export function forward<T>(net: usize, data: usize, rows: usize, count: i32, from: i32): void {
  const L = i32At(net + H_NLAYERS);
  for (let l = from; l < L; l++) {
    const lp = layerAt(net, l);
    const up = i32At(lp + L_UP);
    if (i32At(lp + L_NSTAGES) > 0) {
      stagesForward<T>(net, data, rows, count, l);
    } else {
      listInput<T>(net, data, rows, count, l, ptrAt(lp + L_RSTART), ptrAt(lp + L_RIDX), ptrAt(lp + L_RVAL));
      if (l == 0) prepareOffsetRow<T>(net, data);
    }
    const Z = ptrAt(lp + L_Z);
    forwardLayer<T>(net, l, count, ptrAt(lp + L_RSTART), ptrAt(lp + L_RIDX), ptrAt(lp + L_RVAL),
      inputScale<T>(net, data, l), offsetRow(net, data, l), Z, 0, <usize>up * sizeof<T>());
    activate<T>(i32At(lp + L_ACT), Z, ptrAt(lp + L_Y), count, i32At(lp + L_UNITS), up);
  }
}

// --------------------------------------------------------------------------------------------- loss

@inline function targetAt<T>(data: usize, row: i32, j: i32): f64 {
  const kind = i32At(data + D_YKIND);
  const y = ptrAt(data + D_Y);
  if (kind == YK_SPARSE) return i32At(y + (<usize>row << 2)) == j ? 1.0 : 0.0;
  const o = <usize>row * <usize>i32At(data + D_YWIDTH) + <usize>j;
  if (kind == YK_F32) return <f64>load<f32>(y + (o << 2));
  return load<f64>(y + (o << 3));
}

/** f'(z) given z and y = f(z), for the element-wise activations. */
@inline function derivative(act: i32, z: f64, y: f64): f64 {
  if (act == ACT_RELU) return z > 0 ? 1.0 : 0.0;
  if (act == ACT_SIGMOID) return y * (1 - y);
  if (act == ACT_TANH) return 1 - y * y;
  return 1.0;
}

/** Index of the first maximum (NaN never wins). */
function argmaxRow<T>(p: usize, width: i32): i32 {
  let best = 0;
  let bv = <f64>load<T>(p);
  for (let j = 1; j < width; j++) {
    const v = <f64>load<T>(p + <usize>j * sizeof<T>());
    if (v > bv) {
      best = j;
      bv = v;
    }
  }
  return best;
}

/**
 * Per-row losses (H_LOSSES), their sum (returned), accuracy (H_CORRECT), and the gradient of the mean
 * loss w.r.t. the last layer's pre-activation (its DZ). Computed in double precision, as the reference.
 */
export function lossAndGrad<T>(net: usize, data: usize, rows: usize, count: i32): f64 {
  const L = i32At(net + H_NLAYERS);
  const lp = layerAt(net, L - 1);
  const width = i32At(lp + L_UNITS);
  const up = i32At(lp + L_UP);
  const act = i32At(lp + L_ACT);
  const mode = i32At(net + H_LOSSMODE);
  const rowBytes = <usize>up * sizeof<T>();
  const Z = ptrAt(lp + L_Z);
  const Y = ptrAt(lp + L_Y);
  const DZ = ptrAt(lp + L_DZ);
  const losses = ptrAt(net + H_LOSSES);
  const dOut = ptrAt(net + H_DOUT);
  const ykind = i32At(data + D_YKIND);
  const n = <f64>count;
  let sum: f64 = 0;
  let correct = 0;
  memory.fill(DZ, 0, <usize>count * rowBytes);
  for (let r = 0; r < count; r++) {
    const row = i32At(rows + (<usize>r << 2));
    const z = Z + <usize>r * rowBytes;
    const y = Y + <usize>r * rowBytes;
    const dz = DZ + <usize>r * rowBytes;
    let loss: f64 = 0;
    if (mode == LOSS_MSE) {
      for (let j = 0; j < width; j++) {
        const diff = <f64>load<T>(y + <usize>j * sizeof<T>()) - targetAt<T>(data, row, j);
        loss += diff * diff;
        store<f64>(dOut + (<usize>j << 3), (2 * diff) / <f64>width / n);
      }
      loss /= <f64>width;
    } else if (mode == LOSS_CE_CLIPPED) {
      // tfjs layers: p = clip(y, ε, 1−ε); q = p/Σp; c = clip(q, ε, 1−ε); loss = −Σ t·log c; each clip
      // passes the gradient only inside [ε, 1−ε] (same formulas as the reference's clippedCrossEntropy).
      const lo: f64 = CLIP_EPS;
      const hi: f64 = 1 - CLIP_EPS;
      let s: f64 = 0;
      for (let j = 0; j < width; j++) s += min<f64>(hi, max<f64>(lo, <f64>load<T>(y + <usize>j * sizeof<T>())));
      let shared: f64 = 0;
      for (let j = 0; j < width; j++) store<f64>(dOut + (<usize>j << 3), 0);
      for (let k = 0; k < width; k++) {
        const t = targetAt<T>(data, row, k);
        if (t == 0) continue;
        const p = min<f64>(hi, max<f64>(lo, <f64>load<T>(y + <usize>k * sizeof<T>())));
        const q = p / s;
        const c = min<f64>(hi, max<f64>(lo, q));
        loss -= t * Math.log(c);
        if (q >= lo && q <= hi) {
          store<f64>(dOut + (<usize>k << 3), -t / c / s);
          shared += (t / c) * (p / (s * s));
        }
      }
      for (let j = 0; j < width; j++) {
        const yj = <f64>load<T>(y + <usize>j * sizeof<T>());
        const d = yj >= lo && yj <= hi ? (load<f64>(dOut + (<usize>j << 3)) + shared) / n : 0.0;
        store<f64>(dOut + (<usize>j << 3), d);
      }
    } else {
      const logits = mode == LOSS_CE_FUSED ? z : y;
      let m: f64 = -Infinity;
      for (let j = 0; j < width; j++) m = max<f64>(m, <f64>load<T>(logits + <usize>j * sizeof<T>()));
      let lse = m;
      if (isFinite(m)) {
        let s: f64 = 0;
        for (let j = 0; j < width; j++) s += Math.exp(<f64>load<T>(logits + <usize>j * sizeof<T>()) - m);
        lse = m + Math.log(s);
      }
      let tsum: f64 = 0;
      for (let j = 0; j < width; j++) {
        const t = targetAt<T>(data, row, j);
        tsum += t;
        if (t != 0) loss -= t * (<f64>load<T>(logits + <usize>j * sizeof<T>()) - lse);
      }
      for (let j = 0; j < width; j++) {
        const d = (Math.exp(<f64>load<T>(logits + <usize>j * sizeof<T>()) - lse) * tsum - targetAt<T>(data, row, j)) / n;
        if (mode == LOSS_CE_FUSED) store<T>(dz + <usize>j * sizeof<T>(), <T>d);
        else store<f64>(dOut + (<usize>j << 3), d);
      }
    }
    if (mode != LOSS_CE_FUSED) {
      if (act == ACT_SOFTMAX) {
        let dot: f64 = 0;
        for (let j = 0; j < width; j++) dot += load<f64>(dOut + (<usize>j << 3)) * <f64>load<T>(y + <usize>j * sizeof<T>());
        for (let j = 0; j < width; j++) {
          const yj = <f64>load<T>(y + <usize>j * sizeof<T>());
          store<T>(dz + <usize>j * sizeof<T>(), <T>(yj * (load<f64>(dOut + (<usize>j << 3)) - dot)));
        }
      } else {
        for (let j = 0; j < width; j++) {
          const zj = <f64>load<T>(z + <usize>j * sizeof<T>());
          const yj = <f64>load<T>(y + <usize>j * sizeof<T>());
          store<T>(dz + <usize>j * sizeof<T>(), <T>(load<f64>(dOut + (<usize>j << 3)) * derivative(act, zj, yj)));
        }
      }
    }
    store<f64>(losses + (<usize>r << 3), loss);
    sum += loss;
    // accuracy (Keras): argmax match, or both sides of 0.5 for a single dense output
    if (ykind == YK_SPARSE) {
      if (argmaxRow<T>(y, width) == i32At(ptrAt(data + D_Y) + (<usize>row << 2))) correct++;
    } else if (width == 1) {
      if ((<f64>load<T>(y) > 0.5) == (targetAt<T>(data, row, 0) > 0.5)) correct++;
    } else {
      let best = 0;
      for (let j = 1; j < width; j++) if (targetAt<T>(data, row, j) > targetAt<T>(data, row, best)) best = j;
      if (argmaxRow<T>(y, width) == best) correct++;
    }
  }
  store<i32>(net + H_CORRECT, correct);
  return sum;
}

// ----------------------------------------------------------------------------------------- backward

/** GB[u] = Σ_r DZ[r, u], for the units in the byte range [u0, u1). */
function biasGrad<T>(DZ: usize, count: i32, up: i32, GB: usize, u0: usize, u1: usize): void {
  const rowBytes = <usize>up * sizeof<T>();
  for (let u = u0; u < u1; u += 16) {
    let acc = vzero();
    for (let r = 0; r < count; r++) acc = v128.add<T>(acc, v128.load(DZ + <usize>r * rowBytes + u));
    v128.store(GB + u, acc);
  }
}

/**
 * Multiply the span [p0, p0 + bytes) of OUT (a DZ buffer of the layer below) by that layer's element-wise
 * activation derivative, read at the same offsets of its Z and Y.
 */
@inline function timesDerivative<T>(act: i32, OUT: usize, Zb: usize, Yb: usize, p0: usize, bytes: usize): void {
  const p1 = p0 + bytes;
  if (act == ACT_RELU) {
    const zero = vzero();
    const one = v128.splat<T>(<T>1);
    for (let p = p0; p < p1; p += 16) {
      // relu'(z): 1 for z > 0, 0 for z ≤ 0, NaN for NaN (the reference's der), so NaN propagates back
      const z = v128.load(Zb + p);
      const der = v128.or(v128.and(v128.gt<T>(z, zero), one), v128.and(v128.ne<T>(z, z), z));
      v128.store(OUT + p, v128.mul<T>(v128.load(OUT + p), der));
    }
  } else if (act == ACT_SIGMOID) {
    const one = v128.splat<T>(<T>1);
    for (let p = p0; p < p1; p += 16) {
      const y = v128.load(Yb + p);
      v128.store(OUT + p, v128.mul<T>(v128.load(OUT + p), v128.mul<T>(y, v128.sub<T>(one, y))));
    }
  } else if (act == ACT_TANH) {
    const one = v128.splat<T>(<T>1);
    for (let p = p0; p < p1; p += 16) {
      const y = v128.load(Yb + p);
      v128.store(OUT + p, v128.mul<T>(v128.load(OUT + p), v128.sub<T>(one, v128.mul<T>(y, y))));
    }
  }
}

/**
 * Σ_u DZ[u] · W[u] over one padded row of `rowBytes` bytes (a whole number of vectors): the row·dz dot
 * product of every backward pass into a layer's input (dense and staged layers alike). Two accumulators
 * over 32-byte steps keep two independent FMA chains in flight.
 */
@inline function rowDot<T>(dz: usize, w: usize, rowBytes: usize): T {
  let acc0 = vzero(), acc1 = vzero();
  let u: usize = 0;
  for (; u + 32 <= rowBytes; u += 32) {
    acc0 = fma<T>(acc0, v128.load(dz + u, 0), v128.load(w + u, 0));
    acc1 = fma<T>(acc1, v128.load(dz + u, 16), v128.load(w + u, 16));
  }
  if (u < rowBytes) acc0 = fma<T>(acc0, v128.load(dz + u), v128.load(w + u));
  return hsum<T>(v128.add<T>(acc0, acc1));
}

/**
 * Gradient w.r.t. the layer's input, then through the activation of the layer below:
 * OUT[r, i] = (Σ_u DZ[r, u] · W[i, u]) · f'(z[r, i]) (or the softmax Jacobian product), for the inputs
 * in the byte range [b0, b1) of the rows of the layer below (a partial range needs an element-wise
 * activation below; its padding lanes are cleared like the rest).
 */
function inputGrad<T>(count: i32, DZ: usize, up: i32, W: usize, n: i32, below: usize, b0: usize, b1: usize): void {
  const rowBytes = <usize>up * sizeof<T>();
  const upB = i32At(below + L_UP);
  const rowBytesB = <usize>upB * sizeof<T>();
  const OUT = ptrAt(below + L_DZ);
  const Zb = ptrAt(below + L_Z);
  const Yb = ptrAt(below + L_Y);
  const act = i32At(below + L_ACT);
  const whole = b0 == 0 && b1 == rowBytesB;
  if (whole) memory.fill(OUT, 0, <usize>count * rowBytesB);
  else for (let r = 0; r < count; r++) memory.fill(OUT + <usize>r * rowBytesB + b0, 0, b1 - b0);
  const relu = act == ACT_RELU;
  const i0 = <i32>(b0 / sizeof<T>());
  const i1 = min<i32>(n, <i32>(b1 / sizeof<T>()));
  for (let r = 0; r < count; r++) {
    const dz = DZ + <usize>r * rowBytes;
    const o = OUT + <usize>r * rowBytesB;
    const zr = Zb + <usize>r * rowBytesB;
    // relu'(z) = 0 for z ≤ 0 makes the dot product irrelevant, so it is skipped — unless this row of
    // DZ holds a NaN/Infinity, where the reference's NaN·0 = NaN must come through (d − d ≠ 0 only then).
    let nonFinite = vzero();
    for (let u: usize = 0; u < rowBytes; u += 16) {
      const d = v128.load(dz + u);
      nonFinite = v128.add<T>(nonFinite, v128.sub<T>(d, d));
    }
    const skipInactive = relu && hsum<T>(nonFinite) == 0;
    for (let i = i0; i < i1; i++) {
      if (skipInactive && load<T>(zr + <usize>i * sizeof<T>()) <= 0) continue;
      store<T>(o + <usize>i * sizeof<T>(), rowDot<T>(dz, W + <usize>i * rowBytes, rowBytes));
    }
  }
  if (act == ACT_SOFTMAX) {
    const units = i32At(below + L_UNITS);
    for (let r = 0; r < count; r++) {
      const o = OUT + <usize>r * rowBytesB;
      const y = Yb + <usize>r * rowBytesB;
      let dot: f64 = 0;
      for (let j = 0; j < units; j++) dot += <f64>load<T>(o + <usize>j * sizeof<T>()) * <f64>load<T>(y + <usize>j * sizeof<T>());
      for (let j = 0; j < units; j++) {
        const p = <usize>j * sizeof<T>();
        store<T>(o + p, <T>(<f64>load<T>(y + p) * (<f64>load<T>(o + p) - dot)));
      }
    }
  } else if (whole) {
    timesDerivative<T>(act, OUT, Zb, Yb, 0, <usize>count * rowBytesB);
  } else {
    for (let r = 0; r < count; r++) timesDerivative<T>(act, OUT, Zb, Yb, <usize>r * rowBytesB + b0, b1 - b0);
  }
}

/** Accumulate a tile of a kernel-row gradient: acc = Σ_k val_k · DZ[row_k, tile] (cr holds row byte offsets). */
@inline function gradTile6<T>(k0: i32, k1: i32, cr: usize, cv: usize, db: usize, va: v128, g: usize): void {
  let a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero(), a4 = vzero(), a5 = vzero();
  for (let k = k0; k < k1; k++) {
    const s = v128.load_splat<T>(cv + <usize>k * sizeof<T>());
    const d = db + <usize>i32At(cr + (<usize>k << 2));
    a0 = fma<T>(a0, s, v128.load(d, 0));
    a1 = fma<T>(a1, s, v128.load(d, 16));
    a2 = fma<T>(a2, s, v128.load(d, 32));
    a3 = fma<T>(a3, s, v128.load(d, 48));
    a4 = fma<T>(a4, s, v128.load(d, 64));
    a5 = fma<T>(a5, s, v128.load(d, 80));
  }
  v128.store(g, v128.mul<T>(va, a0), 0);
  v128.store(g, v128.mul<T>(va, a1), 16);
  v128.store(g, v128.mul<T>(va, a2), 32);
  v128.store(g, v128.mul<T>(va, a3), 48);
  v128.store(g, v128.mul<T>(va, a4), 64);
  v128.store(g, v128.mul<T>(va, a5), 80);
}
@inline function gradTile4<T>(k0: i32, k1: i32, cr: usize, cv: usize, db: usize, va: v128, g: usize): void {
  let a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
  for (let k = k0; k < k1; k++) {
    const s = v128.load_splat<T>(cv + <usize>k * sizeof<T>());
    const d = db + <usize>i32At(cr + (<usize>k << 2));
    a0 = fma<T>(a0, s, v128.load(d, 0));
    a1 = fma<T>(a1, s, v128.load(d, 16));
    a2 = fma<T>(a2, s, v128.load(d, 32));
    a3 = fma<T>(a3, s, v128.load(d, 48));
  }
  v128.store(g, v128.mul<T>(va, a0), 0);
  v128.store(g, v128.mul<T>(va, a1), 16);
  v128.store(g, v128.mul<T>(va, a2), 32);
  v128.store(g, v128.mul<T>(va, a3), 48);
}
@inline function gradTile2<T>(k0: i32, k1: i32, cr: usize, cv: usize, db: usize, va: v128, g: usize): void {
  let a0 = vzero(), a1 = vzero();
  for (let k = k0; k < k1; k++) {
    const s = v128.load_splat<T>(cv + <usize>k * sizeof<T>());
    const d = db + <usize>i32At(cr + (<usize>k << 2));
    a0 = fma<T>(a0, s, v128.load(d, 0));
    a1 = fma<T>(a1, s, v128.load(d, 16));
  }
  v128.store(g, v128.mul<T>(va, a0), 0);
  v128.store(g, v128.mul<T>(va, a1), 16);
}
@inline function gradTile1<T>(k0: i32, k1: i32, cr: usize, cv: usize, db: usize, va: v128, g: usize): void {
  let a0 = vzero();
  for (let k = k0; k < k1; k++) {
    const s = v128.load_splat<T>(cv + <usize>k * sizeof<T>());
    a0 = fma<T>(a0, s, v128.load(db + <usize>i32At(cr + (<usize>k << 2))));
  }
  v128.store(g, v128.mul<T>(va, a0));
}

/**
 * One kernel-row gradient over the units in the byte range [u0, u1):
 * G[u] = a · Σ_{(r, v) in column i} v · DZ[r, u]  (+ b · GB[u] when b ≠ 0).
 */
function gradRow<T>(k0: i32, k1: i32, cr: usize, cv: usize, DZ: usize, u0: usize, u1: usize, a: T, b: T, GB: usize, G: usize): void {
  const va = v128.splat<T>(a);
  let u = u0;
  for (; u + 96 <= u1; u += 96) gradTile6<T>(k0, k1, cr, cv, DZ + u, va, G + u);
  if (u + 64 <= u1) {
    gradTile4<T>(k0, k1, cr, cv, DZ + u, va, G + u);
    u += 64;
  }
  if (u + 32 <= u1) {
    gradTile2<T>(k0, k1, cr, cv, DZ + u, va, G + u);
    u += 32;
  }
  if (u < u1) gradTile1<T>(k0, k1, cr, cv, DZ + u, va, G + u);
  if (b != 0) {
    const vb = v128.splat<T>(b);
    for (let p = u0; p < u1; p += 16) v128.store(G + p, fma<T>(v128.load(G + p), vb, v128.load(GB + p)));
  }
}

/**
 * Splat a scalar into slot j of the vector-constant area vc (8 × 16 bytes, one per thread: the header's
 * H_VCONST for the calling thread of run32/run64) and read it back. Going through memory is deliberate:
 * V8 otherwise re-materializes pure conversions and splats of loop-invariant scalars inside the loop
 * (measured: it doubled the cost of the Adam update), whereas a loaded value stays put.
 */
@inline function vconst<T>(vc: usize, j: usize, x: f64): v128 {
  const p = vc + (j << 4);
  v128.store(p, v128.splat<T>(<T>x));
  return v128.load(p);
}

/**
 * Flush to zero: lanes with |x| below the smallest normal number of T become 0 (NaN stays NaN). Applied to
 * every optimizer slot as it is stored. Why: Adam's first moment of a parameter whose gradient has gone
 * to zero (a dead unit, a pixel that is black in every image of a batch) decays by β1 each step into the
 * subnormal range, and on x86 every arithmetic operation with a subnormal operand or result takes a
 * microcode assist (~100 cycles): measured, it doubled the cost of a raw-pixel Adam run after its first
 * epoch. Wasm cannot set the CPU's FTZ/DAZ flags, so the kernel flushes explicitly; TensorFlow runs its
 * CPU kernels with FTZ/DAZ set (tensorflow/core/platform/denormal.h, ScopedFlushDenormal), so this is
 * also what tf.keras on a CPU computes. The reference backend applies the same rule (optimizers.ts).
 */
@inline function ftz<T>(x: v128): v128 {
  const tiny = sizeof<T>() == 4 ? v128.splat<f32>(f32.MIN_NORMAL_VALUE) : v128.splat<f64>(f64.MIN_NORMAL_VALUE);
  return v128.andnot(x, v128.lt<T>(v128.abs<T>(x), tiny));
}

/** One optimizer update of `bytes` bytes of parameters w with gradient g and slots s1..s3. */
function update<T>(vc: usize, net: usize, w: usize, s1: usize, s2: usize, s3: usize, g: usize, bytes: usize, lrScale: f64, epsScale: f64): void {
  const opt = i32At(net + H_OPT);
  const lr = load<f64>(net + H_LR) * lrScale;
  const vlr = vconst<T>(vc, 0, lr);
  if (opt == OPT_SGD) {
    const mom = load<f64>(net + H_MOMENTUM);
    if (mom == 0) {
      for (let p: usize = 0; p < bytes; p += 16) {
        v128.store(w + p, v128.sub<T>(v128.load(w + p), v128.mul<T>(vlr, v128.load(g + p))));
      }
    } else {
      const vm = vconst<T>(vc, 1, mom);
      if (i32At(net + H_NESTEROV) != 0) {
        for (let p: usize = 0; p < bytes; p += 16) {
          const gp = v128.load(g + p);
          const acc = ftz<T>(fma<T>(gp, vm, v128.load(s1 + p)));
          v128.store(s1 + p, acc);
          v128.store(w + p, v128.sub<T>(v128.load(w + p), v128.mul<T>(vlr, fma<T>(gp, vm, acc))));
        }
      } else {
        for (let p: usize = 0; p < bytes; p += 16) {
          const acc = ftz<T>(fma<T>(v128.load(g + p), vm, v128.load(s1 + p)));
          v128.store(s1 + p, acc);
          v128.store(w + p, v128.sub<T>(v128.load(w + p), v128.mul<T>(vlr, acc)));
        }
      }
    }
  } else if (opt == OPT_ADAM) {
    // tfjs: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; w −= lr·(m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + ε)
    const b1 = load<f64>(net + H_BETA1);
    const b2 = load<f64>(net + H_BETA2);
    const vb1 = vconst<T>(vc, 1, b1);
    const vb1c = vconst<T>(vc, 2, 1 - b1);
    const vb2 = vconst<T>(vc, 3, b2);
    const vb2c = vconst<T>(vc, 4, 1 - b2);
    const vc1 = vconst<T>(vc, 5, invC1);
    const vc2 = vconst<T>(vc, 6, invC2);
    const veps = vconst<T>(vc, 7, load<f64>(net + H_EPS) * epsScale);
    for (let p: usize = 0; p < bytes; p += 16) {
      const gp = v128.load(g + p);
      const m = ftz<T>(v128.add<T>(v128.mul<T>(vb1, v128.load(s1 + p)), v128.mul<T>(vb1c, gp)));
      const v = ftz<T>(v128.add<T>(v128.mul<T>(vb2, v128.load(s2 + p)), v128.mul<T>(vb2c, v128.mul<T>(gp, gp))));
      v128.store(s1 + p, m);
      v128.store(s2 + p, v);
      const step = v128.div<T>(
        v128.mul<T>(vlr, v128.mul<T>(m, vc1)),
        v128.add<T>(v128.sqrt<T>(v128.mul<T>(v, vc2)), veps),
      );
      v128.store(w + p, v128.sub<T>(v128.load(w + p), step));
    }
  } else {
    // RMSprop, ε inside the square root (tfjs): ms = ρ·ms + (1−ρ)·g²; [mg = ρ·mg + (1−ρ)·g];
    // step = lr·g / sqrt(ms [− mg²] + ε); with momentum: mom = momentum·mom + step; w −= mom (or step)
    const rho = load<f64>(net + H_BETA1);
    const vrho = vconst<T>(vc, 1, rho);
    const vrhoc = vconst<T>(vc, 2, 1 - rho);
    const veps = vconst<T>(vc, 3, load<f64>(net + H_EPS) * epsScale);
    const mom = load<f64>(net + H_MOMENTUM);
    const vmom = vconst<T>(vc, 4, mom);
    const centered = i32At(net + H_CENTERED) != 0;
    if (!centered && mom == 0) {
      for (let p: usize = 0; p < bytes; p += 16) {
        const gp = v128.load(g + p);
        const ms = ftz<T>(v128.add<T>(v128.mul<T>(vrho, v128.load(s1 + p)), v128.mul<T>(vrhoc, v128.mul<T>(gp, gp))));
        v128.store(s1 + p, ms);
        const step = v128.div<T>(v128.mul<T>(vlr, gp), v128.sqrt<T>(v128.add<T>(ms, veps)));
        v128.store(w + p, v128.sub<T>(v128.load(w + p), step));
      }
      return;
    }
    for (let p: usize = 0; p < bytes; p += 16) {
      const gp = v128.load(g + p);
      const ms = ftz<T>(v128.add<T>(v128.mul<T>(vrho, v128.load(s1 + p)), v128.mul<T>(vrhoc, v128.mul<T>(gp, gp))));
      v128.store(s1 + p, ms);
      let denom = v128.add<T>(ms, veps);
      if (centered) {
        const mg = ftz<T>(v128.add<T>(v128.mul<T>(vrho, v128.load(s3 + p)), v128.mul<T>(vrhoc, gp)));
        v128.store(s3 + p, mg);
        denom = v128.add<T>(v128.sub<T>(ms, v128.mul<T>(mg, mg)), veps);
      }
      const step = v128.div<T>(v128.mul<T>(vlr, gp), v128.sqrt<T>(denom));
      if (mom > 0) {
        const mm = ftz<T>(fma<T>(step, vmom, v128.load(s2 + p)));
        v128.store(s2 + p, mm);
        v128.store(w + p, v128.sub<T>(v128.load(w + p), mm));
      } else {
        v128.store(w + p, v128.sub<T>(v128.load(w + p), step));
      }
    }
  }
}

/** Count one more optimizer step (called once per training batch, by one thread). */
export function startStep(net: usize): void {
  store<i32>(net + H_STEP, i32At(net + H_STEP) + 1);
}

/** This instance's Adam bias corrections for the current step (every thread that updates calls it). */
export function stepConstants(net: usize): void {
  if (i32At(net + H_OPT) == OPT_ADAM) {
    const t = <f64>i32At(net + H_STEP);
    invC1 = 1.0 / (1.0 - Math.pow(load<f64>(net + H_BETA1), t));
    invC2 = 1.0 / (1.0 - Math.pow(load<f64>(net + H_BETA2), t));
  }
}

/**
 * Layer l's parameter gradients for the units in the byte range [u0, u1), from its DZ and the column
 * lists (cs, cr, cv) of its input; then (train) the optimizer update of those units — kernel rows, bias,
 * and the first layer's colsum(W) — or (trace) the gradient kept in L_GW. G is the calling thread's
 * scratch row, vc its vector-constant area.
 */
export function layerGradients<T>(net: usize, data: usize, count: i32, l: i32, train: bool, u0: usize, u1: usize, cs: usize, cr: usize, cv: usize, G: usize, vc: usize): void {
  const lp = layerAt(net, l);
  const n = i32At(lp + L_IN);
  const up = i32At(lp + L_UP);
  const rowBytes = <usize>up * sizeof<T>();
  const DZ = ptrAt(lp + L_DZ);
  const GB = ptrAt(lp + L_GB);
  const W = ptrAt(lp + L_W);
  biasGrad<T>(DZ, count, up, GB, u0, u1);
  let a: T = 1;
  let b: T = 0;
  if (fusedInput(net, data, l)) {
    a = <T>load<f64>(data + D_A);
    b = <T>load<f64>(data + D_B);
  }
  const clipping = train && i32At(net + H_CLIPKIND) != CLIP_NONE;
  if (!train || clipping) {
    const GW = ptrAt(lp + L_GW);
    for (let i = 0; i < n; i++) {
      const k0 = i32At(cs + (<usize>i << 2));
      const k1 = i32At(cs + (<usize>(i + 1) << 2));
      gradRow<T>(k0, k1, cr, cv, DZ, u0, u1, a, b, GB, GW + <usize>i * rowBytes);
    }
    if (!train) return;
    // Per-tensor clipping needs the whole gradient before any update: the fused row-by-row update
    // gives way to clip-then-update of the kernel and the bias (one thread: clipping never splits).
    const wBytes = <usize>n * rowBytes;
    clipTensor<T>(net, GW, wBytes);
    update<T>(vc, net, W, ptrAt(lp + L_WS1), ptrAt(lp + L_WS2), ptrAt(lp + L_WS3), GW, wBytes, load<f64>(lp + L_LRW), load<f64>(lp + L_EPSW));
    if (l == 0) store<i32>(net + H_COLSUM_OK, 0);
    if (i32At(lp + L_USEBIAS) != 0) {
      clipTensor<T>(net, GB, rowBytes);
      update<T>(vc, net, ptrAt(lp + L_B), ptrAt(lp + L_BS1), ptrAt(lp + L_BS2), ptrAt(lp + L_BS3), GB, rowBytes, load<f64>(lp + L_LRB), load<f64>(lp + L_EPSB));
    }
    return;
  }
  const s1 = ptrAt(lp + L_WS1);
  const s2 = ptrAt(lp + L_WS2);
  const s3 = ptrAt(lp + L_WS3);
  const lrS = load<f64>(lp + L_LRW);
  const epsS = load<f64>(lp + L_EPSW);
  const bytes = u1 - u0;
  // colsum(W) is only needed while the input offset b is nonzero; otherwise mark it stale
  const colsum = l == 0 && b != 0 ? ptrAt(lp + L_COLSUM) : 0;
  if (l == 0 && u0 == 0) store<i32>(net + H_COLSUM_OK, colsum != 0 ? 1 : 0);
  if (colsum != 0) memory.fill(colsum + u0, 0, bytes);
  // The kernel and optimizer state of a first layer that two threads share are stored in two blocks,
  // [n, split] then [n, rowBytes − split] (see blockSplit), whichever thread count runs the batch.
  const split = blockSplit(net, l);
  const aEnd = min<usize>(u1, split);
  const bStart = max<usize>(u0, split);
  const bBase = <usize>n * split;
  const bRow = rowBytes - split;
  for (let i = 0; i < n; i++) {
    const k0 = i32At(cs + (<usize>i << 2));
    const k1 = i32At(cs + (<usize>(i + 1) << 2));
    gradRow<T>(k0, k1, cr, cv, DZ, u0, u1, a, b, GB, G);
    const row = <usize>i * rowBytes;
    if (split == 0) {
      const o = row + u0;
      update<T>(vc, net, W + o, s1 + o, s2 + o, s3 + o, G + u0, bytes, lrS, epsS);
    } else {
      if (u0 < aEnd) {
        const o = <usize>i * split + u0;
        update<T>(vc, net, W + o, s1 + o, s2 + o, s3 + o, G + u0, aEnd - u0, lrS, epsS);
      }
      if (bStart < u1) {
        const o = bBase + <usize>i * bRow + (bStart - split);
        update<T>(vc, net, W + o, s1 + o, s2 + o, s3 + o, G + bStart, u1 - bStart, lrS, epsS);
      }
    }
    if (colsum != 0) {
      for (let p = u0; p < u1; p += 16) {
        v128.store(colsum + p, v128.add<T>(v128.load(colsum + p), v128.load(kernelAt(W, net, l, n, rowBytes, i, p))));
      }
    }
  }
  if (i32At(lp + L_USEBIAS) != 0) {
    update<T>(vc, net, ptrAt(lp + L_B) + u0, ptrAt(lp + L_BS1) + u0, ptrAt(lp + L_BS2) + u0, ptrAt(lp + L_BS3) + u0, GB + u0, bytes,
      load<f64>(lp + L_LRB), load<f64>(lp + L_EPSB));
  }
}

/** Layer l's parameter gradients and update (whole layer, one thread): column lists, then layerGradients. */
export function paramGradients<T>(net: usize, data: usize, count: i32, l: i32, train: bool, cs: usize, cr: usize, cv: usize, G: usize, vc: usize): void {
  const lp = layerAt(net, l);
  const rowBytes = <usize>i32At(lp + L_UP) * sizeof<T>();
  transposeLists<T>(count, i32At(lp + L_IN), ptrAt(lp + L_RSTART), ptrAt(lp + L_RIDX), ptrAt(lp + L_RVAL), cs, cr, cv, rowBytes);
  layerGradients<T>(net, data, count, l, train, 0, rowBytes, cs, cr, cv, G, vc);
}

/** The gradient of layer l (> 0) w.r.t. its input, through the activation below: the DZ of layer l − 1. */
export function backToBelow<T>(net: usize, count: i32, l: i32, b0: usize, b1: usize): void {
  const lp = layerAt(net, l);
  inputGrad<T>(count, ptrAt(lp + L_DZ), i32At(lp + L_UP), ptrAt(lp + L_W), i32At(lp + L_IN), layerAt(net, l - 1), b0, b1);
}

/** Backward through layer l (whole layer, one thread): the DZ of the layer below (l > 0), then paramGradients. */
export function backwardLayer<T>(net: usize, data: usize, count: i32, l: i32, train: bool, cs: usize, cr: usize, cv: usize, G: usize, vc: usize): void {
  if (i32At(layerAt(net, l) + L_NSTAGES) > 0) stagesBackward<T>(net, count, l, train, vc, 0, featureBytes<T>(net, l));
  else if (l > 0) backToBelow<T>(net, count, l, 0, <usize>i32At(layerAt(net, l - 1) + L_UP) * sizeof<T>());
  paramGradients<T>(net, data, count, l, train, cs, cr, cv, G, vc);
}

/** Backward pass from the last layer's DZ; updates the parameters (train) or keeps the gradients (trace). */
function backward<T>(net: usize, data: usize, count: i32, mode: i32): void {
  const L = i32At(net + H_NLAYERS);
  const train = mode == MODE_TRAIN;
  if (train) {
    startStep(net);
    stepConstants(net);
  }
  const cs = ptrAt(net + H_COLSTART);
  const cr = ptrAt(net + H_COLROW);
  const cv = ptrAt(net + H_COLVAL);
  const G = ptrAt(net + H_GROW);
  for (let l = L - 1; l >= 0; l--) backwardLayer<T>(net, data, count, l, train, cs, cr, cv, G, net + H_VCONST);
}

// ------------------------------------------------------------------------------------------- stages
// Rescaling/normalization (affine), batch normalization and dropout in front of a dense layer. They
// touch rows × inputs values once per pass, next to the rows × inputs × units of the matmul, so they
// are written for clarity: every value in double precision, rounded once into T (as the reference).

@inline function stageAt(lp: usize, s: i32): usize {
  return ptrAt(lp + L_STAGES) + <usize>s * STAGE_BYTES;
}

/** The same uniform number as dropoutUniform() in ../../backend.ts (u32 arithmetic wraps like Math.imul). */
@inline function dropoutUniform(seed: u32, step: u32, index: u32): f64 {
  let h: u32 = seed ^ ((step + 1) * 0x9e3779b1);
  h = h ^ ((index + 1) * 0x85ebca6b);
  h ^= h >> 16;
  h = h * 0x7feb352d;
  h ^= h >> 15;
  h = h * 0x846ca68b;
  h ^= h >> 16;
  return <f64>(h >> 8) / 16777216.0;
}

/** One stage: [count, n] values at src (row stride `stride` elements of T) → its S_OUT (stride n). */
function stageForward<T>(net: usize, sp: usize, src: usize, stride: i32, count: i32): void {
  const kind = i32At(sp + S_KIND);
  const n = i32At(sp + S_N);
  const out = ptrAt(sp + S_OUT);
  const mode = i32At(net + H_STAGEMODE);
  const sz = sizeof<T>();
  if (kind == STAGE_AFFINE) {
    const sc = ptrAt(sp + S_SCALE);
    const off = ptrAt(sp + S_OFFSET);
    for (let r = 0; r < count; r++) {
      const x = src + <usize>r * <usize>stride * sz;
      const o = out + <usize>r * <usize>n * sz;
      for (let i = 0; i < n; i++) {
        store<T>(o + <usize>i * sz, <T>(load<f64>(sc + (<usize>i << 3)) * <f64>load<T>(x + <usize>i * sz) + load<f64>(off + (<usize>i << 3))));
      }
    }
    return;
  }
  if (kind == STAGE_BATCHNORM) {
    const gamma = ptrAt(sp + S_GAMMA);
    const beta = ptrAt(sp + S_BETA);
    const mm = ptrAt(sp + S_MMEAN);
    const mv = ptrAt(sp + S_MVAR);
    const eps = load<f64>(sp + S_EPS);
    const rowIn = <usize>stride * sz;
    const rowOut = <usize>n * sz;
    if (mode == STAGEMODE_INFERENCE) {
      for (let i = 0; i < n; i++) {
        const p = <usize>i * sz;
        const inv = 1.0 / Math.sqrt(<f64>load<T>(mv + p) + eps);
        const g: f64 = gamma != 0 ? <f64>load<T>(gamma + p) : 1.0;
        const b: f64 = beta != 0 ? <f64>load<T>(beta + p) : 0.0;
        const m = <f64>load<T>(mm + p);
        for (let r = 0; r < count; r++) {
          store<T>(out + <usize>r * rowOut + p, <T>(g * ((<f64>load<T>(src + <usize>r * rowIn + p) - m) * inv) + b));
        }
      }
      return;
    }
    const xhat = ptrAt(sp + S_XHAT);
    const invs = ptrAt(sp + S_INV);
    const momentum = load<f64>(sp + S_MOMENTUM);
    for (let i = 0; i < n; i++) {
      const p = <usize>i * sz;
      let mean: f64 = 0;
      for (let r = 0; r < count; r++) mean += <f64>load<T>(src + <usize>r * rowIn + p);
      mean /= <f64>count;
      let variance: f64 = 0;
      for (let r = 0; r < count; r++) {
        const d = <f64>load<T>(src + <usize>r * rowIn + p) - mean;
        variance += d * d;
      }
      variance /= <f64>count;
      const inv = 1.0 / Math.sqrt(variance + eps);
      store<f64>(invs + (<usize>i << 3), inv);
      const g: f64 = gamma != 0 ? <f64>load<T>(gamma + p) : 1.0;
      const b: f64 = beta != 0 ? <f64>load<T>(beta + p) : 0.0;
      for (let r = 0; r < count; r++) {
        const h = (<f64>load<T>(src + <usize>r * rowIn + p) - mean) * inv;
        store<f64>(xhat + ((<usize>r * <usize>n + <usize>i) << 3), h);
        store<T>(out + <usize>r * rowOut + p, <T>(g * h + b));
      }
      if (mode == STAGEMODE_UPDATE) {
        store<T>(mm + p, <T>(momentum * <f64>load<T>(mm + p) + (1 - momentum) * mean));
        store<T>(mv + p, <T>(momentum * <f64>load<T>(mv + p) + (1 - momentum) * variance));
      }
    }
    return;
  }
  // dropout
  const rate = load<f64>(sp + S_RATE);
  const on = mode != STAGEMODE_INFERENCE && rate > 0;
  store<i32>(sp + S_MASKON, on ? 1 : 0);
  const mask = ptrAt(sp + S_MASK);
  const keep = 1.0 / (1.0 - rate);
  const seed = <u32>load<i32>(sp + S_SEED);
  const step = <u32>i32At(net + H_DSTEP);
  for (let r = 0; r < count; r++) {
    const x = src + <usize>r * <usize>stride * sz;
    const o = out + <usize>r * <usize>n * sz;
    for (let i = 0; i < n; i++) {
      const v = <f64>load<T>(x + <usize>i * sz);
      if (on) {
        const k = r * n + i;
        const m = dropoutUniform(seed, step, <u32>k) < rate ? 0.0 : keep;
        store<f64>(mask + (<usize>k << 3), m);
        store<T>(o + <usize>i * sz, <T>(v * m));
      } else {
        store<T>(o + <usize>i * sz, <T>v);
      }
    }
  }
}

/** Layer l's input through its stages, then the row lists of the result (the layer's actual input). */
function stagesForward<T>(net: usize, data: usize, rows: usize, count: i32, l: i32): void {
  const lp = layerAt(net, l);
  const n = i32At(lp + L_IN);
  let src: usize;
  let stride: i32;
  if (l == 0) {
    // the transformed input, as values (the uint8 fast path needs the raw bytes; a stage does not)
    const kind = i32At(data + D_XKIND);
    const x = ptrAt(data + D_X);
    const ta = load<f64>(data + D_A);
    const tb = load<f64>(data + D_B);
    src = ptrAt(net + H_XDENSE);
    if (kind == XK_U8) gatherFloat<T, u8>(x, n, rows, count, ta, tb, src);
    else if (kind == XK_F32) gatherFloat<T, f32>(x, n, rows, count, ta, tb, src);
    else gatherFloat<T, f64>(x, n, rows, count, ta, tb, src);
    stride = n;
  } else {
    const below = layerAt(net, l - 1);
    src = ptrAt(below + L_Y);
    stride = i32At(below + L_UP);
  }
  const ns = i32At(lp + L_NSTAGES);
  for (let s = 0; s < ns; s++) {
    const sp = stageAt(lp, s);
    stageForward<T>(net, sp, src, stride, count);
    src = ptrAt(sp + S_OUT);
    stride = n;
  }
  rowsFromDense<T>(src, n, n, count, ptrAt(lp + L_RSTART), ptrAt(lp + L_RIDX), ptrAt(lp + L_RVAL));
}

/** Keras' per-tensor clipping of a gradient of `bytes` bytes (padding lanes are 0 and stay 0). */
function clipTensor<T>(net: usize, g: usize, bytes: usize): void {
  const kind = i32At(net + H_CLIPKIND);
  if (kind == CLIP_NONE) return;
  const c = load<f64>(net + H_CLIP);
  const sz = sizeof<T>();
  if (kind == CLIP_NORM) {
    let sq: f64 = 0;
    for (let p: usize = 0; p < bytes; p += sz) {
      const v = <f64>load<T>(g + p);
      sq += v * v;
    }
    const norm = Math.sqrt(sq);
    if (!(norm > c)) return;
    const f = c / norm;
    for (let p: usize = 0; p < bytes; p += sz) store<T>(g + p, <T>(<f64>load<T>(g + p) * f));
  } else {
    for (let p: usize = 0; p < bytes; p += sz) store<T>(g + p, <T>min<f64>(c, max<f64>(-c, <f64>load<T>(g + p))));
  }
}

/**
 * Backward through a staged layer l, before its own parameter gradients: the gradient w.r.t. its input
 * (Σ_u DZ·W, accumulated in T vectors, kept in double), back through the stages in reverse order (batch
 * norm's gamma/beta gradients, and in training their update), then — for l > 0 — through the activation
 * of the layer below into that layer's DZ. Only the input features in the byte range [b0, b1) of a row
 * of T are touched (every stage works feature by feature), so two threads can share the features as
 * they share the first layer's units; the whole range is [0, features rounded up to whole vectors).
 */
export function stagesBackward<T>(net: usize, count: i32, l: i32, train: bool, vc: usize, b0: usize, b1: usize): void {
  const lp = layerAt(net, l);
  const n = i32At(lp + L_IN);
  const up = i32At(lp + L_UP);
  const rowBytes = <usize>up * sizeof<T>();
  const DZ = ptrAt(lp + L_DZ);
  const W = ptrAt(lp + L_W);
  const D = ptrAt(net + H_DSTAGE);
  const sz = sizeof<T>();
  const i0 = <i32>(b0 / sz);
  const i1 = min<i32>(n, <i32>(b1 / sz));
  for (let r = 0; r < count; r++) {
    const dz = DZ + <usize>r * rowBytes;
    for (let i = i0; i < i1; i++) {
      store<f64>(D + ((<usize>r * <usize>n + <usize>i) << 3), <f64>rowDot<T>(dz, W + <usize>i * rowBytes, rowBytes));
    }
  }
  const ns = i32At(lp + L_NSTAGES);
  for (let s = ns - 1; s >= 0; s--) {
    const sp = stageAt(lp, s);
    const kind = i32At(sp + S_KIND);
    if (kind == STAGE_AFFINE) {
      const sc = ptrAt(sp + S_SCALE);
      for (let r = 0; r < count; r++) {
        for (let i = i0; i < i1; i++) {
          const p = D + ((<usize>r * <usize>n + <usize>i) << 3);
          store<f64>(p, load<f64>(p) * load<f64>(sc + (<usize>i << 3)));
        }
      }
    } else if (kind == STAGE_BATCHNORM) {
      const gamma = ptrAt(sp + S_GAMMA);
      const beta = ptrAt(sp + S_BETA);
      const xhat = ptrAt(sp + S_XHAT);
      const invs = ptrAt(sp + S_INV);
      const gg = ptrAt(sp + S_GGAMMA);
      const gb = ptrAt(sp + S_GBETA);
      const cnt = <f64>count;
      for (let i = i0; i < i1; i++) {
        let sumDy: f64 = 0;
        let sumDyXhat: f64 = 0;
        for (let r = 0; r < count; r++) {
          const k = (<usize>r * <usize>n + <usize>i) << 3;
          const dy = load<f64>(D + k);
          sumDy += dy;
          sumDyXhat += dy * load<f64>(xhat + k);
        }
        const p = <usize>i * sz;
        if (gamma != 0) store<T>(gg + p, <T>sumDyXhat);
        if (beta != 0) store<T>(gb + p, <T>sumDy);
        const g: f64 = gamma != 0 ? <f64>load<T>(gamma + p) : 1.0;
        const scale = g * load<f64>(invs + (<usize>i << 3));
        for (let r = 0; r < count; r++) {
          // the reference's exact expression: f64 results then match it bit for bit
          const k = (<usize>r * <usize>n + <usize>i) << 3;
          store<f64>(D + k, scale * (load<f64>(D + k) - sumDy / cnt - (load<f64>(xhat + k) * sumDyXhat) / cnt));
        }
      }
      if (train) {
        const bytes = b1 - b0;
        if (gamma != 0) {
          clipTensor<T>(net, gg + b0, bytes);
          update<T>(vc, net, gamma + b0, ptrAt(sp + S_GS1) + b0, ptrAt(sp + S_GS2) + b0, ptrAt(sp + S_GS3) + b0, gg + b0, bytes, 1, 1);
        }
        if (beta != 0) {
          clipTensor<T>(net, gb + b0, bytes);
          update<T>(vc, net, beta + b0, ptrAt(sp + S_BS1) + b0, ptrAt(sp + S_BS2) + b0, ptrAt(sp + S_BS3) + b0, gb + b0, bytes, 1, 1);
        }
      }
    } else if (i32At(sp + S_MASKON) != 0) {
      const mask = ptrAt(sp + S_MASK);
      for (let r = 0; r < count; r++) {
        for (let i = i0; i < i1; i++) {
          const k = (<usize>r * <usize>n + <usize>i) << 3;
          store<f64>(D + k, load<f64>(D + k) * load<f64>(mask + k));
        }
      }
    }
  }
  if (l == 0) return;
  const below = layerAt(net, l - 1);
  const upB = i32At(below + L_UP);
  const rowBytesB = <usize>upB * sz;
  const OUT = ptrAt(below + L_DZ);
  for (let r = 0; r < count; r++) {
    const o = OUT + <usize>r * rowBytesB;
    memory.fill(o + b0, 0, b1 - b0);
    for (let i = i0; i < i1; i++) store<T>(o + <usize>i * sz, <T>load<f64>(D + ((<usize>r * <usize>n + <usize>i) << 3)));
  }
  const act = i32At(below + L_ACT);
  const Yb = ptrAt(below + L_Y);
  if (act == ACT_SOFTMAX) {
    // (whole rows only: a network whose first layer is a softmax never splits)
    for (let r = 0; r < count; r++) {
      const o = OUT + <usize>r * rowBytesB;
      const y = Yb + <usize>r * rowBytesB;
      let dot: f64 = 0;
      for (let j = 0; j < n; j++) dot += <f64>load<T>(o + <usize>j * sz) * <f64>load<T>(y + <usize>j * sz);
      for (let j = 0; j < n; j++) {
        const p = <usize>j * sz;
        store<T>(o + p, <T>(<f64>load<T>(y + p) * (<f64>load<T>(o + p) - dot)));
      }
    }
  } else if (b0 == 0 && b1 == rowBytesB) {
    timesDerivative<T>(act, OUT, ptrAt(below + L_Z), Yb, 0, <usize>count * rowBytesB);
  } else {
    for (let r = 0; r < count; r++) timesDerivative<T>(act, OUT, ptrAt(below + L_Z), Yb, <usize>r * rowBytesB + b0, b1 - b0);
  }
}

/** Byte length of one row of layer l's input features, rounded up to whole vectors (stagesBackward's range). */
export function featureBytes<T>(net: usize, l: i32): usize {
  return (<usize>i32At(layerAt(net, l) + L_IN) * sizeof<T>() + 15) & ~(<usize>15);
}

// ------------------------------------------------------------------------------------- entry points

function run<T>(net: usize, data: usize, rows: usize, count: i32, mode: i32): f64 {
  store<i32>(net + H_STAGEMODE, mode == MODE_TRAIN ? STAGEMODE_UPDATE : mode == MODE_TRACE ? STAGEMODE_TRAINING : STAGEMODE_INFERENCE);
  forward<T>(net, data, rows, count, 0);
  if (mode == MODE_PREDICT) return 0;
  const sum = lossAndGrad<T>(net, data, rows, count);
  if (mode == MODE_TRAIN || mode == MODE_TRACE) backward<T>(net, data, count, mode);
  if (mode == MODE_TRAIN) store<i32>(net + H_DSTEP, i32At(net + H_DSTEP) + 1);
  return sum;
}

/** Column sums of the first kernel (after weights were set). */
function prepare<T>(net: usize): void {
  const lp = layerAt(net, 0);
  const n = i32At(lp + L_IN);
  const rowBytes = <usize>i32At(lp + L_UP) * sizeof<T>();
  const W = ptrAt(lp + L_W);
  const colsum = ptrAt(lp + L_COLSUM);
  memory.fill(colsum, 0, rowBytes);
  for (let i = 0; i < n; i++) {
    for (let p: usize = 0; p < rowBytes; p += 16) {
      v128.store(colsum + p, v128.add<T>(v128.load(colsum + p), v128.load(kernelAt(W, net, 0, n, rowBytes, i, p))));
    }
  }
  store<i32>(net + H_COLSUM_OK, 1);
}

/** Run one batch on a float32 network; returns the sum of the per-row losses (0 for predict). */
export function run32(net: usize, data: usize, rows: usize, count: i32, mode: i32): f64 {
  return run<f32>(net, data, rows, count, mode);
}
/** Run one batch on a float64 network; returns the sum of the per-row losses (0 for predict). */
export function run64(net: usize, data: usize, rows: usize, count: i32, mode: i32): f64 {
  return run<f64>(net, data, rows, count, mode);
}
export function prepare32(net: usize): void {
  prepare<f32>(net);
}
export function prepare64(net: usize): void {
  prepare<f64>(net);
}
