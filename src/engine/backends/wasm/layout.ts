/**
 * Memory layout shared by the WASM kernels (AssemblyScript, `assembly/`) and the TypeScript runner.
 * This one file is compiled by both compilers, so it must stay plain integer constants with no imports.
 *
 * The WASM module owns no allocator: the TypeScript side lays out every buffer in linear memory and
 * describes a network in a header (H_*) followed by one record per layer (L_*), and a dataset in a
 * record (D_*). All pointers are byte offsets into the module's memory; all buffers are 16-byte aligned.
 * Unit dimensions are padded to a whole number of SIMD vectors (`up`, 4 float32 or 2 float64 lanes);
 * padded weights, biases and gradients stay exactly zero.
 */

// ---- network header
export const H_NLAYERS = 0; // i32 number of dense layers
export const H_LOSSMODE = 4; // i32 LOSS_* below
export const H_OPT = 8; // i32 OPT_* below
export const H_NESTEROV = 12; // i32 0/1 (sgd)
export const H_CENTERED = 16; // i32 0/1 (rmsprop)
export const H_STEP = 20; // i32 optimizer steps applied so far
export const H_LR = 24; // f64 learning rate
export const H_BETA1 = 32; // f64 adam beta1, rmsprop rho
export const H_BETA2 = 40; // f64 adam beta2
export const H_EPS = 48; // f64 epsilon (adam, rmsprop)
export const H_MOMENTUM = 56; // f64 momentum (sgd, rmsprop)
export const H_CORRECT = 64; // i32 result: rows predicted correctly by the last call
export const H_MAXROWS = 68; // i32 rows the workspace below has room for
export const H_COLSTART = 72; // ptr i32[maxIn + 1]   column lists (transposed nonzeros of a layer input)
export const H_COLROW = 76; // ptr i32[maxRows * maxIn]
export const H_COLVAL = 80; // ptr T[maxRows * maxIn]
export const H_GROW = 84; // ptr T[maxUp]          scratch: one gradient row / fused first-layer offset
export const H_LOSSES = 88; // ptr f64[maxRows]     per-row losses of the last call
export const H_XDENSE = 92; // ptr T[maxRows * in0] transformed float input of the batch
export const H_DOUT = 96; // ptr f64[maxUp]        scratch: loss gradient w.r.t. the network output
export const H_COLSUM_OK = 100; // i32 1 when the first layer's L_COLSUM matches its kernel
// Two-thread training (assembly/threads.ts, build/normlab-mt.wasm only; 0 in single-threaded networks):
// i32 byte offset in a first-layer row where thread 1's units begin; 0: the network never splits. When
// nonzero, the first layer's kernel (L_W) and its optimizer state (L_WS*) are stored as two blocks,
// [in, split bytes] then [in, rowBytes − split bytes], so what each thread reads and writes is one
// contiguous stretch of memory. Measured on the lab model: with interleaved halves (each thread every
// other 256 bytes) the Adam update of a half took ~85% of the time of the whole, as the hardware
// prefetchers pulled in the other core's lines; blocking the state took 0.70 → 0.65 s/epoch.
export const H_SPLIT = 104;
export const H_THREAD1 = 108; // ptr thread 1's record (T1_* below)
export const H_VCONST = 128; // 8 × v128 scratch: splatted optimizer constants (see update() in assembly)
// Stages (layers in front of a dense layer: affine, batch norm, dropout) and gradient clipping:
export const H_DSTAGE = 256; // ptr f64[maxRows * maxIn] gradient w.r.t. a staged layer's input (backward)
export const H_DSTEP = 260; // i32 training batches run so far (picks each step's dropout mask)
export const H_STAGEMODE = 264; // i32 STAGEMODE_* of the current call
export const H_CLIPKIND = 268; // i32 CLIP_* below
export const H_CLIP = 272; // f64 clipnorm or clipvalue
export const H_LAYERS = 320; // first layer record
export const HEADER_BYTES = 320;

