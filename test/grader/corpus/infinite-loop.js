// Hostile: never returns.
export async function trainMnist(xTrain, yTrain) {
  let i = 0;
  while (true) i++;
}
