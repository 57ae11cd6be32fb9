/** `normlab serve`: the lab in the browser, on http://127.0.0.1:<port>/ until Ctrl-C. */
import type { Command } from 'commander';
import { checkDataDir } from '../../data/locate.js';
import { NormlabError } from '../../errors.js';
import { startServer } from '../../server/index.js';
import { integer } from '../options.js';
import { note } from '../output.js';

interface ServeFlags {
  port: number;
  dataDir?: string;
  study?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the browser lab (live side-by-side training, sigmoid explorer, report) on localhost')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0 = any free port)', integer(0, 65535), 8080)
    .option('--data-dir <dir>', 'directory holding the dataset files (also: NORMLAB_DATA_DIR)')
    .option('--study <file>', "the why.json the report view opens as 'the last study'", 'why.json')
    .action(async (flags: ServeFlags) => {
      if (flags.dataDir !== undefined) checkDataDir(flags.dataDir);
      let running;
      try {
        running = await startServer({ port: flags.port, dataDir: flags.dataDir, studyFile: flags.study });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new NormlabError('flag', `port ${flags.port} on 127.0.0.1 is already in use`, 'pass another --port, or --port 0 for any free port');
        if (code === 'EACCES') throw new NormlabError('flag', `not allowed to listen on port ${flags.port}`, 'ports below 1024 need privileges: pass --port 8080, or --port 0 for any free port');
        throw error;
      }
      if (!running.appBuilt) note(`note: the web app is not built (${running.appDir} is missing); run \`npm run build:web\` in the normlab checkout`);
      process.stdout.write(`normlab lab: ${running.url}\n`);
      note('Press Ctrl-C to stop.');
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          running.close().then(done, done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
