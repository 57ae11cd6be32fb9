// Wrong: asks fit for 8 epochs (the callback itself is right).
import * as tf from 'normlab';

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor): Promise<tf.History> {
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 512, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const stopper = {
    onEpochEnd(epoch: number, logs?: tf.Logs) {
      if (logs && logs.acc > 0.99) {
        console.log('Reached 99% accuracy so cancelling training!');
        model.stopTraining = true;
      }
    },
  };
  return model.fit(xTrain.div(255), yTrain, { epochs: 8, callbacks: [stopper] });
}
