// Hostile: reaches for Node's internal bindings.
export async function trainMnist() {
  const fs = process.binding('fs');
  return fs;
}
