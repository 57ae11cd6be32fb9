// Wrong: stops at 90% accuracy instead of 99%.
import * as tf from 'normlab';

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor) {
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 128, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model.fit(xTrain.div(255), yTrain, {
    epochs: 10,
    callbacks: [
      {
        onEpochEnd: async (epoch, logs) => {
          if (logs!.acc > 0.9) {
            console.log('Reached 99% accuracy so cancelling training!');
            model.stopTraining = true;
          }
        },
      },
    ],
  });
}
