// Broken: the function is misnamed, so there is no trainMnist.
import * as tf from 'normlab';

export async function trainMNIST(xTrain, yTrain) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  return model;
}
