/**
 * The Tensor's lazy affine transform: `x.div(255)` keeps the uint8 bytes and records x' = x/255;
 * reading the tensor (dataSync) applies it; the engine hands it to the backend instead of copying.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, layers, oneHot, scalar, sequential, tensor, tensor2d } from '../../src/engine/index.js';
import { toInputSource } from '../../src/engine/model/checks.js';
import { NormlabError } from '../../src/errors.js';
import { assertClose } from './helpers.js';

const allBytes = () => Uint8Array.from({ length: 256 }, (_, i) => i);

describe('lazy transform', () => {
  it('x.div(255) keeps the uint8 storage, becomes float32, and dataSync applies /255', () => {
    const bytes = allBytes();
    const x = tensor(bytes, [16, 16]);
    assert.equal(x.dtype, 'uint8');
    const xs = x.div(255);
    assert.equal(xs.values, bytes, 'the very same Uint8Array, no copy');
    assert.equal(xs.dtype, 'float32');
    assert.deepEqual(xs.shape, [16, 16]);
    assert.equal(xs.isIdentity, false);
    const read = xs.dataSync();
    assert.ok(read instanceof Float32Array, 'reads as float32');
    for (let v = 0; v < 256; v++) assert.equal(read[v], Math.fround(v / 255), `pixel ${v}`);
    assert.equal(read[255], 1);
    // The original tensor is unchanged.
    assert.equal(x.isIdentity, true);
    assert.equal(x.dataSync(), bytes);
  });

  it('operations compose: x.div(127.5).sub(1) maps 0..255 onto [−1, 1]; mul/add likewise', () => {
    const x = tensor(allBytes(), [256]);
    const sym = x.div(127.5).sub(1);
    assertClose([sym.transform.a, sym.transform.b], [1 / 127.5, -1], 1e-15, 0, 'transform');
    const d = sym.dataSync();
    assert.equal(d[0], -1);
    assert.equal(d[255], 1);
    assertClose(
      x.mul(2).add(3).dataSync(),
      Array.from({ length: 256 }, (_, v) => 2 * v + 3),
      0,
      0,
      'mul/add',
    );
    // (x − mean) / std, the standardize transform
    const z = x.sub(100).div(50);
    assertClose(
      z.dataSync(),
      Array.from({ length: 256 }, (_, v) => Math.fround((v - 100) / 50)),
      1e-7,
      0,
      'standardize',
    );
    // A scalar tensor works as the operand; a non-scalar tensor is refused with an explanation.
    assertClose(x.div(scalar(255)).dataSync(), x.div(255).dataSync(), 0, 0, 'div by scalar tensor');
    assert.throws(
      () => x.div(tensor([1, 2])),
      (e: unknown) => e instanceof NormlabError && /single number/.test(e.message),
    );
  });

  it('float64 tensors stay float64 under the transform', () => {
    const x = tensor(Float64Array.of(0.1, 0.2), [2]);
    const y = x.mul(3);
    assert.equal(y.dtype, 'float64');
    assert.ok(y.dataSync() instanceof Float64Array, 'float64 storage');
    assert.equal(y.dataSync()[0], 3 * 0.1);
  });

  it('reshape and slice keep the transform; slice copies the rows it takes', () => {
    const bytes = allBytes();
    const x = tensor(bytes, [4, 8, 8]).div(255);
    const flat = x.reshape([-1, 64]);
    assert.deepEqual(flat.shape, [4, 64]);
    assert.equal(flat.values, bytes);
    assert.deepEqual(flat.dataSync(), x.dataSync());
    const rows = x.slice(1, 2);
    assert.deepEqual(rows.shape, [2, 8, 8]);
    assert.notEqual(rows.values, bytes);
    assert.deepEqual(rows.dataSync(), x.dataSync().slice(64, 192));
  });

  it('the engine passes the transform to the backend without copying the bytes', () => {
    const bytes = allBytes();
    const x = tensor(bytes, [4, 64]).div(255);
    const source = toInputSource(x, 64);
    assert.equal(source.values, bytes);
    assert.deepEqual(source.transform, { a: 1 / 255, b: 0 });
    // ...and a model computes with the transformed values.
    const m = sequential({ seed: 1, dtype: 'float64', layers: [layers.dense({ inputShape: [64], units: 2 })] });
    const eager = tensor(
      Float64Array.from(bytes, (v) => v / 255),
      [4, 64],
    );
    assertClose(m.predict(x).dataSync(), m.predict(eager).dataSync(), 1e-13, 1e-15, 'lazy vs eager prediction');
    assert.notDeepEqual(Array.from(m.predict(x).dataSync()), Array.from(m.predict(tensor(bytes, [4, 64])).dataSync()));
  });
});

describe('tensor basics (the parts of the tfjs Tensor API the lab uses)', () => {
  it('tensor2d / arraySync / argMax / oneHot', () => {
    const t = tensor2d([
      [1, 5, 2],
      [7, 0, 7],
    ]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.arraySync(), [
      [1, 5, 2],
      [7, 0, 7],
    ]);
    assert.deepEqual(Array.from(t.argMax(-1).dataSync()), [1, 0], 'ties pick the first maximum');
    assert.deepEqual(oneHot(tensor([2, 0], undefined, 'int32'), 3).arraySync(), [
      [0, 0, 1],
      [1, 0, 0],
    ]);
    assert.equal(scalar(3).arraySync(), 3);
  });

  it('a shape that does not match the values, and reading a disposed tensor, are explained', () => {
    assert.throws(
      () => new Tensor(new Float32Array(5), [2, 3]),
      (e: unknown) => e instanceof NormlabError && /needs 6 values, but 5 were given/.test(e.message),
    );
    const t = tensor([1, 2]);
    t.dispose();
    assert.equal(t.isDisposed, true);
    assert.throws(
      () => t.dataSync(),
      (e: unknown) => e instanceof NormlabError && e.code === 'disposed',
    );
  });
});
