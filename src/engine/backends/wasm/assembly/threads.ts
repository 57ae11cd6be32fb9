/**
 * Entry of build/normlab-mt.wasm: the kernels of ./kernels.ts on imported shared memory, plus one
 * training step that two threads run together. Node's main thread calls `train2x32` / `train2x64`; a
 * worker thread (../threads.ts) instantiates the same module on the same memory and sits in
 * `helperLoop`. The single-threaded exports (run32, …) are here too, for everything else the network
 * does (evaluate, predict, trace, batches too small to share).
 *
 * How a batch is shared — by the first layer's units, which is where almost all the work is (784 inputs
 * × 128 units for the lab model, against 128 × 10 above it). Thread 0 owns the unit bytes [0, split) of
 * every first-layer row, thread 1 [split, rowBytes):
 *   phase 0  both list the nonzero inputs of the batch, each into its own buffers (a uint8 input; a
 *            float input is listed by thread 0 only); thread 0 counts the optimizer step
 *   phase 1  both: the first layer's Z and activation, each on its own units
 *   phase 2  thread 0: the layers above — forward, loss, and backward down to the second layer's DZ
 *            (layers above the second are also updated here); thread 1 meanwhile transposes its input
 *            lists into the column lists that the first layer's kernel gradient needs
 *   phase 3  both: the first layer's DZ (the second layer's input gradient), then its bias and kernel
 *            gradients, optimizer update and colsum(W), each on its own units; then thread 0 updates
 *            the second layer — once thread 1 has signalled (C_EVENT) that it no longer reads its kernel
 * with a barrier after each phase. Every unit is computed by exactly the code the single-threaded step
 * runs (kernels.ts restricts it to a unit range; a unit's arithmetic does not depend on the range), so
 * losses and weights are bit-identical to `run32` / `run64` with MODE_TRAIN.
 */
import {
  i32At, ptrAt, layerAt, listInput, prepareOffsetRow, forwardUnits, forward, lossAndGrad, startStep,
  stepConstants, backwardLayer, backToBelow, paramGradients, layerGradients, transposeLists, stagesBackward,
} from './kernels';
import {
  H_NLAYERS, H_SPLIT, H_THREAD1, H_GROW, H_VCONST, H_COLSTART, H_COLROW, H_COLVAL,
  T1_GROW, T1_RSTART, T1_RIDX, T1_RVAL, T1_COLSTART, T1_COLROW, T1_COLVAL, T1_VCONST,
  L_IN, L_UP, L_RSTART, L_RIDX, L_RVAL, D_XKIND, XK_U8, L_NSTAGES, H_STAGEMODE, H_DSTEP, STAGEMODE_UPDATE,
  C_ARRIVED, C_GEN, C_HELPER, C_STOP, C_SPIN, C_NET, C_DATA, C_ROWS, C_COUNT, C_SIZE, C_ROUNDS, C_EVENT, C_LOSS,
  HELPER_READY, HELPER_GONE,
} from '../layout';

export { heapBase, run32, run64, prepare32, prepare64 } from './kernels';

/** A thread asleep at a barrier wakes this often to check whether its partner is gone (ns). */
const WAIT_NS: i64 = 50_000_000;

/**
 * Wait until the i32 at p differs from `value`; false if the helper is gone (then it never will).
 * The waiter first polls (the other thread is usually microseconds away, and a futex wake-up costs
 * more than that), then sleeps, so an oversubscribed machine does not lose a core to spinning.
 */
function waitWhile(ctl: usize, p: usize, value: i32): bool {
  const spin = atomic.load<i32>(ctl + C_SPIN);
  let i = 0;
  while (i < spin && atomic.load<i32>(p) == value) i++;
  while (atomic.load<i32>(p) == value) {
    if (atomic.load<i32>(ctl + C_HELPER) == HELPER_GONE) return false;
    memory.atomic.wait32(p, value, WAIT_NS);
  }
  // a helper that fails bumps the barrier word on its way out: that is not an arrival
  return atomic.load<i32>(ctl + C_HELPER) != HELPER_GONE;
}

/** Wait until both threads reached this barrier; false if the helper is gone. */
function barrier(ctl: usize): bool {
  const gen = atomic.load<i32>(ctl + C_GEN);
  if (atomic.add<i32>(ctl + C_ARRIVED, 1) == 1) {
    // the second to arrive opens the barrier for the first
    atomic.store<i32>(ctl + C_ARRIVED, 0);
    atomic.store<i32>(ctl + C_GEN, gen + 1);
    atomic.notify(ctl + C_GEN, 1);
    return true;
  }
  return waitWhile(ctl, ctl + C_GEN, gen);
}

