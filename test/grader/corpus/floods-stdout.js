// Hostile: prints without end.
export async function trainMnist() {
  const line = 'Reached 99% accuracy so cancelling training! '.repeat(20);
  for (;;) console.log(line);
}
