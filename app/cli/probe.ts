/**
 * `cellrig probe`: bring-up of a rig's wiring. Opens the board on the chosen backend, lists what answers on
 * the I2C bus and behind each TCA9548A port, names each part and reads each sensor once; with --toggle,
 * switches one output on for one second after a confirmation (never a heater without --allow-heater).
 * Run it with `cellrig start` stopped: a serial port is opened by one program at a time.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { EXIT, numberIn, onRun, subcommand, UsageError } from './grammar';

type Opts = {
  backend: string;
  port?: string;
  i2cBus?: number;
  gpioChip?: string;
  seed: number;
  toggle?: number;
  allowHeater?: boolean;
  yes?: boolean;
  json?: boolean;
};

export function register(program: Command): void {
  const cmd = subcommand(program, 'probe', "list and read what answers on a rig's I2C bus; toggle one output")
    .option('--backend <name>', 'sim | firmata | linux', 'firmata')
    .option('--port <path>', 'Firmata serial port (default /dev/ttyACM0)')
    .option('--i2c-bus <n>', 'Linux I2C bus (default 1)', numberIn({ min: 0, max: 255, integer: true }))
    .option('--gpio-chip <name>', 'Linux GPIO chip (default: found by label)')
    .option('--seed <n>', 'seed of the simulated rig (backend sim)', numberIn({ min: 0, integer: true }), 1)
    .option(
      '--toggle <pin>',
      'switch this rig pin on for 1 s (asks first)',
      numberIn({ min: 0, max: 255, integer: true }),
    )
    .option('--allow-heater', 'allow --toggle on the heater SSR or its contactor')
    .option('--yes', 'do not ask before --toggle')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  cellrig probe --port /dev/ttyACM0\n' +
        '  cellrig probe --backend linux --toggle 5      (ch1 press pump on for 1 s)\n' +
        'Exit codes: 0 probed, 1 the board could not be opened (the port or bus tried is named), 2 bad option\n' +
        'or a refused toggle, 3 the toggle was not confirmed.',
    );
  onRun(cmd, async (opts: Opts) => {
    const { openRigHardware } = await import('../../devices/board.js');
    const { formatReport, probeBus, RIG_OUTPUTS, toggleOutput, toggleRefusal } = await import(
      '../../devices/probe.js'
    );
    const { rigConfigSchema, describeZodError } = await import('../../src/rig/config.js');
    const { RealClock } = await import('../../src/clock.js');
    const parsed = rigConfigSchema.safeParse({
      rigId: 'probe',
      backend: opts.backend,
      serialPort: opts.port,
      i2cBus: opts.i2cBus,
      gpioChip: opts.gpioChip,
      seed: opts.seed,
    });
    if (!parsed.success) throw new UsageError(describeZodError(parsed.error, 'probe'));
    const config = parsed.data;
    if (opts.toggle !== undefined) {
      const why = toggleRefusal(opts.toggle, opts.allowHeater === true);
      if (why) throw new UsageError(why);
    }
    const where =
      config.backend === 'firmata'
        ? `Firmata on ${config.serialPort ?? '/dev/ttyACM0'}`
        : config.backend === 'linux'
          ? `Linux /dev/i2c-${config.i2cBus ?? 1} and ${config.gpioChip ?? 'the Pi GPIO chip'}`
          : `the simulated rig (seed ${config.seed})`;
    const clock = new RealClock();
    let hw: Awaited<ReturnType<typeof openRigHardware>>;
    try {
      hw = await openRigHardware(config, clock, 5000);
    } catch (err) {
      process.stderr.write(`cellrig probe: tried ${where}: ${(err as Error).message}\n`);
      return EXIT.failure;
    }
    try {
      const busName = hw.link ? `over ${where} (${hw.link.firmware ?? 'firmware unknown'})` : `on ${where}`;
      const report = await probeBus(hw.bus, clock, busName);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      if (opts.toggle === undefined) return EXIT.ok;
      const name = RIG_OUTPUTS[opts.toggle]!.name;
      if (!opts.yes) {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(`switch rig pin ${opts.toggle} (${name}) on for 1 s? type yes: `);
        rl.close();
        if (answer.trim() !== 'yes') {
          process.stderr.write('not switched\n');
          return 3;
        }
      }
      await toggleOutput(hw.io, clock, opts.toggle);
      process.stdout.write(`rig pin ${opts.toggle} (${name}) was on for 1 s, now off\n`);
      return EXIT.ok;
    } finally {
      hw.close();
    }
  });
}
