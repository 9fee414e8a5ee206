/**
 * `cellrig sim`: try settings on the simulated rig before touching hardware. `pressure` runs the
 * stack-pressure hold and `profile` a temperature profile on the virtual clock (a trace row per control
 * period and a summary), `bench` times the control loop on the real clock, `cells` writes the reference
 * study's cells as cell folders. The work is in sim-run.ts and sim-cells-run.ts, loaded when it runs.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { referenceCells } from '../../devices/sim/models/cell-params';
import { numberIn, onRun, standalone, subcommand } from './grammar';

const TRACE_HELP =
  '\nThe trace is CSV with header t_s,setpoint,value,output: MPa and actuator mm/s for pressure, C and\n' +
  'heater duty (0..1) for a profile.';
const REFERENCE_CELLS = referenceCells.map((c) => c.id);

export function register(program: Command): void {
  const sim = subcommand(
    program,
    'sim',
    'try control settings on the simulated rig: sim pressure | profile | bench | cells',
  );

  const pressure = subcommand(sim, 'pressure', 'hold a stack pressure on the simulated rig (virtual clock)')
    .option('--target <MPa>', 'stack pressure to hold', numberIn({ unit: 'MPa' }), 150)
    .option(
      '--hours <h>',
      'how long, in rig time',
      numberIn({ min: 0, exclusiveMin: true, max: 1440, unit: 'h' }),
      24,
    )
    .option('--ramp <MPa/s>', "ramp rate (default: the controller's)", numberIn({ unit: 'MPa/s' }))
    .option('--tolerance <MPa>', "in-band half width (default: the controller's)", numberIn({ unit: 'MPa' }))
    .option(
      '--overload <MPa>',
      'overload limit (default: 20 above the target, at least 170)',
      numberIn({ unit: 'MPa' }),
    )
    .option('--seed <n>', "the simulated rig's random seed", numberIn({ min: 0, integer: true }), 1)
    .option('--trace <file>', 'write one CSV row per control period')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `${TRACE_HELP}\nTarget, ramp, tolerance and overload are checked against the rig's hardware limits; a refusal\nnames the option and the allowed range. Exit codes: 0 ran, 2 refused settings or bad option.`,
    );
  onRun(pressure, async (o) => (await import('./sim-run.js')).runPressure(o));

  const profile = subcommand(
    sim,
    'profile [profile]',
    'run a temperature profile on the simulated oven (virtual clock): a ready profile name or a JSON file',
  )
    .option('--seed <n>', "the simulated rig's random seed", numberIn({ min: 0, integer: true }), 1)
    .option('--batch <label>', 'the cathode batch label the run records')
    .option('--trace <file>', 'write one CSV row per control period')
    .option('--json', 'print the summary and every event as JSON')
    .addHelpText(
      'after',
      `${TRACE_HELP}\nWithout a profile, the TFAA drying profile (tfaa-drying). Exit codes: 0 completed, 1 aborted,\n2 unknown profile, a profile the oven's ratings forbid, or a bad option.`,
    );
  onRun(profile, async (name: string | undefined, o) =>
    (await import('./sim-run.js')).runProfileCmd(name, o),
  );

  const bench = subcommand(sim, 'bench', 'time the control loop on the real clock: period jitter and CPU')
    .option('--seconds <s>', 'how long', numberIn({ min: 0, exclusiveMin: true, max: 3600, unit: 's' }), 60)
    .option('--hz <rate>', 'control rate', numberIn({ min: 0, exclusiveMin: true, max: 100, unit: 'Hz' }), 10)
    .option('--json', 'print the figures as JSON (no progress line)');
  onRun(bench, async (o) => (await import('./sim-run.js')).runBench(o));

  const cells = subcommand(
    sim,
    'cells',
    "write the reference study's cells, simulated, as cell folders for `cellrig health`",
  )
    .requiredOption(
      '--seed <n>',
      'random seed (the same seed writes the same files)',
      numberIn({ min: 0, integer: true }),
    )
    .requiredOption('--out <folder>', 'where the cell folders go (created)')
    .option('--cycles <n>', 'cycles per cell', numberIn({ min: 1, max: 1000, integer: true }), 100)
    .addOption(
      new Option('--cells <list>', `comma-separated, of ${REFERENCE_CELLS.join(', ')}`)
        .argParser(cellList)
        .default(REFERENCE_CELLS, REFERENCE_CELLS.join(',')),
    )
    .addHelpText(
      'after',
      '\nWrites <out>/<cell>/cell.json, cycling.csv (with temperature_C) and eis/cycle-NNN.csv.',
    );
  onRun(cells, async (o: { seed: number; out: string; cycles: number; cells: string[] }) =>
    (await import('./sim-cells-run.js')).runSimCells({
      ...o,
      cells: o.cells.map((id) => referenceCells.find((c) => c.id === id)!),
    }),
  );
}

function cellList(value: string): string[] {
  const ids = value.split(',').map((x) => x.trim());
  const unknown = ids.filter((id) => !REFERENCE_CELLS.includes(id));
  if (unknown.length || ids.length === 0)
    throw new InvalidArgumentError(
      `Allowed: a comma-separated list of ${REFERENCE_CELLS.join(', ')} (not ${unknown.join(', ')}).`,
    );
  return ids;
}

export const main = standalone('sim', register);
