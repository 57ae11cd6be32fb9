// Wrong: trains on its own (easier) data instead of the images it is given.
import * as tf from 'normlab';

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor) {
  const n = 2000;
  const images = new Float32Array(n * 28 * 28);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 10;
    images[i * 784 + labels[i]] = 1; // one bright pixel per class: trivially learnable
  }
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const stop = {
    onEpochEnd: (epoch: number, logs?: tf.Logs) => {
      if (logs!.acc > 0.99) {
        console.log('Reached 99% accuracy so cancelling training!');
        model.stopTraining = true;
      }
    },
  };
  return model.fit(new tf.Tensor(images, [n, 28, 28]), new tf.Tensor(labels, [n]), { epochs: 10, callbacks: [stop] });
}
