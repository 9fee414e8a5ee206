/**
 * `cellrig calibrate`: a stack load cell's two-point calibration (devices/calibration-procedure.ts),
 * written into the rig's flow file as that channel's stack-pressure settings (Zero, Span). The board comes
 * from the channel's rig node unless given here. Run it with `cellrig start` stopped: the serial port is
 * opened by one program at a time, and a running Node-RED would write its own copy of the flows back.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { EXIT, numberIn, onRun, subcommand, UsageError } from './grammar';

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** The channel's stack-pressure node and its rig node in a flow file, or a UsageError naming what is wrong. */
export function findChannel(
  file: string,
  channel: string,
): { flows: FlowNode[]; node: FlowNode; rig?: FlowNode } {
  if (!existsSync(file)) throw new UsageError(`${file}: no flow file (give --flows, or set CELLRIG_DATA)`);
  let flows: FlowNode[];
  try {
    flows = JSON.parse(readFileSync(file, 'utf8')) as FlowNode[];
  } catch (err) {
    throw new UsageError(`${file}: not a flow file (${(err as Error).message})`);
  }
  if (!Array.isArray(flows)) throw new UsageError(`${file}: not a flow file (not an array of nodes)`);
  const nodes = flows.filter((n) => n.type === 'stack-pressure' && n.channel === channel);
  if (nodes.length !== 1) {
    const known = flows.filter((n) => n.type === 'stack-pressure').map((n) => String(n.channel));
    throw new UsageError(
      `${file}: ${nodes.length ? 'more than one' : 'no'} stack-pressure node for channel "${channel}" (channels: ${known.join(', ') || 'none'})`,
    );
  }
  const node = nodes[0]!;
  return { flows, node, rig: flows.find((n) => n.id === node.rig) };
}

/** Writes the new zero and span into the node, keeping the previous file as <file>.bak. */
export function writeCalibration(
  file: string,
  channel: string,
  cal: { zeroCounts: number; countsPerN: number },
) {
  const { flows, node } = findChannel(file, channel);
  const before = { zeroCounts: Number(node.zeroCounts), countsPerN: Number(node.countsPerN) };
  node.zeroCounts = Math.round(cal.zeroCounts);
  node.countsPerN = Math.round(cal.countsPerN * 1e4) / 1e4;
  writeFileSync(`${file}.bak`, readFileSync(file));
  writeFileSync(`${file}.tmp`, `${JSON.stringify(flows, null, 4)}\n`);
  renameSync(`${file}.tmp`, file);
  return { before, after: { zeroCounts: node.zeroCounts as number, countsPerN: node.countsPerN as number } };
}

type Opts = {
  channel: string;
  flows?: string;
  knownN?: number;
  reference?: boolean;
  backend?: string;
  port?: string;
  seed: number;
};

/** A flow value that Node-RED would take from the environment (`${VAR}`), as the running rig would see it. */
const fromEnv = (v: unknown): string | undefined => {
  const s = typeof v === 'string' ? v : undefined;
  const m = s ? /^\$\{(\w+)\}$/.exec(s) : null;
  return (m ? process.env[m[1]!] : s) || undefined;
};

export function register(program: Command): void {
  const cmd = subcommand(
    program,
    'calibrate',
    "calibrate a channel's load cell and write it into the rig's flows",
  )
    .requiredOption('--channel <id>', 'the channel, as its stack-pressure node names it (e.g. ch1)')
    .option('--flows <file>', 'the flow file (default: $CELLRIG_DATA/flows.json)')
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
        'Exit codes: 0 written, 1 the board or cell not available, 2 bad option or channel,\n' +
        '4 refused by the safety rules or an unsteady reading (nothing written).',
    );
  onRun(cmd, async (opts: Opts) => {
    if ((opts.knownN === undefined) === !opts.reference)
      throw new UsageError('give either --known-n N or --reference');
    const file = opts.flows ?? join(process.env.CELLRIG_DATA || '.cellrig', 'flows.json');
    const { node, rig } = findChannel(file, opts.channel);
    const { openRigHardware } = await import('../../devices/board.js');
    const { calibrateLoadCell, CalibrationError } = await import('../../devices/calibration-procedure.js');
    const { channelConfigSchema, rigConfigSchema, describeZodError } = await import(
      '../../src/rig/config.js'
    );
    const { REFERENCE_RIG } = await import('../../src/rig/hardware-limits.js');
    const { RealClock } = await import('../../src/clock.js');
    const ch = channelConfigSchema.safeParse({
      ...node,
      calibration: { zeroCounts: Number(node.zeroCounts), countsPerN: Number(node.countsPerN) },
    });
    if (!ch.success) throw new UsageError(describeZodError(ch.error, `${file}: channel ${opts.channel}`));
    const config = rigConfigSchema.parse({
      rigId: 'calibrate',
      backend: opts.backend ?? fromEnv(rig?.backend) ?? 'sim',
      serialPort: opts.port ?? fromEnv(rig?.serialPort),
      seed: opts.seed,
    });
    const clock = new RealClock();
    let hw: Awaited<ReturnType<typeof openRigHardware>>;
    try {
      hw = await openRigHardware(config, clock);
    } catch (err) {
      process.stderr.write(`cellrig calibrate: ${(err as Error).message}\n`);
      return EXIT.failure;
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const cal = await calibrateLoadCell({
        hw,
        clock,
        channel: ch.data,
        hardware: REFERENCE_RIG.press,
        knownForceN: opts.knownN,
        log: (l) => process.stdout.write(`${l}\n`),
        ask: (s) =>
          rl.question(
            s.step === 'release'
              ? `${s.channel}: release the press (manual release open, nothing on the cell), then press Enter `
              : s.knownForceN !== undefined
                ? `${s.channel}: put the known load of ${s.knownForceN} N on the cell, wait for it to settle, press Enter `
                : `${s.channel}: press until the reference cell reads a steady value; type that reading in N: `,
          ),
      });
      const { before, after } = writeCalibration(file, opts.channel, cal);
      process.stdout.write(
        `${opts.channel}: zero ${before.zeroCounts} -> ${after.zeroCounts} counts, span ${before.countsPerN} -> ${after.countsPerN} counts/N; written to ${file} (previous in ${file}.bak)\n`,
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
  });
}
