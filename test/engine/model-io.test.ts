/**
 * model.save / loading saved models (issue 10, bug 4): the public loadLayersModel (tfjs' name, with the
 * file:// form), one clear 'model-file' error per defect in model.json or weights.bin (never a raw
 * TypeError/RangeError, never a silently wrong model), and concurrent saves into one folder.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layers, sequential, type Sequential } from '../../src/engine/index.js';
import { NormlabError } from '../../src/errors.js';
import { loadLayersModel } from '../../src/index.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'normlab-model-io-'));
  dirs.push(d);
  return d;
}

function smallModel(seed: number, hidden = 8): Sequential {
  return sequential({
    seed,
    layers: [layers.flatten({ inputShape: [4, 4] }), layers.dense({ units: hidden, activation: 'relu' }), layers.dense({ units: 3, activation: 'softmax' })],
  });
}

/** A saved model whose model.json (parsed) and weights.bin the test may change before loading. */
async function savedModel(edit: (json: any, bin: Buffer) => { json?: unknown; bin?: Buffer } | void): Promise<string> {
  const dir = await tempDir();
  const m = smallModel(1);
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await m.save(dir);
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const bin = await readFile(join(dir, 'weights.bin'));
  const changed = edit(json, bin) ?? {};
  const outJson = 'json' in changed ? changed.json : json;
  await writeFile(join(dir, 'model.json'), typeof outJson === 'string' ? outJson : JSON.stringify(outJson));
  await writeFile(join(dir, 'weights.bin'), changed.bin ?? bin);
  return dir;
}

const modelFileError = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof NormlabError, `a NormlabError, got ${(e as Error)?.stack}`);
  assert.equal(e.code, 'model-file');
  assert.match(e.message, pattern);
  return true;
};

describe('loadLayersModel (public API)', () => {
  it('loads what model.save wrote, with the tfjs file:// form, same weights and predictions', async () => {
    const dir = await tempDir();
    const m = smallModel(5);
    await m.save(`file://${dir}`);
    const loaded = await loadLayersModel(`file://${join(dir, 'model.json')}`);
    loaded.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), m.getWeights()[i].dataSync()));
  });

  const defects: [string, (json: any, bin: Buffer) => { json?: unknown; bin?: Buffer } | void, RegExp][] = [
    ['model.json is null', () => ({ json: 'null' }), /model\.json: holds null, expected a model object/],
    ['model.json is not JSON', () => ({ json: '{"format": "normlab-model",' }), /model\.json: not valid JSON/],
    ['another format', (j) => void (j.format = 'keras'), /is not a normlab model file \(format "keras"/],
    ['a wrong type (dtype 16)', (j) => void (j.config.dtype = 16), /config\.dtype: .*\(found 16\)/],
    ['layers missing', (j) => void delete j.config.layers, /config\.layers: .*\(found nothing\)/],
    ['a negative offset', (j) => void (j.weights[1].offset = -8), /weights\.1\.offset: .*\(found -8\)/],
    ['a non-whole offset', (j) => void (j.weights[1].offset = 1.5), /weights\.1\.offset: .*\(found 1\.5\)/],
    [
      'an offset out of range',
      (j) => void (j.weights[3].offset += 1000),
      /weight 3 spans values \d+–\d+ but .*weights\.bin holds only 163 float32 values: out of range/,
    ],
    ['overlapping offsets', (j) => void (j.weights[1].offset = 0), /weight \d \(offset \d+\) overlaps the weight before it/],
    ['count and shape disagree', (j) => void (j.weights[0].count = 7), /weight 0 has shape \[16,8\] \(128 values\) but count 7/],
    [
      'a different architecture',
      (j) => void (j.config.layers[1].units = 9),
      /weight 0 has shape \[16,8\], the layers need \[16,9\]: it describes a different architecture/,
    ],
    ['a layer that cannot be built', (j) => void (j.config.layers[1].units = 0), /cannot be built: layers\.dense needs a positive whole number of units/],
    ['an unknown layer', (j) => void (j.config.layers[1].className = 'Conv2D'), /cannot be built: unknown layer type 'Conv2D'/],
    ['an unknown optimizer', (j) => void (j.config.compile.optimizer.name = 'adamw'), /cannot be built: .*adamw/],
    ['a truncated weights.bin', (_j, b) => ({ bin: b.subarray(0, b.length - 4) }), /weights\.bin: has 648 bytes, expected 652/],
    [
      'a weights.bin from another save',
      (_j, b) => ({ bin: Buffer.from(b).fill(1, 0, 4) }),
      /weights\.bin is not the weights file saved with .*model\.json \(SHA-256 differs\)/,
    ],
  ];
  for (const [what, edit, pattern] of defects) {
    it(`${what}: one clear error`, async () => {
      const dir = await savedModel(edit);
      await assert.rejects(loadLayersModel(dir), modelFileError(pattern));
    });
  }

  it('missing files are named', async () => {
    const dir = await tempDir();
    await assert.rejects(loadLayersModel(dir), modelFileError(/cannot read .*model\.json \(the model description\): no such file/));
    await smallModel(1).save(dir);
    await rm(join(dir, 'weights.bin'));
    await assert.rejects(loadLayersModel(dir), modelFileError(/cannot read .*weights\.bin \(the weights\): no such file/));
  });
});

describe('model.save', () => {
  it('concurrent saves into one folder all succeed and leave one whole, loadable model, no temporary files', async () => {
    const dir = await tempDir();
    const models = [smallModel(1), smallModel(2), smallModel(3)];
    await Promise.all(models.map((m) => m.save(`file://${dir}`)));
    assert.deepEqual((await readdir(dir)).sort(), ['model.json', 'weights.bin']);
    // Either a consistent pair loads, or the mix is detected (weightsSha256): never a silently mixed model.
    try {
      const loaded = await loadLayersModel(dir);
      const match = models.find((m) => m.getWeights().every((w, i) => String(w.dataSync()) === String(loaded.getWeights()[i].dataSync())));
      assert.ok(match, 'the loaded weights are one saved model’s');
    } catch (e) {
      modelFileError(/SHA-256 differs/)(e);
    }
  });
});
