// Wrong: a warm-up fit, then the real one; the epochs add up.
import * as tf from 'normlab';

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor): Promise<tf.History> {
  const x = xTrain.div(255);
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 512, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(x, yTrain, { epochs: 1 });
  const callbacks = {
    onEpochEnd: async (epoch: number, logs?: tf.Logs) => {
      if (logs!.acc > 0.99) {
        console.log('Reached 99% accuracy so cancelling training!');
        model.stopTraining = true;
      }
    },
  };
  return model.fit(x, yTrain, { epochs: 10, callbacks });
}
