/**
 * Runs one child process under limits. Layers, outermost first (each is used when available, and what
 * was actually in force is recorded in `Isolation.notes`):
 *
 * 1. `unshare --net --mount` (root): an empty network namespace (no interfaces but a down loopback) and a
 *    private mount namespace in which /tmp, /var/tmp, /dev/shm, /run/lock are re-mounted read-only, the
 *    repository, the dataset folder and the submissions' folders are covered by empty read-only tmpfs,
 *    and the working directory is a fresh size-capped tmpfs owned by the sandbox user.
 * 2. `prlimit`: CPU seconds (RLIMIT_CPU), data segment (RLIMIT_DATA: heap, array buffers and wasm memory),
 *    file size (RLIMIT_FSIZE), open files, processes, no core dumps.
 * 3. `setpriv` (root): uid/gid nobody (65534), no supplementary groups, no new privileges, empty
 *    capability bounding set.
 * 4. Node's permission model: reads only the runtime, the data files, the submission and the working
 *    directory; writes only the working directory; no child processes, worker threads, native addons
 *    or inspector. `--max-old-space-size` caps the JavaScript heap; no eval / new Function.
 * 5. The parent: a wall-clock timer that kills the whole process group, a byte cap on stdout+stderr
 *    (kill on flood), an RSS watchdog, and a clean environment (`env: {}`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { EventReader, type HarnessEvent } from './protocol.js';

export const SANDBOX_UID = 65534;

export interface Limits {
  /** Wall-clock seconds. */
  timeoutS: number;
  /** CPU seconds (RLIMIT_CPU). */
  cpuS: number;
  /** Memory cap in MiB (RLIMIT_DATA; the JS heap gets 3/4 of it). */
  memoryMB: number;
  /** stdout + stderr bytes before the run is stopped. */
  outputBytes: number;
  /** Size of the working directory (tmpfs) and of any one file written, MiB. */
  diskMB: number;
}

export const DEFAULT_LIMITS: Limits = { timeoutS: 120, cpuS: 125, memoryMB: 1024, outputBytes: 1024 * 1024, diskMB: 64 };

