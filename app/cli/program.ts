/**
 * The `cellrig` command tree. Each command module is loaded only when its command runs; every command
 * registers itself on the grammar (app/cli/grammar.ts) with `register(parent)`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { register as registerBridge } from './bridge';
import { register as registerCalibrate } from './calibrate';
import { register as registerCells } from './cells';
import { register as registerEdge } from './edge';
import { register as registerEis } from './eis';
import { withConventions } from './grammar';
import { register as registerHashPassword } from './hash-password';
import { register as registerHealth } from './health';
import { register as registerInstall } from './install';
import { register as registerProbe } from './probe';
import { register as registerSim } from './sim';
import { register as registerStart } from './start';
import { register as registerVirtualBoard } from './virtual-board';
import { register as registerWatch } from './watch';

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
  registerInstall(program);
  registerVirtualBoard(program);
  return program;
}