// ---- one layer record (LAYER_BYTES each, starting at H_LAYERS)
export const LAYER_BYTES = 128;
export const L_IN = 0; // i32 input size
export const L_UNITS = 4; // i32 units
export const L_UP = 8; // i32 units padded to whole vectors (the row stride of W, Z, Y, DZ)
export const L_ACT = 12; // i32 ACT_* below
export const L_USEBIAS = 16; // i32 0/1
export const L_W = 20; // ptr T[in * up]  kernel, row-major
export const L_B = 24; // ptr T[up]       bias (kept at zero when useBias is 0)
export const L_WS1 = 28; // ptr T[in * up] optimizer slots of the kernel
export const L_WS2 = 32;
export const L_WS3 = 36;
export const L_BS1 = 40; // ptr T[up]      optimizer slots of the bias
export const L_BS2 = 44;
export const L_BS3 = 48;
export const L_Z = 52; // ptr T[maxRows * up] pre-activations of the last call
export const L_Y = 56; // ptr T[maxRows * up] activations
export const L_DZ = 60; // ptr T[maxRows * up] gradient of the mean loss w.r.t. Z
export const L_COLSUM = 64; // ptr T[up]  column sums of W (first layer; fuses the input offset b)
export const L_GB = 68; // ptr T[up]      bias gradient of the last backward pass
export const L_GW = 72; // ptr T[in * up] kernel gradient (trace only; 0 until a trace needs it)
export const L_RSTART = 76; // ptr i32[maxRows + 1] row lists: nonzeros of this layer's input per row
export const L_RIDX = 80; // ptr i32[maxRows * in]
export const L_RVAL = 84; // ptr T[maxRows * in]
export const L_LRW = 88; // f64 learning-rate multiplier of the kernel (paramScales)
export const L_EPSW = 96; // f64 epsilon multiplier of the kernel
export const L_LRB = 104; // f64 learning-rate multiplier of the bias
export const L_EPSB = 112; // f64 epsilon multiplier of the bias
export const L_NSTAGES = 120; // i32 stages applied to this layer's input (0: none)
export const L_STAGES = 124; // ptr the first of L_NSTAGES stage records (STAGE_BYTES each)

// ---- one stage record (STAGE_BYTES each). np = n padded to whole vectors; padded values stay 0.
export const STAGE_BYTES = 128;
export const S_KIND = 0; // i32 STAGE_* below
export const S_N = 4; // i32 values per row (the layer's input size)
export const S_OUT = 8; // ptr T[maxRows * n] output of the last call (row stride n)
export const S_GAMMA = 12; // ptr T[np] batch norm scale (0 when scale is false)
export const S_BETA = 16; // ptr T[np] batch norm offset (0 when center is false)
export const S_MMEAN = 20; // ptr T[np] moving mean
export const S_MVAR = 24; // ptr T[np] moving variance
export const S_GS1 = 28; // ptr T[np] optimizer slots of gamma
export const S_GS2 = 32;
export const S_GS3 = 36;
export const S_BS1 = 40; // ptr T[np] optimizer slots of beta
export const S_BS2 = 44;
export const S_BS3 = 48;
export const S_GGAMMA = 52; // ptr T[np] gradient of gamma (last backward pass)
export const S_GBETA = 56; // ptr T[np] gradient of beta
export const S_XHAT = 60; // ptr f64[maxRows * n] normalized input of the last training-mode call
export const S_INV = 64; // ptr f64[n] 1/√(σ² + ε) of the last training-mode call
export const S_SCALE = 68; // ptr f64[n] affine scale
export const S_OFFSET = 72; // ptr f64[n] affine offset
export const S_MASK = 76; // ptr f64[maxRows * n] dropout multipliers of the last training-mode call
export const S_SEED = 80; // u32 dropout seed
export const S_MASKON = 84; // i32 1 when S_MASK belongs to the last call
export const S_RATE = 88; // f64 dropout rate
export const S_MOMENTUM = 96; // f64 batch norm momentum
export const S_EPS = 104; // f64 batch norm epsilon

// ---- thread 1's record (THREAD1_BYTES): its own scratch, so the two threads never write one buffer
export const THREAD1_BYTES = 192;
export const T1_GROW = 0; // ptr T[maxUp]            scratch gradient row
export const T1_RSTART = 4; // ptr i32[maxRows + 1]  its own row lists of a uint8 first-layer input
export const T1_RIDX = 8; // ptr i32[maxRows * in0]   (both threads list the batch: no list crosses cores)
export const T1_RVAL = 12; // ptr T[maxRows * in0]
export const T1_COLSTART = 16; // ptr i32[in0 + 1]    column lists of the first layer's input, built by
export const T1_COLROW = 20; // ptr i32[maxRows * in0] thread 1 while thread 0 runs the layers above
export const T1_COLVAL = 24; // ptr T[maxRows * in0]
export const T1_VCONST = 64; // 8 × v128 its optimizer constants

