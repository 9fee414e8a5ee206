/**
 * `cellrig virtual-board`: the virtual StandardFirmata board (an Arduino Mega 2560 with the simulated rig
 * on its pins and I2C bus) on a pty pair, on the real clock, until Ctrl-C. Point a rig's serial port at
 * the printed path (`RIG_BACKEND=firmata RIG_SERIAL_PORT=... cellrig start`) to run the real serial path
 * without hardware.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, numberIn, onRun, subcommand } from './grammar';

export function register(program: Command): void {
  const cmd = subcommand(
    program,
    'virtual-board',
    'run a virtual StandardFirmata board (Mega 2560, simulated rig) on a pty, for backend: firmata',
  )
    .option('--dir <folder>', 'where the pty links go (the host end is <folder>/ttyFIRMATA)', '.cellrig/pty')
    .option('--seed <n>', 'seed of the simulated rig', numberIn({ min: 0, integer: true }), 1)
    .addHelpText(
      'after',
      '\nExample:\n' +
        '  cellrig virtual-board --dir /tmp/rig &\n' +
        '  RIG_BACKEND=firmata RIG_SERIAL_PORT=/tmp/rig/ttyFIRMATA cellrig start\n' +
        'Needs socat (apt-get install socat). Exit codes: 0 stopped by Ctrl-C, 1 no pty could be made.',
    );
  onRun(cmd, async (opts: { dir: string; seed: number }) => {
    const dir = resolve(opts.dir);
    mkdirSync(dirname(dir), { recursive: true });
    mkdirSync(dir, { recursive: true });
    const { openPtyPair } = await import('../../devices/sim/firmata/pty-pair.js');
    const { serveVirtualBoard } = await import('../../devices/sim/firmata/serve.js');
    const { SimRig } = await import('../../devices/sim/sim-rig.js');
    const { RealClock } = await import('../../src/clock.js');
    const clock = new RealClock();
    const pty = await openPtyPair(dir);
    const sim = new SimRig(clock, { seed: opts.seed, loadCellPorts: [0, 1, 2, 3, 4, 5, 6, 7] });
    const served = await serveVirtualBoard(pty.boardPath, sim, clock);
    process.stdout.write(`virtual StandardFirmata 2.5 board (Mega 2560) on ${pty.hostPath}\n`);
    await new Promise<void>((done) => {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    });
    served.board.powerOff();
    await served.close();
    await pty.close();
    return EXIT.ok;
  });
}
