// Correct, and chatty in Unicode: every epoch prints a line with ≥, — and emoji that the harness records
// (it mentions "reached"), so the event channel carries many multi-byte characters.
import * as tf from 'normlab';

export async function trainMnist(xTrain, yTrain) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const cb = {
    onEpochEnd(epoch, logs) {
      console.log(`epoch ${epoch + 1} — accuracy ${logs.acc.toFixed(4)} — not yet reached ≥ 0.99 ✗ 🙁 … ≥≥≥ ———`);
      if (logs.acc > 0.99) {
        console.log('Reached 99% accuracy so cancelling training!');
        this.model.stopTraining = true;
      }
    },
  };
  return model.fit(xTrain.div(255), yTrain, { epochs: 10, callbacks: [cb] });
}
