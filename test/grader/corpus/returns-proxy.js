// Hostile: trains correctly, then returns a Proxy whose traps throw instead of the History.
import * as tf from 'normlab';

export async function trainMnist(xTrain, yTrain) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [{
    onEpochEnd(epoch, logs) {
      if (logs.acc > 0.99) {
        console.log('Reached 99% accuracy so cancelling training!');
        this.model.stopTraining = true;
      }
    },
  }] });
  const boom = () => {
    throw new Error('you looked');
  };
  return new Proxy({}, { get: boom, getPrototypeOf: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom });
}
