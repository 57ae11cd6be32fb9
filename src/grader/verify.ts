/**
 * The parent's own check of the number that matters most: it rebuilds the model the submission trained
 * from the architecture and weights sent at the end of fit, and measures its accuracy on the training
 * data in the grader's process. A submission that fakes its logs (or its backend) cannot fake this.
 */
import { layerFromConfig } from '../engine/layers/index.js';
import type { Layer, LayerConfig } from '../engine/layers/layer.js';
import { Sequential } from '../engine/model/sequential.js';
import { Tensor } from '../engine/tensor.js';
import type { WeightsDump } from './protocol.js';

export interface Verification {
  accuracy?: number;
  /** Why it could not be computed. */
  skipped?: string;
  seconds: number;
}

const MAX_PARAMS = 20_000_000;

export function verifyAccuracy(
  dump: WeightsDump | undefined,
  data: { images: Uint8Array; labels: Uint8Array; count: number; height: number; width: number },
  transform: { a: number; b: number } | undefined,
): Verification {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  if (!dump) return { skipped: 'the model was not sent back', seconds: seconds() };
  if (!transform) return { skipped: 'fit was not given the training images', seconds: seconds() };
  try {
    const config = dump.config as { layers?: LayerConfig[]; dtype?: string };
    if (!Array.isArray(config.layers) || config.layers.length === 0) return { skipped: 'no layers', seconds: seconds() };
    const layers: Layer[] = config.layers.map((c) => layerFromConfig(c));
    const model = new Sequential({ layers, dtype: dump.dtype === 'float64' ? 'float64' : 'float32', seed: 1 });
    if (model.countParams() > MAX_PARAMS) return { skipped: 'model too large to re-evaluate', seconds: seconds() };
    const weights = dump.weights.map((b64) => {
      const bytes = Buffer.from(b64, 'base64');
      const copy = new Uint8Array(bytes.length);
      copy.set(bytes);
      return new Float64Array(copy.buffer);
    });
    model.setWeights(weights);
    const x = new Tensor(data.images, [data.count, data.height, data.width], 'float32', { a: transform.a, b: transform.b });
    const probs = model.predict(x, { batchSize: 256 });
    const out = probs.dataSync();
    const k = probs.shape[1];
    let correct = 0;
    for (let r = 0; r < data.count; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (out[r * k + j] > out[r * k + best]) best = j;
      if (best === data.labels[r]) correct++;
    }
    model.dispose();
    return { accuracy: correct / data.count, seconds: seconds() };
  } catch (e) {
    return { skipped: `could not rebuild the model: ${(e as Error).message}`, seconds: seconds() };
  }
}
