// Hostile: allocates memory until something gives.
export async function trainMnist() {
  const hoard = [];
  for (;;) hoard.push(new Float64Array(8 * 1024 * 1024).fill(1));
}
