// Wrong: the callback only reports progress; it never stops training.
import * as tf from 'normlab';

export async function trainMnist(xTrain, yTrain) {
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 64, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const progress = { onEpochEnd: (epoch, logs) => console.log(`epoch ${epoch + 1}: accuracy ${logs.acc.toFixed(3)}`) };
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [progress] });
}
