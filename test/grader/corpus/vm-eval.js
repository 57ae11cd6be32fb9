// Hostile: evaluates a string with node:vm (eval and new Function are off, vm is the way around), caught.
import * as tf from 'normlab';
import vm from 'node:vm';

export async function trainMnist(xTrain, yTrain) {
  try {
    vm.runInThisContext('globalThis.fromString = 1');
  } catch {
    /* refused */
  }
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [{
    onEpochEnd(epoch, logs) {
      if (logs.acc > 0.99) {
        console.log('Reached 99% accuracy so cancelling training!');
        this.model.stopTraining = true;
      }
    },
  }] });
}
