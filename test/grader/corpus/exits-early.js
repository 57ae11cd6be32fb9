// Hostile: ends the process before returning, hoping a clean exit code passes.
export async function trainMnist() {
  console.log('All tests passed!');
  process.exit(0);
}
