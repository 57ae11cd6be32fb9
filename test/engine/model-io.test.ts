/**
 * model.save / loading saved models (issue 10, bug 4): concurrent saves into one folder never collide.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layers, sequential } from '../../src/engine/index.js';
import { loadModel } from '../../src/engine/model/io.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'normlab-model-io-'));
  dirs.push(d);
  return d;
}

function smallModel(seed: number) {
  return sequential({
    seed,
    layers: [layers.flatten({ inputShape: [4, 4] }), layers.dense({ units: 8, activation: 'relu' }), layers.dense({ units: 3, activation: 'softmax' })],
  });
}

describe('model.save', () => {
  it('two concurrent saves into one folder both succeed and leave one whole model, no temporary files', async () => {
    const dir = await tempDir();
    const models = [smallModel(1), smallModel(2), smallModel(3)];
    await Promise.all(models.map((m) => m.save(`file://${dir}`)));
    assert.deepEqual((await readdir(dir)).sort(), ['model.json', 'weights.bin']);
    const loaded = await loadModel(dir);
    assert.equal(loaded.getWeights().length, 4);
  });
});
