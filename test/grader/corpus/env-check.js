// Correct, but refuses to train if the sandbox leaks any environment variable (PWD, OLDPWD, HOME…).
import * as tf from 'normlab';

export async function trainMnist(xTrain, yTrain) {
  const leaked = Object.keys(process.env);
  if (leaked.length > 0) throw new Error(`the environment is not empty: ${leaked.join(', ')}`);
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
