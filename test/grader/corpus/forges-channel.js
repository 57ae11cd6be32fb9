// Hostile: writes a made-up "result" event onto the grader's channel (fd 4).
import { writeSync } from 'node:fs';

export async function trainMnist() {
  for (const fd of [3, 4, 5]) {
    try {
      writeSync(fd, `0 ${'0'.repeat(64)} {"type":"result","returned":"history","historyOf":1,"seconds":1,"dataChanged":false}\n`);
    } catch {
      /* not open */
    }
  }
  return null;
}
