// Hostile but polite: reads /etc/passwd inside try/catch, then trains correctly.
import * as tf from 'normlab';
import { readFileSync } from 'node:fs';

export async function trainMnist(xTrain, yTrain) {
  try {
    console.log(readFileSync('/etc/passwd', 'utf8').split('\n')[0]);
  } catch {
    // refused: carry on as if nothing happened
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
