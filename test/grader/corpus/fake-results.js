// Hostile: prints a fake Gradescope results.json with full marks instead of training.
export async function trainMnist() {
  const tests = ['fit-epochs', 'stopped-by-callback', 'accuracy', 'message', 'history', 'stop-flag', 'given-data'].map((name) => ({ name, score: 10, max_score: 10, status: 'passed' }));
  console.log(JSON.stringify({ score: 100, tests }));
  console.log('Reached 99% accuracy so cancelling training!');
  return { history: { acc: [0.995] }, epoch: [0] };
}
