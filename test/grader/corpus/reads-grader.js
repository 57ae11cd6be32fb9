// Hostile: copies the reference solution from the grader's checkout.
import { readFileSync } from 'node:fs';

export async function trainMnist(xTrain, yTrain) {
  const solution = readFileSync('__REPO_ROOT__/assignments/callbacks/solution.ts', 'utf8');
  console.log(solution.slice(0, 200));
}
