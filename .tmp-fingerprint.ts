// temporary: fingerprint of st wasm training results (bitwise), to check a refactor keeps numbers identical
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createWasmBackend } from './src/engine/backends/wasm/index.js';
import type { NetworkSpec, ActivationName, DType } from './src/engine/backend.js';
import { glorotWeights, randomBytes, randomLabels, trainEpochs, OPTIMIZERS } from './test/engine/backends/wasm-helpers.js';
const file = process.argv[2];
const backend = createWasmBackend(new WebAssembly.Module(readFileSync(file)));
const h = createHash('sha1');
for (const dtype of ['float32', 'float64'] as DType[]) for (const [oname, opt] of Object.entries(OPTIMIZERS)) for (const act of ['relu', 'sigmoid', 'tanh'] as ActivationName[]) for (const b of [0, -1]) {
  const spec: NetworkSpec = { dtype, layers: [{ inputSize: 70, units: 37, activation: act, useBias: true }, { inputSize: 37, units: 21, activation: 'relu', useBias: true }, { inputSize: 21, units: 10, activation: 'softmax', useBias: true }], loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false }, optimizer: opt };
  const net = backend.createNetwork(spec, glorotWeights(spec, 3, 0.1));
  const id = net.loadData({ values: randomBytes(90, 70, 5), rows: 90, inputSize: 70, transform: { a: 1 / 255 * (b ? 2 : 1), b } }, { kind: 'sparse', labels: randomLabels(90, 10, 6), rows: 90 });
  const log = trainEpochs(net, id, 90, 16, 2, 9);
  h.update(new Float64Array(log.losses)); for (const w of net.getWeights()) h.update(w);
  net.dispose();
}
console.log(h.digest('hex'));
