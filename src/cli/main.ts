#!/usr/bin/env node
/**
 * The `normlab` command. A thin shell: parse and validate flags, call lab/report code, render.
 * Each subcommand lives in commands/<name>.ts and registers itself here.
 */
import { Command, CommanderError } from 'commander';
import { registerNodeBackends } from '../node.js';
import { registerNodeModelFiles } from '../node-files.js';
import { backendNames } from '../engine/backends/registry.js';
import { registerAssignment } from './commands/assignment.js';
import { registerExercise } from './commands/exercise.js';
import { registerGrade } from './commands/grade.js';
import { registerServe } from './commands/serve.js';
import { registerSite } from './commands/site.js';
import { registerTrain } from './commands/train.js';
import { registerWhy } from './commands/why.js';
import { reportError } from './output.js';
import { NormlabError } from '../errors.js';

export function buildProgram(): Command {
  registerNodeBackends();
  registerNodeModelFiles();
  const program = new Command();
  program
    .name('normlab')
    .description('Train small networks fast on real datasets and measure why input normalization matters')
    .showSuggestionAfterError(true)
    // `grade` has options of its own and subcommands with options of the same name (`grade --redis` and
    // `grade worker --redis`): options then belong to the command they follow.
    .enablePositionalOptions()
    // Commander's own errors are printed by main() in normlab's form; subcommands inherit this.
    .configureOutput({ outputError: () => {} })
    .exitOverride();
  const backends = backendNames();
  registerTrain(program, backends);
  registerServe(program);
  registerSite(program);
  registerWhy(program, backends);
  registerExercise(program, backends);
  registerGrade(program, backends);
  registerAssignment(program);
  return program;
}

/**
 * A commander error ("error: option '--epochs <n>' argument '0' is invalid. expected …", "error: unknown
 * option '--epoch'\n(Did you mean --epochs?)") as a NormlabError, so every flag error reads
 * `normlab: error: … Try: normlab <command> --help`.
 */
function flagError(error: CommanderError, program: Command, argv: string[]): NormlabError {
  const [first, ...rest] = error.message.replace(/^error: /, '').split('\n');
  const suggestion = rest.join(' ').replace(/^\(Did you mean (.*)\?\)$/, 'did you mean $1?');
  const command = program.commands.find((c) => c.name() === argv[0]);
  const help = command ? `normlab ${command.name()} --help` : 'normlab --help';
  const what = command ? 'its flags and their ranges' : 'the commands';
  return new NormlabError(
    'flag',
    first.replace(/\. (expected)/, ': $1').replace(/\.$/, ''),
    suggestion ? `${suggestion} (${help} lists ${what})` : `${help} lists ${what}`,
  );
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode !== 0) reportError(flagError(error, program, argv));
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(error);
  }
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