export interface Isolation {
  /** unshare --net --mount, tmpfs and read-only remounts work (root). */
  namespaces: boolean;
  /** setpriv to nobody works. */
  dropUser: boolean;
  /** prlimit exists. */
  rlimits: boolean;
  unshare?: string;
  prlimit?: string;
  setpriv?: string;
  /** One line per layer: what is in force, or what is missing and why. */
  notes: string[];
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/bin', '/bin', '/usr/sbin', '/sbin'])) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

let probed: Isolation | undefined;

/** Finds out (once per process) which isolation layers this machine allows. */
export function probeIsolation(scratchDir: string): Isolation {
  if (probed) return probed;
  const iso: Isolation = { namespaces: false, dropUser: false, rlimits: false, notes: [] };
  iso.prlimit = which('prlimit');
  iso.unshare = which('unshare');
  iso.setpriv = which('setpriv');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (iso.prlimit && spawnSync(iso.prlimit, ['--cpu=5', '--', 'true']).status === 0) {
    iso.rlimits = true;
    iso.notes.push('limits: CPU time, memory (RLIMIT_DATA), file size, processes and core dumps set with prlimit');
  } else {
    iso.notes.push('limits: prlimit is not available, so CPU time and memory are only capped by the wall-clock timer, the V8 heap limit and the RSS watchdog');
  }
  if (isRoot && iso.unshare) {
    const probeDir = join(scratchDir, 'probe');
    mkdirSync(probeDir, { recursive: true });
    const [probe, ...probeArgs] = inNamespaces(iso.unshare, 'mount -t tmpfs -o size=1m tmpfs "$1" && mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp', [
      probeDir,
    ]);
    const r = spawnSync(probe!, probeArgs, { encoding: 'utf8' });
    if (r.status === 0) {
      iso.namespaces = true;
      iso.notes.push(
        'network: none (empty network namespace); filesystem: private mount namespace, temp folders read-only, repository and submissions hidden, working directory a size-capped tmpfs',
      );
    } else {
      iso.notes.push(
        `network and filesystem namespaces unavailable (unshare failed: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}); relying on Node's permission model and in-process guards`,
      );
    }
    rmSync(probeDir, { recursive: true, force: true });
  } else {
    iso.notes.push(
      `network and filesystem namespaces unavailable (${isRoot ? 'unshare not found' : 'not running as root'}); relying on Node's permission model and in-process network guards`,
    );
  }
  if (
    isRoot &&
    iso.setpriv &&
    spawnSync(iso.setpriv, [`--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups', '--no-new-privs', '--', 'true']).status === 0
  ) {
    iso.dropUser = true;
    iso.notes.push(`user: nobody (uid ${SANDBOX_UID}), no capabilities, no new privileges`);
  } else {
    iso.notes.push("user: the submission runs as the grader's own user (setpriv unavailable or not root)");
  }
  iso.notes.push('node: permission model (reads: runtime, data, submission, working dir; writes: working dir; no child processes, workers, addons), no eval');
  probed = iso;
  return iso;
}

export interface SandboxSpec {
  node: string;
  harness: string;
  /** Folders/files the child may read (besides its working directory). */
  readPaths: string[];
  /** The child's working directory (created by the caller, empty). */
  workDir: string;
  /** Paths hidden from the child by an empty tmpfs (namespaces only). */
  hidePaths: string[];
  limits: Limits;
  isolation: Isolation;
  /** Written to fd 3 after the key. */
  configJson: string;
  /** The channel key (KEY_BYTES random bytes), written to fd 3 first. */
  key: Buffer;
  /** Called for each authenticated event as it arrives. */
  onEvent?: (e: HarnessEvent) => void;
}

export interface SandboxRun {
  exitCode: number | null;
  signal: string | null;
  /** Why the parent stopped the child, if it did. */
  killedFor?: 'timeout' | 'output' | 'memory' | 'after-result';
  wallS: number;
  peakRssMB: number;
  stdout: string;
  stderr: string;
  outputBytes: number;
  events: HarnessEvent[];
  forged: number;
  forgedSample: string;
  /** The exact command line (for the record). */
  command: string[];
  /** Processes of the group still alive after cleanup (should be 0). */
  leaked: number;
}

/**
 * `script` (with `args` as $1…) run by sh in a new network and mount namespace. One builder for the
 * probes and the real sandbox, so what is probed is what runs.
 */
function inNamespaces(unshare: string, script: string, args: string[]): string[] {
  return [unshare, '--net', '--mount', '--', '/bin/sh', '-c', script, 'sh', ...args];
}

const SETUP_SCRIPT = `set -e
work="$1"; size="$2"; n="$3"; shift 3
for d in /tmp /var/tmp /dev/shm /run/lock; do
  if [ -d "$d" ]; then mount --bind "$d" "$d" && mount -o remount,bind,ro "$d"; fi
done
mount -t tmpfs -o "size=\${size}m,mode=0700,uid=${SANDBOX_UID},gid=${SANDBOX_UID}" tmpfs "$work"
while [ "$n" -gt 0 ]; do
  mount -t tmpfs -o ro,size=4k,mode=0555 tmpfs "$1"; shift; n=$((n - 1))
done
cd "$work"
shift
# sh's cd set PWD and OLDPWD: the child gets no environment at all
exec /usr/bin/env -i "$@"`;

/**
 * The folders that can really be hidden on this machine: the whole setup is tried once with all of
 * them (in a throwaway namespace), and if that fails, one by one, keeping those that work.
 */
export function setupWorks(iso: Isolation, scratchDir: string, hide: string[]): string[] {
  if (!iso.namespaces || !iso.unshare) return [];
  const work = join(scratchDir, 'setup-probe');
  mkdirSync(work, { recursive: true });
  const attempt = (paths: string[]) => {
    const [unshare, ...args] = inNamespaces(iso.unshare!, SETUP_SCRIPT, [work, '1', String(paths.length), ...paths, '--', '/bin/true']);
    return spawnSync(unshare!, args, { stdio: 'ignore' }).status === 0;
  };
  try {
    if (attempt(hide)) return hide;
    const ok = hide.filter((p) => attempt([p]));
    const note = `could not hide ${hide.filter((p) => !ok.includes(p)).join(', ')} in the sandbox's mount namespace (Node's permission model still denies reading it)`;
    if (!iso.notes.includes(note)) iso.notes.push(note);
    return ok;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Whether `node` starts with these flags (a bad option exits 9 before any code runs). */
export type NodeProbe = (args: string[]) => boolean;

export function nodeProbe(node: string): NodeProbe {
  return (args) => spawnSync(node, [...args, '-e', '0'], { stdio: 'ignore', env: {}, timeout: 20_000 }).status === 0;
}

export interface NodeFlags {
  /** `--permission` (Node ≥ 22.13 / 23.5) or `--experimental-permission` (Node 20–22). */
  permission: string;
  /** `--disable-warning` exists (Node ≥ 20.11). */
  disableWarning: boolean;
}

/**
 * The permission model's flag by capability, not by version number: Node renamed
 * `--experimental-permission` to `--permission`, and a Node that does not know a flag refuses to start.
 */
export function chooseNodeFlags(accepts: NodeProbe): NodeFlags {
  const permission = ['--permission', '--experimental-permission'].find((f) => accepts([f]));
  if (!permission)
    throw new Error('this Node has no permission model (neither --permission nor --experimental-permission is accepted); the grader needs Node ≥ 20');
  return { permission, disableWarning: accepts([permission, '--disable-warning=ExperimentalWarning']) };
}

const flagCache = new Map<string, NodeFlags>();
export function nodeFlags(node: string): NodeFlags {
  let f = flagCache.get(node);
  if (!f) flagCache.set(node, (f = chooseNodeFlags(nodeProbe(node))));
  return f;
}

/** The command line for one sandboxed run. */
export function sandboxCommand(spec: SandboxSpec): string[] {
  const { limits, isolation: iso } = spec;
  const heapMB = Math.max(64, Math.floor(limits.memoryMB * 0.75));
  const flags = nodeFlags(spec.node);
  const nodeArgs = [
    spec.node,
    flags.permission,
    // Node decides whether a grant is a folder (and so covers the files in it) by stat-ing it at start-up
    // as the sandbox user: the caller makes the working folder reachable for that user (see grade.ts).
    // (Granting both `dir` and `dir/*` aborts Node 20 in its permission tree, so one grant each.)
    ...[...spec.readPaths, spec.workDir].map((p) => `--allow-fs-read=${p}`),
    `--allow-fs-write=${spec.workDir}`,
    ...(flags.disableWarning ? ['--disable-warning=ExperimentalWarning'] : []),
    `--max-old-space-size=${heapMB}`,
    '--enable-source-maps',
    // no eval / new Function: the code that runs is the code the parent compiled and analysed
    '--disallow-code-generation-from-strings',
    '--stack-size=984',
    spec.harness,
  ];
  let cmd = nodeArgs;
  if (iso.dropUser && iso.setpriv) {
    cmd = [
      iso.setpriv,
      `--reuid=${SANDBOX_UID}`,
      `--regid=${SANDBOX_UID}`,
      '--clear-groups',
      '--no-new-privs',
      '--bounding-set=-all',
      '--inh-caps=-all',
      '--',
      ...cmd,
    ];
  }
  if (iso.rlimits && iso.prlimit) {
    const mem = limits.memoryMB * 1024 * 1024;
    cmd = [
      iso.prlimit,
      `--cpu=${limits.cpuS}:${limits.cpuS + 1}`,
      `--data=${mem}:${mem}`,
      `--fsize=${limits.diskMB * 1024 * 1024}`,
      '--core=0',
      '--nofile=256',
      '--nproc=512',
      '--',
      ...cmd,
    ];
  }
  if (iso.namespaces && iso.unshare) {
    cmd = inNamespaces(iso.unshare, SETUP_SCRIPT, [spec.workDir, String(limits.diskMB), String(spec.hidePaths.length), ...spec.hidePaths, '--', ...cmd]);
  }
  return cmd;
}

/** Pids whose process group is `pgid`. */
export function processGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const KEEP_OUTPUT = 64 * 1024;

/** Spawns the child, feeds it the config, collects events and output, and enforces the limits. */
export function runSandbox(spec: SandboxSpec): Promise<SandboxRun> {
  const command = sandboxCommand(spec);
  const started = performance.now();
  return new Promise((resolvePromise) => {
    const child = spawn(command[0], command.slice(1), {
      cwd: spec.workDir,
      env: {},
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    const pid = child.pid ?? -1;
    const run: SandboxRun = {
      exitCode: null,
      signal: null,
      wallS: 0,
      peakRssMB: 0,
      stdout: '',
      stderr: '',
      outputBytes: 0,
      events: [],
      forged: 0,
      forgedSample: '',
      command,
      leaked: 0,
    };
    let resultAt = 0;
    const reader = new EventReader(spec.key, (e) => {
      spec.onEvent?.(e);
      if (e.type === 'result' && !resultAt) {
        resultAt = performance.now();
        setTimeout(() => kill('after-result'), 3000).unref();
      }
    });
    const kill = (why: SandboxRun['killedFor']) => {
      if (run.killedFor === undefined && why) run.killedFor = why;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const outChunks: Record<'stdout' | 'stderr', { head: string; tail: string; bytes: number; decoder: StringDecoder }> = {
      stdout: { head: '', tail: '', bytes: 0, decoder: new StringDecoder('utf8') },
      stderr: { head: '', tail: '', bytes: 0, decoder: new StringDecoder('utf8') },
    };
    const collect = (which: 'stdout' | 'stderr') => (chunk: Buffer) => {
      run.outputBytes += chunk.length;
      const c = outChunks[which];
      c.bytes += chunk.length;
      const text = c.decoder.write(chunk);
      if (c.head.length < KEEP_OUTPUT) c.head += text.slice(0, KEEP_OUTPUT - c.head.length);
      else c.tail = (c.tail + text).slice(-KEEP_OUTPUT);
      if (run.outputBytes > spec.limits.outputBytes) kill('output');
    };
    child.stdout!.on('data', collect('stdout'));
    child.stderr!.on('data', collect('stderr'));
    const configPipe = child.stdio[3] as NodeJS.WritableStream & { on: (e: string, f: () => void) => void };
    const eventPipe = child.stdio[4] as NodeJS.ReadableStream;
    configPipe.on('error', () => {});
    eventPipe.on('error', () => {});
    configPipe.end(Buffer.concat([spec.key, Buffer.from(spec.configJson, 'utf8')]));
    eventPipe.on('data', (chunk: Buffer) => reader.push(chunk));

    const timer = setTimeout(() => kill('timeout'), spec.limits.timeoutS * 1000);
    const watchdog = setInterval(() => {
      const rss = rssMB(pid);
      if (rss > run.peakRssMB) run.peakRssMB = rss;
      if (rss > spec.limits.memoryMB * 1.25 + 64) kill('memory');
    }, 200);

    let exited = false;
    let closed = 0;
    let resolved = false;
    const done = () => {
      if (resolved || !exited || closed < 3) return;
      resolved = true;
      clearTimeout(timer);
      clearInterval(watchdog);
      reader.end();
      kill(undefined); // anything left in the group
      const left = processGroupMembers(pid);
      run.leaked = left.length;
      run.wallS = (performance.now() - started) / 1000;
      const join2 = (c: { head: string; tail: string; bytes: number }) =>
        c.tail ? `${c.head}\n… [${c.bytes - c.head.length - c.tail.length} bytes not kept] …\n${c.tail}` : c.head;
      run.stdout = join2(outChunks.stdout);
      run.stderr = run.stderr ? `${run.stderr}\n${join2(outChunks.stderr)}` : join2(outChunks.stderr);
      run.events = reader.events;
      run.forged = reader.forged;
      run.forgedSample = reader.forgedSample;
      resolvePromise(run);
    };
    // 'close' of each stream, not of the process: a grandchild holding a pipe open must not hang us.
    for (const s of [child.stdout!, child.stderr!, eventPipe]) {
      s.on('close', () => {
        closed++;
        done();
      });
    }
    // spawn itself failed (no such program, too many processes): there will be no 'exit' event
    child.on('error', (e) => {
      if (exited) return;
      run.stderr = `could not start the sandbox: ${e.message}`;
      exited = true;
      setTimeout(() => {
        closed = 3;
        done();
      }, 200).unref();
      done();
    });
    child.on('exit', (code, signal) => {
      run.exitCode = code;
      run.signal = signal;
      exited = true;
      // The group may still hold the pipes: kill it, and stop waiting after a moment.
      kill(undefined);
      setTimeout(() => {
        closed = 3;
        done();
      }, 2000).unref();
      done();
    });
  });
}
