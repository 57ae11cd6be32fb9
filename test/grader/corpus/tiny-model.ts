// Wrong model: a correct callback, but 8 hidden units cannot reach 99% in 10 epochs.
import * as tf from 'normlab';

class Stop extends tf.Callback {
  async onEpochEnd(epoch: number, logs?: tf.Logs) {
    if (logs && logs.acc > 0.99) {
      console.log('Reached 99% accuracy so cancelling training!');
      this.model.stopTraining = true;
    }
  }
}

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 8, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [new Stop()] });
}
