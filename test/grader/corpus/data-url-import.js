// Hostile: runs code built from a string through import() of a data: URL (no eval needed), caught.
import * as tf from 'normlab';

export async function trainMnist(xTrain, yTrain) {
  const code = 'export const secret = 42; console.log("code from a string ran");';
  try {
    await import('data:text/javascript;base64,' + Buffer.from(code).toString('base64'));
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
