/**
 * `normlab assignment package <id> --gradescope OUT.zip`: a Gradescope autograder (see
 * https://gradescope-autograders.readthedocs.io/en/latest/specs/). Gradescope unpacks the zip into
 * /autograder/source, runs setup.sh once as root when it builds the image, and run_autograder for every
 * submission, which must leave /autograder/results/results.json.
 *
 *   setup.sh         installs Node 20 (NodeSource) unless a Node ≥ 20 is there, installs this normlab from
 *                    the zip with its locked dependencies (npm ci), and downloads the MNIST split the
 *                    submissions train on, checking each file against the SHA-256 in normlab's registry;
 *   run_autograder   `normlab assignment autograde` (./autograde.ts) with the settings chosen when packaging;
 *                    AUTOGRADER_ROOT overrides /autograder (tests run it in a temp folder);
 *   normlab/         this installation: package.json, package-lock.json, bin, dist, build, assignments.
 *
 * The zip is written by yazl, into memory, then atomically to OUT.zip.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import yazl from 'yazl';
import { DATASETS, officialFiles, type Split } from '../../data/registry.js';
import { NormlabError } from '../../errors.js';
import { writeFileAtomicSync } from '../../util/files.js';
import { getAssignment } from '../assignment.js';
import { packageRoot } from '../runtime.js';

export interface GradescopeOptions {
  split: Split;
  timeoutS: number;
  memoryMB: number;
}

/** What the package copies of this installation (the published package minus the web app). */
const INCLUDED = ['package.json', 'package-lock.json', 'README.md', 'bin', 'dist', 'build', 'assignments'];

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function setupScript(split: Split): string {
  const mnist = DATASETS.mnist;
  const names = officialFiles(split);
  const files = (['images', 'labels'] as const).map((k) => ({ file: names[k], sha256: mnist.splits[split][k].sha256 }));
  return `#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu). Written by
# \`normlab assignment package\`; see normlab's README, "Grading a course".
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"

# 1. Node 20 (NodeSource), unless a Node >= 20 is already installed.
if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  apt-get update
  apt-get install -y --no-install-recommends ca-certificates curl gnupg
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y --no-install-recommends nodejs
fi
# The sandbox uses unshare, prlimit and setpriv.
command -v prlimit >/dev/null 2>&1 || apt-get install -y --no-install-recommends util-linux

# 2. normlab, with exactly the dependency versions it was tested with (no build step: dist/ is included).
cd "$SOURCE/normlab"
npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 3. The MNIST ${split} split the submissions train on, verified by SHA-256 (of the decompressed file).
mkdir -p "$SOURCE/data"
cd "$SOURCE/data"
MIRRORS=(${mnist.mirrors.map(shellQuote).join(' ')})
fetch() {
  local file="$1" want="$2" got
  if [ -f "$file" ]; then
    got="$(gunzip -c "$file" | sha256sum | cut -d' ' -f1)"
    [ "$got" = "$want" ] && return 0
  fi
  for mirror in "\${MIRRORS[@]}"; do
    if curl -fsSL --retry 3 -o "$file.part" "$mirror$file"; then
      got="$(gunzip -c "$file.part" | sha256sum | cut -d' ' -f1)"
      if [ "$got" = "$want" ]; then mv "$file.part" "$file"; return 0; fi
      echo "setup.sh: $mirror$file has SHA-256 $got, expected $want; trying the next mirror" >&2
    fi
  done
  echo "setup.sh: could not download a verified $file" >&2
  return 1
}
${files.map((f) => `fetch ${f.file} ${f.sha256}`).join('\n')}
echo "setup.sh: normlab and MNIST ${split} ready"
`;
}

export function runAutograderScript(assignment: string, o: GradescopeOptions): string {
  return `#!/usr/bin/env bash
# Gradescope runs this for every submission. It grades /autograder/submission/* and writes
# /autograder/results/results.json (AUTOGRADER_ROOT replaces /autograder, e.g. to try it locally).
set -uo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
exec node "$ROOT/source/normlab/bin/normlab.js" assignment autograde ${assignment} --root "$ROOT" --data-dir "$ROOT/source/data" --split ${o.split} --timeout ${o.timeoutS} --memory ${o.memoryMB}
`;
}

/** Builds the zip in memory and writes it atomically to `out`; returns the entries written. */
export async function writeGradescopePackage(assignmentId: string, out: string, o: GradescopeOptions): Promise<string[]> {
  const a = getAssignment(assignmentId);
  for (const need of ['dist/cli/main.js', 'bin/normlab.js']) {
    if (!existsSync(join(packageRoot, need)))
      throw new NormlabError('not-built', `this normlab installation has no ${need}`, 'run `npm run build` in the normlab checkout, then package again');
  }
  const zip = new yazl.ZipFile();
  const entries: string[] = [];
  const exec = { mode: 0o100755 };
  zip.addBuffer(Buffer.from(setupScript(o.split)), 'setup.sh', exec);
  zip.addBuffer(Buffer.from(runAutograderScript(a.id, o)), 'run_autograder', exec);
  entries.push('setup.sh', 'run_autograder');
  for (const item of INCLUDED) {
    const p = join(packageRoot, item);
    if (!existsSync(p)) continue;
    const files = statSync(p).isDirectory() ? [...walk(p)] : [p];
    for (const f of files) {
      const name = `normlab/${relative(packageRoot, f)}`;
      zip.addBuffer(readFileSync(f), name, { mode: statSync(f).mode | 0o100000 });
      entries.push(name);
    }
  }
  zip.end();
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve());
    zip.outputStream.on('error', reject);
  });
  writeFileAtomicSync(out, Buffer.concat(chunks));
  return entries;
}
