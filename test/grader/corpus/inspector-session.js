// Hostile: tries to open an inspector session (the debugger protocol) and swallows the refusal.
import inspector from 'node:inspector';

export async function trainMnist() {
  try {
    const session = new inspector.Session();
    session.connect();
  } catch {
    /* refused */
  }
  return undefined;
}
