// Hostile: tries to run a shell command.
import { execSync } from 'node:child_process';

export async function trainMnist() {
  const out = execSync('id; cat /etc/passwd').toString();
  console.log(out);
}
