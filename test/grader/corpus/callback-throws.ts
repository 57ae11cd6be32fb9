// Broken: the callback reads a log key that does not exist and calls a method on undefined.
import * as tf from 'normlab';

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const report = {
    onEpochEnd(epoch: number, logs: any) {
      console.log(`accuracy: ${logs.accuracy.toFixed(3)}`);
    },
  };
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [report] });
}
