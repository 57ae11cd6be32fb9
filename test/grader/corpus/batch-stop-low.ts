// Wrong: checks the accuracy after every batch (a batch's own accuracy), with a threshold of 0.69.
import * as tf from 'normlab';

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const stop = {
    onBatchEnd(this: { model: tf.Sequential }, batch: number, logs?: tf.Logs) {
      if (logs && logs.acc > 0.69) {
        console.log('Reached 99% accuracy so cancelling training!');
        this.model.stopTraining = true;
      }
    },
  };
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [stop as never] });
}
