/**
 * Shared by the browser e2e tests and bench/web-epoch.ts: make sure the web app is built and current,
 * start `normlab serve --port 0` from source, and launch Debian's Chromium through playwright-core.
 * Everything started here is stopped by the returned `close()` functions (and on process exit), so a
 * failed test leaves no server or browser behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.NORMLAB_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots and timings, kept by CI as artefacts. */
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'web');

/** As the project launches Debian's Chromium everywhere (no sandbox: CI runs as root in a container). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Why the built app is out of date, or null when web-dist/ is newer than everything it is built from. */
export function webBuildStaleness(): string | null {
  const built = join(ROOT, 'web-dist', 'index.html');
  if (!existsSync(built)) return 'web-dist/ is missing';
  const builtAt = statSync(built).mtimeMs;
  for (const input of ['web/index.html', 'web/vite.config.ts', 'web/src', 'src', 'build/normlab.wasm', 'package-lock.json']) {
    if (newestMtime(join(ROOT, input)) > builtAt) return `${input} changed since the last build`;
  }
  return null;
}

/** Why build/normlab.wasm is out of date, or null when it is newer than its AssemblyScript sources. */
export function wasmBuildStaleness(): string | null {
  const wasm = join(ROOT, 'build', 'normlab.wasm');
  if (!existsSync(wasm)) return 'build/normlab.wasm is missing';
  return newestMtime(join(ROOT, 'src/engine/backends/wasm/assembly')) > statSync(wasm).mtimeMs ? 'the wasm kernels changed since the last build' : null;
}

/**
 * Build what the browser tests need when it is missing or stale: the wasm kernels (`npm run build:wasm`),
 * then the app (`npm run build:web`: typecheck + vite). In CI `npm install` has built both already.
 * Throws with the build output on failure.
 */
export function ensureWebBuild(log: (line: string) => void = () => {}): void {
  const steps: [string, string | null][] = [['build:wasm', wasmBuildStaleness()]];
  steps.push(['build:web', steps[0][1] ?? webBuildStaleness()]);
  for (const [script, reason] of steps) {
    if (!reason) continue;
    log(`npm run ${script} (${reason})`);
    const result = spawnSync('npm', ['run', '--silent', script], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.status !== 0) throw new Error(`npm run ${script} failed:\n${result.stdout}\n${result.stderr}`);
  }
}

export interface ServerHandle {
  url: string;
  process: ChildProcess;
  stderr: () => string;
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** `node --import tsx src/cli/main.ts serve --port 0 …`; resolves once it printed its URL. */
export async function startServe(extraArgs: string[] = []): Promise<ServerHandle> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`normlab serve printed no URL within 30 s\n${stdout}\n${stderr}`)), 30_000);
    child.stdout!.on('data', (d) => {
      stdout += String(d);
      const match = /normlab lab: (http:\/\/\S+\/)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`normlab serve exited with ${code}\n${stdout}\n${stderr}`));
    });
  });
  return {
    url,
    process: child,
    stderr: () => stderr,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          live.delete(child);
          resolve();
          return;
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          live.delete(child);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Wait until the page has drawn `count` more animation frames: what "the charts had time to paint" means,
 * as an event rather than a fixed number of milliseconds (which a busy machine can overrun).
 */
export async function animationFrames(page: Page, count = 2): Promise<void> {
  // no named functions inside: tsx wraps those in a __name() helper the page does not have
  await page.evaluate(async (n) => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => requestAnimationFrame(resolve));
  }, count);
}

/**
 * Debian's Chromium, headless. `lanHost`: a made-up host name that resolves to 127.0.0.1, so a local
 * server can also be opened the way a LAN or intranet address is — plain http that the browser does not
 * count as a secure context (no WebCrypto, no Cache Storage, no service workers), unlike localhost.
 */
export async function launchChromium(options: { lanHost?: string } = {}): Promise<Browser> {
  const args = options.lanHost ? [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${options.lanHost} 127.0.0.1`] : CHROMIUM_ARGS;
  return chromium.launch({ executablePath: CHROMIUM, args, headless: true });
}

/**
 * Why the browser tests cannot run here, or null when they can. Only a missing Chromium skips them (CI
 * installs it through .ci/run), besides Fashion-MNIST's absence, which every test needing it skips on
 * (NO_FASHION, ../shared-data.ts); anything else that is wrong makes them fail, with the reason.
 */
export function browserTestBlocker(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (Debian: apt-get install chromium; or set NORMLAB_CHROMIUM)`;
  return null;
}

/**
 * Run `normlab why --quick` into `outDir` (why.json only), for the report view's test. Uses the CLI
 * when `why` is registered there, else the command's own module (same code, same output).
 */
export function makeQuickStudy(outDir: string): string {
  const args = ['why', '--quick', '--no-html', '--workers', '1', '--out', outDir];
  let result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0 && /unknown command 'why'/.test(result.stderr)) {
    const code = [
      "import { Command } from 'commander';",
      "import './src/node.ts';",
      "import { registerWhy } from './src/cli/commands/why.ts';",
      "import { backendNames } from './src/engine/backends/registry.ts';",
      'const program = new Command().exitOverride();',
      'registerWhy(program, backendNames());',
      `await program.parseAsync(${JSON.stringify(args)}, { from: 'user' });`,
    ].join('\n');
    result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  }
  if (result.status !== 0) throw new Error(`normlab why --quick failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  const file = join(outDir, 'why.json');
  if (!existsSync(file)) throw new Error(`normlab why --quick wrote no ${file}`);
  return file;
}
