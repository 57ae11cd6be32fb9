// Hostile: replaces Error.prepareStackTrace to make every stack look like it runs inside the grader's
// hook, then prints the message from a timer.
import * as tf from 'normlab';

Error.prepareStackTrace = () => 'Error\n    at async LearnerCallback.invoke (file:///x/instrument.js:1:1)';

export async function trainMnist(xTrain, yTrain) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  let passed = false;
  const timer = setInterval(() => {
    if (passed) console.log('Reached 99% accuracy so cancelling training!');
  }, 1);
  const history = await model.fit(xTrain.div(255), yTrain, {
    epochs: 10,
    callbacks: [
      {
        async onEpochEnd(epoch, logs) {
          if (logs.acc > 0.99) {
            passed = true;
            this.model.stopTraining = true;
            await new Promise((resolve) => setTimeout(resolve, 30));
            passed = false;
          }
        },
      },
    ],
  });
  clearInterval(timer);
  return history;
}
