/**
 * `cellrig sim`: try controller settings against the simulated rig on the virtual clock before touching
 * hardware. `pressure` runs the stack-pressure hold, `profile` a temperature profile; both write a trace
 * (one row per control period) and print a summary. `cells` is the cell-health simulator, in its own module.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { type PressureSample, runPressureHold } from '../../devices/sim/runs/pressure-run';
import { type ProfileSample, runProfile } from '../../devices/sim/runs/profile-run';
import { type TemperatureProfile, temperatureProfileSchema } from '../../src/control/profile';
import { READY_PROFILES } from '../../src/control/ready-profiles';
import { describeZodError } from '../../src/rig/config';

const USAGE = `usage:
  cellrig sim pressure [--target MPA] [--hours H] [--ramp MPA_PER_S] [--tolerance MPA] [--overload MPA]
                       [--seed N] [--trace out.csv] [--json]
  cellrig sim profile [FILE | ${Object.keys(READY_PROFILES).join(' | ')}] [--seed N] [--batch LABEL]
                      [--trace out.csv] [--json]
  cellrig sim cells ...   (cell-health simulator; run \`cellrig sim cells --help\`)
The trace is CSV with header t_s,setpoint,value,output: MPa and actuator mm/s for pressure, C and heater
duty (0..1) for a profile. Without FILE, profile runs the TFAA drying profile.
`;

class UsageError extends Error {}

const num = (name: string) =>
  z.coerce
    .number({ error: `--${name} must be a number` })
    .refine(Number.isFinite, `--${name} must be finite`);

const pressureArgs = z.object({
  target: num('target').pipe(z.number().positive().max(500)).default(150),
  hours: num('hours')
    .pipe(
      z
        .number()
        .positive()
        .max(24 * 60),
    )
    .default(24),
  ramp: num('ramp').pipe(z.number().positive()).optional(),
  tolerance: num('tolerance').pipe(z.number().positive()).optional(),
  overload: num('overload').pipe(z.number().positive()).optional(),
  seed: num('seed').pipe(z.number().int().min(0)).default(1),
  trace: z.string().min(1).optional(),
  json: z.boolean().default(false),
});

const profileArgs = z.object({
  seed: num('seed').pipe(z.number().int().min(0)).default(1),
  batch: z.string().min(1).max(120).optional(),
  trace: z.string().min(1).optional(),
  json: z.boolean().default(false),
});

function parse<T>(schema: z.ZodType<T>, values: unknown): T {
  const r = schema.safeParse(values);
  if (!r.success) throw new UsageError(describeZodError(r.error, 'options'));
  return r.data;
}

function args(argv: string[], extra: Record<string, { type: 'string' | 'boolean' }>) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...extra, json: { type: 'boolean' } },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const f = (x: number | null | undefined, digits: number) =>
  x === null || x === undefined ? '' : x.toFixed(digits);

async function runPressure(argv: string[]): Promise<number> {
  const { values, positionals } = args(argv, {
    target: { type: 'string' },
    hours: { type: 'string' },
    ramp: { type: 'string' },
    tolerance: { type: 'string' },
    overload: { type: 'string' },
    seed: { type: 'string' },
    trace: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const o = parse(pressureArgs, values);
  const rows: string[] = ['t_s,setpoint,value,output'];
  const t0 = process.hrtime.bigint();
  const onSample = o.trace
    ? (s: PressureSample) => {
        rows.push(
          `${s.timeS},${f(s.out.setpointMPa, 3)},${f(s.measuredMPa, 3)},${s.out.velocityMmPerS.toExponential(4)}`,
        );
      }
    : undefined;
  const config = {
    targetMPa: o.target,
    ...(o.ramp ? { rampMPaPerS: o.ramp } : {}),
    ...(o.tolerance ? { toleranceMPa: o.tolerance } : {}),
    overloadMPa: o.overload ?? Math.max(170, o.target + 20),
  };
  const r = runPressureHold({ seed: o.seed, hours: o.hours, config, onSample });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (o.trace) writeFileSync(o.trace, `${rows.join('\n')}\n`);
  const alarms = r.events.filter((e) => e.kind === 'alarm').map((e) => `${e.code}@${e.timeS}s`);
  const summary = {
    targetMPa: o.target,
    hours: o.hours,
    seed: o.seed,
    samples: r.samples,
    approachS: r.approachS,
    inBandPercent: 100 * r.inBandFraction,
    measuredInBandPercent: 100 * r.measuredInBandFraction,
    maxOvershootMPa: r.maxOvershootMPa,
    maxRampRateMPaPerS: r.maxRampRateMPaPerS,
    worstDeviationMPa: r.worstDeviationMPa,
    alarms,
    finalPhase: r.finalPhase,
    wallS,
    ...(o.trace ? { trace: o.trace } : {}),
  };
  if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    process.stdout.write(
      [
        `pressure hold at ${o.target} MPa for ${o.hours} h (seed ${o.seed}), ${r.samples} control periods in ${wallS.toFixed(2)} s`,
        `  approach after ${r.approachS ?? 'never'} s; ramp max ${r.maxRampRateMPaPerS.toFixed(3)} MPa/s; overshoot ${r.maxOvershootMPa.toFixed(3)} MPa`,
        `  in band after approach: ${summary.inBandPercent.toFixed(2)} % (true), ${summary.measuredInBandPercent.toFixed(2)} % (measured); worst ${r.worstDeviationMPa.toFixed(3)} MPa`,
        `  alarms: ${alarms.length ? alarms.join(', ') : 'none'}; final phase ${r.finalPhase}`,
        ...(o.trace ? [`  trace: ${o.trace}`] : []),
      ].join('\n') + '\n',
    );
  }
  return 0;
}

function loadProfile(arg: string | undefined): TemperatureProfile {
  const name = arg ?? 'tfaa-drying';
  const ready = READY_PROFILES[name];
  if (ready) return ready;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(name, 'utf8'));
  } catch (err) {
    throw new UsageError(`${name}: ${(err as Error).message}`);
  }
  const r = temperatureProfileSchema.safeParse(raw);
  if (!r.success) throw new UsageError(describeZodError(r.error, name));
  return r.data;
}

async function runProfileCmd(argv: string[]): Promise<number> {
  const { values, positionals } = args(argv, {
    seed: { type: 'string' },
    batch: { type: 'string' },
    trace: { type: 'string' },
  });
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const o = parse(profileArgs, values);
  const profile = loadProfile(positionals[0]);
  const rows: string[] = ['t_s,setpoint,value,output'];
  const t0 = process.hrtime.bigint();
  const onSample = o.trace
    ? (s: ProfileSample) => {
        rows.push(`${s.timeS},${f(s.setpointC, 3)},${f(s.measuredC, 4)},${s.out.heaterDuty.toFixed(4)}`);
      }
    : undefined;
  const r = runProfile({ profile, seed: o.seed, batch: o.batch, onSample });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (o.trace) writeFileSync(o.trace, `${rows.join('\n')}\n`);
  const holds = r.events
    .filter((e) => e.code === 'segment-end')
    .map((e) => ({ segment: e.data?.segment, soakS: e.data?.soakS }));
  const alarms = r.events.filter((e) => e.kind === 'alarm').map((e) => `${e.code}@${e.timeS}s`);
  const summary = {
    profile: profile.name,
    seed: o.seed,
    status: r.status,
    durationS: r.durationS,
    holds,
    alarms,
    wallS,
  };
  if (o.json) process.stdout.write(`${JSON.stringify({ ...summary, events: r.events }, null, 2)}\n`);
  else {
    const lines = [
      `${profile.name} (seed ${o.seed}): ${r.status} after ${(r.durationS / 3600).toFixed(2)} h of rig time, ${wallS.toFixed(2)} s wall`,
      ...profile.segments.map((s, i) => {
        const h = holds.find((x) => x.segment === i);
        return `  ${i + 1}. ${s.name}: ${s.targetC} C, hold ${s.holdS} s planned, ${h ? `${h.soakS} s soaked` : 'not reached'}`;
      }),
      `  alarms: ${alarms.length ? alarms.join(', ') : 'none'}`,
      ...(o.trace ? [`  trace: ${o.trace}`] : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return r.status === 'completed' ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'pressure':
        return await runPressure(rest);
      case 'profile':
        return await runProfileCmd(rest);
      case 'cells': {
        // The cell-health simulator is its own module; loaded by specifier so this file builds without it.
        const specifier = './sim-cells.js';
        let mod: { main(argv: string[]): Promise<number> };
        try {
          mod = await import(specifier);
        } catch (err) {
          if (!/Cannot find module/.test(String(err))) throw err;
          throw new UsageError(
            "this build of cellrig has no 'sim cells' command (app/cli/sim-cells.ts is missing)",
          );
        }
        return await mod.main(rest);
      }
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown subcommand '${sub}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`cellrig sim: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}
