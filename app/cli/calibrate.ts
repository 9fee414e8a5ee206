/**
 * `cellrig calibrate`: a stack load cell's two-point calibration (devices/calibration-procedure.ts),
 * installed in the rig's installation record (devices/rig-installation.ts: what the safety layer judges by)
 * and written into the rig's flow file as that channel's stack-pressure settings (Zero, Span), so the next
 * start deploys what was installed. The board comes from the channel's rig node unless given here. It holds
 * the data folder's lock: with `cellrig start` running it refuses (the serial port is opened by one program
 * at a time, and a running Node-RED would write its own copy of the flows back).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { roundSpan } from '../../src/rig/installation';
import { EXIT, numberIn, onRun, subcommand, UsageError } from './grammar';
import { dataFolder, findChannel, flowFileIn, fromEnv, lockForWrite, rigIdOf } from './rig-folder';

export { findChannel };

/** Writes the new zero and span into the node, keeping the previous file as <file>.bak. */
export function writeCalibration(
  file: string,
  channel: string,
  cal: { zeroCounts: number; countsPerN: number },
) {
  const { flows, node } = findChannel(file, channel);
  const before = { zeroCounts: Number(node.zeroCounts), countsPerN: Number(node.countsPerN) };
  node.zeroCounts = Math.round(cal.zeroCounts);
  node.countsPerN = roundSpan(cal.countsPerN);
  writeFileSync(`${file}.bak`, readFileSync(file));
  writeFileSync(`${file}.tmp`, `${JSON.stringify(flows, null, 4)}\n`);
  renameSync(`${file}.tmp`, file);
  return { before, after: { zeroCounts: node.zeroCounts as number, countsPerN: node.countsPerN as number } };
}

type Opts = {
  channel: string;
  data?: string;
  flows?: string;
  rig?: string;
  knownN?: number;
  reference?: boolean;
  backend?: string;
  port?: string;
  seed: number;
};

export function register(program: Command): void {
  const cmd = subcommand(
    program,
    'calibrate',
    "calibrate a channel's load cell, install it and write it into the rig's flows",
  )
    .requiredOption('--channel <id>', 'the channel, as its stack-pressure node names it (e.g. ch1)')
    .option('--data <dir>', 'the data folder (default: $CELLRIG_DATA, else ./.cellrig)')
    .option('--flows <file>', 'the flow file (default: <data>/flows.json)')
    .option('--rig <id>', "the rig's id (default: the channel's rig node's, else $RIG_ID, else rig01)")
    .option(
      '--known-n <newton>',
      'the known load, N (calibration weights)',
      numberIn({ min: 1, max: 1e6, unit: 'N' }),
    )
    .option('--reference', 'no known weights: type the reference cell reading when asked')
    .option('--backend <name>', "sim | firmata | linux (default: the channel's rig node)")
    .option('--port <path>', "Firmata serial port (default: the rig node's)")
    .option('--seed <n>', 'seed of the simulated rig', numberIn({ min: 0, integer: true }), 1)
    .addHelpText(
      'after',
      '\nWith cellrig start stopped:\n' +
        '  cellrig calibrate --channel ch1 --known-n 4903      (500 kg of weights: 4903 N)\n' +
        '  cellrig calibrate --channel ch2 --reference          (press until the reference cell reads a value)\n' +
        'A real rig needs its hardware limits installed first (cellrig install hardware).\n' +
        'Exit codes: 0 installed and written, 1 the board or cell not available, or cellrig running,\n' +
        '2 bad option or channel, 4 refused by the safety rules, an unsteady reading, or no usable\n' +
        'installation record (nothing written).\n',
    );
  onRun(cmd, async (opts: Opts) => {
    if ((opts.knownN === undefined) === !opts.reference)
      throw new UsageError('give either --known-n N or --reference');
    const data = dataFolder(opts.data);
    const file = flowFileIn(data, opts.flows);
    const { node, rig } = findChannel(file, opts.channel);
    const { openRigHardware } = await import('../../devices/board.js');
    const { calibrateAndInstall, CalibrationError } = await import('../../devices/calibration-procedure.js');
    const { RigInstallation } = await import('../../devices/rig-installation.js');
    const { rigConfigSchema, describeZodError } = await import('../../src/rig/config.js');
    const { configFrom, stackPressureConfigSchema } = await import('../../nodes/stack-pressure/config.js');
    const { RealClock } = await import('../../src/clock.js');
    const parsed = stackPressureConfigSchema.safeParse(configFrom(node));
    if (!parsed.success)
      throw new UsageError(describeZodError(parsed.error, `${file}: channel ${opts.channel}`));
    const ch = parsed.data;
    const config = rigConfigSchema.safeParse({
      rigId: rigIdOf(opts.rig, rig),
      backend: opts.backend ?? fromEnv(rig?.backend) ?? 'sim',
      serialPort: opts.port ?? fromEnv(rig?.serialPort),
      seed: opts.seed,
    });
    if (!config.success) throw new UsageError(describeZodError(config.error, 'calibrate'));
    const lock = lockForWrite(data, 'cellrig calibrate');
    const clock = new RealClock();
    try {
      const installation = RigInstallation.open({
        dataDir: data,
        rigId: config.data.rigId,
        backend: config.data.backend,
      });
      const record = installation.record;
      if (!record) {
        process.stderr.write(`cellrig calibrate: ${installation.refusal}; nothing written\n`);
        return 4;
      }
      let hw: Awaited<ReturnType<typeof openRigHardware>>;
      try {
        hw = await openRigHardware(config.data, clock);
      } catch (err) {
        process.stderr.write(`cellrig calibrate: ${(err as Error).message}\n`);
        return EXIT.failure;
      }
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const log = (l: string) => process.stdout.write(`${l}\n`);
      try {
        // The record first: should the flow file's write fail, the node disagrees and is refused, never the reverse.
        const installed = await calibrateAndInstall({
          hw,
          clock,
          installation,
          channel: ch,
          pins:
            ch.pumpPin !== undefined && ch.valvePin !== undefined
              ? { pump: ch.pumpPin, valve: ch.valvePin }
              : undefined,
          knownForceN: opts.knownN,
          log,
          ask: (s) =>
            rl.question(
              s.step === 'release'
                ? `${s.channel}: release the press (manual release open, nothing on the cell), then press Enter `
                : s.knownForceN !== undefined
                  ? `${s.channel}: put the known load of ${s.knownForceN} N on the cell, wait for it to settle, press Enter `
                  : `${s.channel}: press until the reference cell reads a steady value; type that reading in N: `,
            ),
        });
        const { before, after } = writeCalibration(file, opts.channel, installed);
        log(
          `${opts.channel}: zero ${before.zeroCounts} -> ${after.zeroCounts} counts, span ${before.countsPerN} -> ${after.countsPerN} counts/N; installed in ${installation.file}, written to ${file} (previous in ${file}.bak)`,
        );
        return EXIT.ok;
      } catch (err) {
        if (err instanceof CalibrationError) {
          process.stderr.write(`cellrig calibrate: ${err.message}; nothing written\n`);
          return 4;
        }
        throw err;
      } finally {
        rl.close();
        hw.close();
      }
    } finally {
      lock.release();
    }
  });
}
