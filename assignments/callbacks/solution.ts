/**
 * Reference solution for the `callbacks` assignment (used by normlab's tests; not handed to learners).
 * It must score full marks: fit asks for 10 epochs, and the callback stops training in the epoch where
 * training accuracy first exceeds 0.99, printing the required message.
 */
import * as tf from 'normlab';

const THRESHOLD = 0.99;

class StopAt99 extends tf.Callback {
  async onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void> {
    // tfjs names the accuracy log `acc` (Keras says `accuracy`).
    if (logs && logs.acc > THRESHOLD) {
      console.log('Reached 99% accuracy so cancelling training!');
      this.model.stopTraining = true;
    }
  }
}

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor): Promise<tf.History> {
  // Pixels are 0–255 bytes; the model learns far faster on values in [0, 1].
  const x = xTrain.div(255);
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28] }),
      tf.layers.dense({ units: 512, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(x, yTrain, { epochs: 10, callbacks: [new StopAt99()] });
  return history;
}
