// Wrong: stops correctly, but the message comes from a timer that prints while the async hook awaits,
// not from the callback itself.
import * as tf from 'normlab';

export async function trainMnist(xTrain, yTrain) {
  let done = false;
  const timer = setInterval(() => {
    if (done) console.log('Reached 99% accuracy so cancelling training!');
  }, 1);
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(xTrain.div(255), yTrain, {
    epochs: 10,
    callbacks: [
      {
        async onEpochEnd(epoch, logs) {
          if (logs.acc > 0.99) {
            done = true;
            this.model.stopTraining = true;
            await new Promise((resolve) => setTimeout(resolve, 30));
            done = false;
          }
        },
      },
    ],
  });
  clearInterval(timer);
  return history;
}
