// Hostile: throws an object whose every property is a getter that never returns.
export async function trainMnist() {
  const trap = {};
  for (const name of ['name', 'message', 'stack', 'code', 'cause', 'hint', 'constructor', 'permission', 'resource']) {
    Object.defineProperty(trap, name, { get() { for (;;) {} } });
  }
  throw trap;
}
