#!/usr/bin/env node
/**
 * The `normlab` command. A thin shell: parse and validate flags, call lab/report code, render.
 * Each subcommand lives in commands/<name>.ts and registers itself here.
 */
import { Command, CommanderError } from 'commander';
import '../node.js';
import { backendNames } from '../engine/backends/registry.js';
import { registerAssignment } from './commands/assignment.js';
import { registerExercise } from './commands/exercise.js';
import { registerGrade } from './commands/grade.js';
import { registerServe } from './commands/serve.js';
import { registerTrain } from './commands/train.js';
import { registerWhy } from './commands/why.js';
import { reportError } from './output.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('normlab')
    .description('Train small networks fast on real datasets and measure why input normalization matters')
    .showSuggestionAfterError(true)
    // `grade` has options of its own and subcommands with options of the same name (`grade --redis` and
    // `grade worker --redis`): options then belong to the command they follow.
    .enablePositionalOptions()
    .exitOverride();
  const backends = backendNames();
  registerTrain(program, backends);
  registerServe(program);
  registerWhy(program, backends);
  registerExercise(program, backends);
  registerGrade(program, backends);
  registerAssignment(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return reportError(error);
  }
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
