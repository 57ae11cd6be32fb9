// Wrong: builds and compiles a model but never trains it, and returns the model.
import * as tf from 'normlab';

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
