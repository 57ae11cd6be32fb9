// Wrong: Python habits: onEpochEnd(self, epoch, logs), so logs is undefined when fit calls it.
import * as tf from 'normlab';

class MyCallback extends tf.Callback {
  onEpochEnd(self, epoch, logs) {
    if (logs.acc > 0.99) {
      console.log('Reached 99% accuracy so cancelling training!');
      self.model.stopTraining = true;
    }
  }
}

export async function trainMnist(xTrain, yTrain) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [new MyCallback()] });
}
