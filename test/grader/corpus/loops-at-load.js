// Wrong: top-level code that never finishes, so the module never loads.
let ready = false;
while (!ready) {
  /* waiting for nothing */
}
export async function trainMnist() {}
