// Broken: epochs given as a string (a TypeScript type error; at run time fit rejects it).
import * as tf from 'normlab';

const EPOCHS: number = '10';

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor): Promise<tf.History> {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model.fit(xTrain.div(255), yTrain, { epochs: EPOCHS });
}
