// Wrong: the threshold is 99 (a percentage), held in a constant.
import * as tf from 'normlab';

const TARGET_ACCURACY = 99;

class Stop extends tf.Callback {
  async onEpochEnd(epoch: number, logs?: tf.Logs) {
    if (logs && logs.acc > TARGET_ACCURACY) {
      console.log('Reached 99% accuracy so cancelling training!');
      this.model.stopTraining = true;
    }
  }
}

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 64, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [new Stop()] });
}
