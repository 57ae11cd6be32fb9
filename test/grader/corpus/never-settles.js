// Broken: waits for a promise that nothing ever resolves (a forgotten resolve()).
export async function trainMnist(xTrain, yTrain) {
  await new Promise(() => {});
}
