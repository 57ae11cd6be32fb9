// Wrong: an endless loop before training (a while whose condition never changes).
export async function trainMnist(xTrain, yTrain) {
  let epochsDone = 0;
  while (epochsDone < 10) {
    /* forgot to train */
  }
  return epochsDone;
}
