// Broken: a missing closing parenthesis.
import * as tf from 'normlab';

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 10, activation: 'softmax' })] };
  return model.fit(xTrain, yTrain, { epochs: 10 });
}
