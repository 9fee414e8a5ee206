#!/usr/bin/env node
import { runProgram } from '../app/cli/grammar';
/** The `cellrig` command: the command tree is app/cli/program.ts; each command loads when it runs. */
import { buildProgram } from '../app/cli/program';

runProgram(buildProgram(), process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`cellrig: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
