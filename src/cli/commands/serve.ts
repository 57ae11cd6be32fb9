/** `normlab serve`: the lab in the browser, on http://127.0.0.1:<port>/ until Ctrl-C. */
import { InvalidArgumentError, type Command } from 'commander';
import { checkDataDir } from '../../data/locate.js';
import { NormlabError } from '../../errors.js';
import { isLoopback, parseHost } from '../../server/host.js';
import { appIsBuilt, defaultAppDir, startServer, type RunningServer } from '../../server/index.js';
import { integer } from '../options.js';
import { note } from '../output.js';

interface ServeFlags {
  port: number;
  host: string;
  dataDir?: string;
  study?: string;
}

function hostFlag(value: string): string {
  const host = parseHost(value);
  if (!host) throw new InvalidArgumentError('expected an IP address (127.0.0.1, ::1, or 0.0.0.0 for every interface) or localhost.');
  return host;
}

/** The listen error as a learner can act on it. */
function listenError(error: unknown, flags: ServeFlags): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${flags.host} port ${flags.port}`;
  if (code === 'EADDRINUSE')
    return new NormlabError(
      'flag',
      `${where} is already in use (another normlab serve, or another server).`,
      'pass another --port, or --port 0 for any free port',
    );
  if (code === 'EACCES')
    return new NormlabError('flag', `not allowed to listen on ${where}.`, 'ports below 1024 need privileges: pass --port 8080, or --port 0 for any free port');
  if (code === 'EADDRNOTAVAIL')
    return new NormlabError(
      'flag',
      `--host ${flags.host} is not an address of this machine.`,
      'use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)',
    );
  return error;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the browser lab (live side-by-side training, sigmoid explorer, report) on localhost')
    .option('--port <n>', 'TCP port (0 = any free port)', integer(0, 65535), 8080)
    .option('--host <address>', 'address to listen on; 0.0.0.0 opens the lab to your network', hostFlag, '127.0.0.1')
    .option('--data-dir <dir>', 'directory holding the dataset files (also: NORMLAB_DATA_DIR)')
    .option('--study <file>', "the why.json the report view opens as 'the last study'", 'why.json')
    .action(async (flags: ServeFlags) => {
      if (flags.dataDir !== undefined) checkDataDir(flags.dataDir);
      const appDir = defaultAppDir();
      if (!appIsBuilt(appDir)) {
        throw new NormlabError(
          'not-built',
          `the web app is not built: ${appDir} has no index.html.`,
          'run `npm run build` (or just `npm run build:web`) in the normlab checkout, then start normlab serve again',
        );
      }
      let running: RunningServer;
      try {
        running = await startServer({ port: flags.port, host: flags.host, dataDir: flags.dataDir, studyFile: flags.study, appDir });
      } catch (error) {
        throw listenError(error, flags);
      }
      if (!isLoopback(flags.host))
        note(
          `note: listening on ${flags.host}: anyone who can reach this machine on port ${running.port} can use the lab and download the dataset files it serves.`,
        );
      process.stdout.write(`normlab lab: ${running.url}\n`);
      note('Press Ctrl-C to stop.');
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          note('normlab serve: stopping…');
          running.close().then(done, done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
