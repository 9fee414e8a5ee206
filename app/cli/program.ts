/**
 * The `cellrig` command tree. Each command module is loaded only when its command runs. Commands still
 * on their own argument parsing ("legacy": they take argv and print their own usage) are passed their
 * arguments untouched until they move onto the grammar (app/cli/grammar.ts); new commands register
 * there with `register(parent)`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { register as registerBridge } from './bridge';
import { register as registerCalibrate } from './calibrate';
import { register as registerCells } from './cells';
import { register as registerEdge } from './edge';
import { register as registerEis } from './eis';
import { onRun, withConventions } from './grammar';
import { register as registerHashPassword } from './hash-password';
import { register as registerHealth } from './health';
import { register as registerProbe } from './probe';
import { register as registerSim } from './sim';
import { register as registerStart } from './start';
import { register as registerVirtualBoard } from './virtual-board';
import { register as registerWatch } from './watch';

type Legacy = { main(argv: string[]): Promise<number> };

/** A command that parses its own arguments: everything after its name is handed to its main(). */
function legacy(program: Command, name: string, description: string, load: () => Promise<Legacy>): void {
  const cmd = program
    .command(name)
    .description(description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]');
  onRun(cmd, async (args: string[]) => (await load()).main(args));
}

/** The version in cellrig's package.json, the nearest one above this file (built or not). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = withConventions(new Command('cellrig'))
    .description(
      'The edge companion for solid-state battery cell test rigs: Node-RED nodes, a simulated rig,\n' +
        'control, telemetry and impedance analysis.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .helpCommand('help [command]', 'print the help of a command');

  registerStart(program);
  registerBridge(program);
  registerEdge(program);
  registerHashPassword(program);
  registerSim(program);
  registerEis(program);
  registerCells(program);
  registerWatch(program);
  registerHealth(program);
  registerProbe(program);
  registerCalibrate(program);
  registerVirtualBoard(program);
  return program;
}
