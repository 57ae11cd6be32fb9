/**
 * Assignment: stop training with a callback.
 *
 * Train an MNIST digits classifier. Call model.fit with epochs: 10, and write a callback that stops
 * training as soon as the training accuracy is above 99%, printing
 *
 *     Reached 99% accuracy so cancelling training!
 *
 * It must fire by the 8th epoch. Check your work with:
 *
 *     normlab grade train-mnist.ts
 *
 * (see README.md for the data folder and what each test checks).
 */
import * as tf from 'normlab';

// TODO 1: finish this callback. fit calls onEpochEnd after every epoch with that epoch's logs;
// training accuracy is logs.acc (a fraction: 0.99 means 99%). When it is above 0.99, print the message
// above and stop training by setting this.model.stopTraining = true.
class StopAtAccuracy extends tf.Callback {
  async onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void> {
    // your code here
  }
}

export async function trainMnist(xTrain: tf.Tensor, yTrain: tf.Tensor): Promise<tf.History> {
  // TODO 2: the pixels are 0–255; scale them to [0, 1] (hint: xTrain.div(...)).
  const x = xTrain;

  // TODO 3: a model that reaches 99% training accuracy within 8 epochs:
  // Flatten the 28×28 images, one hidden Dense layer with relu, and a 10-unit softmax output.
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28] }),
      // your layers here
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

  // TODO 4: train for 10 epochs with your callback, and return the History that fit gives you.
  const history = await model.fit(x, yTrain, { epochs: 10, callbacks: [] });
  return history;
}
