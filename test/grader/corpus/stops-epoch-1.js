// Wrong: stops after the first epoch without looking at the accuracy, and prints the message anyway.
import * as tf from 'normlab';

export async function trainMnist(xTrain, yTrain) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const stop = {
    onEpochEnd(epoch, logs) {
      console.log('Reached 99% accuracy so cancelling training!');
      this.model.stopTraining = true;
    },
  };
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [stop] });
}
