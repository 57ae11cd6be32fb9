// Wrong settings: batchSize 1 on a wide model, so one epoch takes far longer than the time limit.
import * as tf from 'normlab';

export async function trainMnist(xTrain, yTrain) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 2048, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const stop = {
    onEpochEnd(epoch, logs) {
      if (logs.acc > 0.99) {
        console.log('Reached 99% accuracy so cancelling training!');
        this.model.stopTraining = true;
      }
    },
  };
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, batchSize: 1, callbacks: [stop] });
}
