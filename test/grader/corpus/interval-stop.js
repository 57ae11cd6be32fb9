// Hostile: sets the stop flag and prints from a timer while the async hook awaits, never from the hook.
import * as tf from 'normlab';

export async function trainMnist(xTrain, yTrain) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  let armed = false;
  const timer = setInterval(() => {
    if (armed) {
      console.log('Reached 99% accuracy so cancelling training!');
      model.stopTraining = true;
      armed = false;
    }
  }, 1);
  const history = await model.fit(xTrain.div(255), yTrain, {
    epochs: 10,
    callbacks: [
      {
        async onEpochEnd(epoch, logs) {
          if (logs.acc > 0.99) armed = true;
          await new Promise((resolve) => setTimeout(resolve, 30));
        },
      },
    ],
  });
  clearInterval(timer);
  return history;
}
