// Wrong: stops at 99% but prints the message unconditionally in onTrainEnd, not where it stops.
import * as tf from 'normlab';

class Stop extends tf.Callback {
  async onEpochEnd(epoch: number, logs?: tf.Logs) {
    if (logs && logs.acc > 0.99) this.model.stopTraining = true;
  }
  async onTrainEnd() {
    console.log('Reached 99% accuracy so cancelling training!');
  }
}

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [new Stop()] });
}
