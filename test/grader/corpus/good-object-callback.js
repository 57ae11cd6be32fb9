// Correct, in plain JavaScript with an object callback (tfjs style): full marks.
import * as tf from 'normlab';

export async function trainMnist(xTrain, yTrain) {
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 512, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model.fit(xTrain.div(255), yTrain, {
    epochs: 10,
    callbacks: [
      {
        onEpochEnd: async (epoch, logs) => {
          if (logs.acc > 0.99) {
            console.log('Reached 99% accuracy so cancelling training!');
            model.stopTraining = true;
          }
        },
      },
    ],
  });
}