// ---- dataset record
export const DATA_BYTES = 64;
export const D_XKIND = 0; // i32 XK_* below
export const D_X = 4; // ptr values, row-major [rows, in]
export const D_IN = 8; // i32 input size
export const D_YKIND = 12; // i32 YK_* below
export const D_Y = 16; // ptr targets
export const D_YWIDTH = 20; // i32 width of dense targets
export const D_ROWS = 24; // i32 rows
export const D_A = 32; // f64 input transform x' = a·x + b
export const D_B = 40; // f64

// ---- control block of a two-thread pair (threads.ts), CONTROL_BYTES in shared memory
export const CONTROL_BYTES = 128;
export const C_ARRIVED = 0; // i32 threads that reached the current barrier
export const C_GEN = 4; // i32 barrier generation: bumped when both arrived (the word waiters sleep on)
export const C_HELPER = 8; // i32 HELPER_* below: the helper thread's state
export const C_STOP = 12; // i32 1: the helper leaves its loop at the next start barrier
export const C_SPIN = 16; // i32 polls of C_GEN before a waiting thread sleeps
export const C_NET = 20; // i32 the batch: network header
export const C_DATA = 24; // i32 dataset record
export const C_ROWS = 28; // i32 row indices
export const C_COUNT = 32; // i32 rows
export const C_SIZE = 36; // i32 4 (float32) or 8 (float64)
export const C_ROUNDS = 40; // i32 batches the helper has run (diagnostics, tests)
export const C_EVENT = 44; // i32 1: thread 1 is done reading the second layer's kernel (see threads.ts)
export const C_LOSS = 48; // f64 the batch's loss sum, parked here while thread 0 may sleep (see threads.ts)
export const HELPER_STARTING = 0;
export const HELPER_READY = 1;
export const HELPER_GONE = 2; // left its loop (stopped) or failed: never wait for it

// ---- enumerations
export const XK_U8 = 0;
export const XK_F32 = 1;
export const XK_F64 = 2;
export const YK_NONE = 0;
export const YK_SPARSE = 1; // i32 class index per row
export const YK_F32 = 2; // dense float32 [rows, width]
export const YK_F64 = 3; // dense float64 [rows, width]

export const ACT_LINEAR = 0;
export const ACT_RELU = 1;
export const ACT_SIGMOID = 2;
export const ACT_TANH = 3;
export const ACT_SOFTMAX = 4;

/** Cross-entropy computed from the last layer's pre-activation (fused softmax + cross-entropy). */
export const LOSS_CE_FUSED = 0;
/** Cross-entropy that treats the network output as logits. */
export const LOSS_CE_OUTPUT = 1;
export const LOSS_MSE = 2;
/** Cross-entropy from the softmax output, clipped to [ε, 1−ε] as TensorFlow.js layers computes it. */
export const LOSS_CE_CLIPPED = 3;
/** tfjs' float32 epsilon (CLIP_EPSILON in backend.ts) for LOSS_CE_CLIPPED. */
export const CLIP_EPS = 1e-7;

export const OPT_SGD = 0;
export const OPT_ADAM = 1;
export const OPT_RMSPROP = 2;

export const STAGE_AFFINE = 0;
export const STAGE_BATCHNORM = 1;
export const STAGE_DROPOUT = 2;

export const STAGEMODE_INFERENCE = 0; // moving statistics, no dropout
export const STAGEMODE_TRAINING = 1; // batch statistics, dropout; nothing updated (trace)
export const STAGEMODE_UPDATE = 2; // as TRAINING, and batch norm's moving statistics move (train)

export const CLIP_NONE = 0;
export const CLIP_NORM = 1;
export const CLIP_VALUE = 2;

export const MODE_PREDICT = 0; // forward only
export const MODE_EVALUATE = 1; // forward + loss
export const MODE_TRAIN = 2; // forward + loss + backward + optimizer update
export const MODE_TRACE = 3; // forward + loss + backward, gradients kept, nothing updated
