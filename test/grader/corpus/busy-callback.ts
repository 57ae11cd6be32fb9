// Hostile: the callback spins forever in the first epoch.
import * as tf from 'normlab';

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const spin = {
    onEpochEnd(epoch: number) {
      const until = Date.now() + 1e9;
      while (Date.now() < until) {
        /* busy */
      }
    },
  };
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [spin] });
}
