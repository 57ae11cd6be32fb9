// Wrong: compiles without metrics, so logs have only the loss; the callback reads logs.acc.
import * as tf from 'normlab';

export async function trainMnist(xTrain, yTrain) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 128, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [{
    onEpochEnd(epoch, logs) {
      if (logs.acc > 0.99) {
        console.log('Reached 99% accuracy so cancelling training!');
        this.model.stopTraining = true;
      }
    },
  }] });
}