/** One training batch, as thread `tid` (0 or 1) of the pair. Returns the loss sum (thread 0). */
function trainSplit<T>(net: usize, data: usize, rows: usize, count: i32, ctl: usize, tid: i32): f64 {
  const lp0 = layerAt(net, 0);
  const rowBytes = <usize>i32At(lp0 + L_UP) * sizeof<T>();
  const split = <usize>i32At(net + H_SPLIT);
  const u0: usize = tid == 0 ? 0 : split;
  const u1: usize = tid == 0 ? split : rowBytes;
  const t1 = ptrAt(net + H_THREAD1);
  // each thread's row lists of the input (thread 1 has its own for uint8 input)
  const own = tid == 1 && i32At(data + D_XKIND) == XK_U8;
  const rs = own ? ptrAt(t1 + T1_RSTART) : ptrAt(lp0 + L_RSTART);
  const ri = own ? ptrAt(t1 + T1_RIDX) : ptrAt(lp0 + L_RIDX);
  const rv = own ? ptrAt(t1 + T1_RVAL) : ptrAt(lp0 + L_RVAL);
  // phase 0
  if (tid == 0 || own) listInput<T>(net, data, rows, count, 0, rs, ri, rv);
  if (tid == 0) {
    prepareOffsetRow<T>(net, data);
    startStep(net);
  }
  if (!barrier(ctl)) return NaN;
  stepConstants(net);
  // phase 1
  forwardUnits<T>(net, data, count, 0, u0, u1, rs, ri, rv);
  if (!barrier(ctl)) return NaN;
  // phase 2
  const L = i32At(net + H_NLAYERS);
  const cs1 = ptrAt(t1 + T1_COLSTART);
  const cr1 = ptrAt(t1 + T1_COLROW);
  const cv1 = ptrAt(t1 + T1_COLVAL);
  const cs = ptrAt(net + H_COLSTART);
  const cr = ptrAt(net + H_COLROW);
  const cv = ptrAt(net + H_COLVAL);
  if (tid == 0) {
    forward<T>(net, data, rows, count, 1);
    // Parked in memory, not kept in a local: in Node 20 (V8 11.3) a wasm memory.atomic.wait32 that
    // really sleeps can clobber a floating-point value live across it (measured: the loss sum came back
    // wrong in ~1 of 15 batches when the barrier slept; the weights were right).
    store<f64>(ctl + C_LOSS, lossAndGrad<T>(net, data, rows, count));
    for (let l = L - 1; l >= 2; l--) backwardLayer<T>(net, data, count, l, true, cs, cr, cv, ptrAt(net + H_GROW), net + H_VCONST);
  } else {
    transposeLists<T>(count, i32At(lp0 + L_IN), rs, ri, rv, cs1, cr1, cv1, rowBytes);
  }
  if (!barrier(ctl)) return NaN;
  // phase 3
  const G = tid == 0 ? ptrAt(net + H_GROW) : ptrAt(t1 + T1_GROW);
  const vc = tid == 0 ? net + H_VCONST : t1 + T1_VCONST;
  // stages in front of layer 1 (batch norm, dropout, …) work feature by feature: each thread takes the
  // features that are its own units of layer 0
  if (i32At(layerAt(net, 1) + L_NSTAGES) > 0) stagesBackward<T>(net, count, 1, true, vc, u0, u1);
  else backToBelow<T>(net, count, 1, u0, u1);
  if (tid == 1) {
    atomic.store<i32>(ctl + C_EVENT, 1);
    atomic.notify(ctl + C_EVENT, 1);
  }
  layerGradients<T>(net, data, count, 0, true, u0, u1, cs1, cr1, cv1, G, vc);
  if (tid == 0) {
    if (!waitWhile(ctl, ctl + C_EVENT, 0)) return NaN;
    atomic.store<i32>(ctl + C_EVENT, 0);
    paramGradients<T>(net, data, count, 1, true, cs, cr, cv, G, vc);
  }
  // nobody returns (and lets the caller read or change memory) before both are done
  if (!barrier(ctl)) return NaN;
  return tid == 0 ? load<f64>(ctl + C_LOSS) : 0;
}

/** Thread 0: hand the batch to the helper (start barrier), then run its own share. */
function train2x<T>(net: usize, data: usize, rows: usize, count: i32, ctl: usize): f64 {
  store<i32>(ctl + C_NET, <i32>net);
  store<i32>(ctl + C_DATA, <i32>data);
  store<i32>(ctl + C_ROWS, <i32>rows);
  store<i32>(ctl + C_COUNT, count);
  store<i32>(ctl + C_SIZE, sizeof<T>());
  if (!barrier(ctl)) return NaN;
  store<i32>(net + H_STAGEMODE, STAGEMODE_UPDATE);
  const loss = trainSplit<T>(net, data, rows, count, ctl, 0);
  store<i32>(net + H_DSTEP, i32At(net + H_DSTEP) + 1);
  return loss;
}

/**
 * One MODE_TRAIN batch of a float32 network on two threads (the helper must be in helperLoop). Returns
 * the loss sum; NaN with C_HELPER = HELPER_GONE when the helper went away.
 */
export function train2x32(net: usize, data: usize, rows: usize, count: i32, ctl: usize): f64 {
  return train2x<f32>(net, data, rows, count, ctl);
}
/** As train2x32, for a float64 network. */
export function train2x64(net: usize, data: usize, rows: usize, count: i32, ctl: usize): f64 {
  return train2x<f64>(net, data, rows, count, ctl);
}

/** The helper thread's life: wait for a batch at the start barrier, run thread 1's share, repeat until C_STOP. */
export function helperLoop(ctl: usize): void {
  atomic.store<i32>(ctl + C_HELPER, HELPER_READY);
  for (;;) {
    barrier(ctl);
    if (atomic.load<i32>(ctl + C_STOP) != 0) break;
    const net = <usize>i32At(ctl + C_NET);
    const data = <usize>i32At(ctl + C_DATA);
    const rows = <usize>i32At(ctl + C_ROWS);
    const count = i32At(ctl + C_COUNT);
    if (i32At(ctl + C_SIZE) == 4) trainSplit<f32>(net, data, rows, count, ctl, 1);
    else trainSplit<f64>(net, data, rows, count, ctl, 1);
    atomic.add<i32>(ctl + C_ROUNDS, 1);
  }
  atomic.store<i32>(ctl + C_HELPER, HELPER_GONE);
}
