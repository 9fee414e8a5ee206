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
    .option(
      '--install-into <data>',
      "write this board's installation record (reference limits, ch1-ch3's load cells as built) into a data folder",
    )
    .option('--rig <id>', 'the rig id of that record', process.env.RIG_ID ?? 'rig01')
    .addHelpText(
      'after',
      '\nExample:\n' +
        '  cellrig virtual-board --dir /tmp/rig --install-into /tmp/rig-data &\n' +
        '  RIG_BACKEND=firmata RIG_SERIAL_PORT=/tmp/rig/ttyFIRMATA CELLRIG_DATA=/tmp/rig-data cellrig start\n' +
        'A real backend runs its presses only with an installation record; a real rig gets it from cellrig\n' +
        'install hardware and cellrig calibrate, this board (whose presses start loaded) from --install-into.\n' +
        'Needs socat (apt-get install socat). Exit codes: 0 stopped by Ctrl-C, 1 no pty could be made.',
    );
  onRun(cmd, async (opts: { dir: string; seed: number; installInto?: string; rig: string }) => {
    if (opts.installInto !== undefined) await installVirtualBoard(resolve(opts.installInto), opts.rig);
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

/**
 * The record a technician's install would leave on a rig built like this board: the reference rig's
 * limits and ch1-ch3 (mux ports 0-2) with the simulated load cells' zero and span as built. The board's
 * presses start under load, so `cellrig calibrate` (press released) cannot run against it.
 */
async function installVirtualBoard(dataDir: string, rigId: string): Promise<void> {
  const { RigInstallation } = await import('../../devices/rig-installation.js');
  const { simChannelAsBuilt } = await import('../../devices/sim/sim-rig.js');
  const { REFERENCE_RIG } = await import('../../src/rig/hardware-limits.js');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const inst = RigInstallation.open({ dataDir, rigId, backend: 'firmata' });
  inst.setHardware(REFERENCE_RIG, 'virtual-board: the reference rig (REFERENCE_RIG)');
  for (const [channel, port] of [
    ['ch1', 0],
    ['ch2', 1],
    ['ch3', 2],
  ] as const) {
    const built = simChannelAsBuilt(port);
    if (!built) throw new Error(`the simulated rig has no load cell behind mux port ${port}`);
    inst.installChannel(
      channel,
      built,
      'sim-seed',
      `virtual-board: the simulated load cell behind mux port ${port}, as built`,
    );
  }
  process.stdout.write(`installation record for ${rigId} (virtual board) in ${inst.file}\n`);
}
