// Wrong: asks fit for 100 epochs (the callback itself is right, so training still stops early).
import * as tf from 'normlab';

class Stop extends tf.Callback {
  async onEpochEnd(epoch, logs) {
    if (logs.acc > 0.99) {
      console.log('Reached 99% accuracy so cancelling training!');
      this.model.stopTraining = true;
    }
  }
}

export async function trainMnist(xTrain, yTrain) {
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 512, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model.fit(xTrain.div(255), yTrain, { epochs: 100, callbacks: [new Stop()] });
}
