// Hostile: writes outside its working folder.
import { writeFileSync } from 'node:fs';

export async function trainMnist() {
  writeFileSync('/tmp/normlab-corpus-pwned.txt', 'the submission was here');
}
