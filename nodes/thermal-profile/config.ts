/** The thermal-profile node's config, its msg commands, and where a run's progress is kept. */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { SIM_PINS } from '../../devices/sim/sim-rig';
import {
  type ProfileProgrammer,
  profileRunStateSchema,
  type TemperatureProfile,
  temperatureProfileSchema,
} from '../../src/control/profile';
import { parseProfile } from '../../src/control/profile-check';
import { READY_PROFILES } from '../../src/control/ready-profiles';
import { describeZodError, idSchema } from '../../src/rig/config';
import { checkOvenSettings, describeProblems, type OvenHardware } from '../../src/rig/hardware-limits';
import { errorMessage } from '../shared/node-support';

const num = (schema: z.ZodNumber) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), z.coerce.number().pipe(schema).optional());

/** A ready profile by name, or a profile as JSON text (from the editor) or as an object (from a msg). */
export const profileRefSchema = z.union([
  z.enum(Object.keys(READY_PROFILES) as [string, ...string[]]).transform((n) => READY_PROFILES[n]!),
  temperatureProfileSchema,
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          message: `not a ready profile name nor JSON: ${(err as Error).message}`,
        });
        return z.NEVER;
      }
    })
    .pipe(temperatureProfileSchema),
]);

const pin = z.coerce.number().int().min(0).max(255);

export const thermalProfileConfigSchema = z.object({
  channel: idSchema.default('oven'),
  profile: profileRefSchema.default(READY_PROFILES['tfaa-drying']!),
  batch: z.string().trim().max(120).optional(),
  controlPeriodMs: num(z.number().int().min(100).max(60_000)).transform((v) => v ?? 1000),
  overTempCutoffC: num(z.number().min(0).max(1000)).transform((v) => v ?? 220),
  windowMs: num(z.number().int().min(100).max(60_000)).transform((v) => v ?? 2000),
  powerLossPolicy: z.enum(['resume', 'abort']).default('abort'),
  maxOutageS: num(z.number().positive()),
  /** How late a control period may be before the loop cuts the heater with an alarm, ms (one period if empty). */
  periodMarginMs: num(z.number().int().min(20).max(60_000)),
  /**
   * The simulated oven only: run its physics and this controller this many times faster than the rig's
   * clock (60: the 9.2 h TFAA profile in about 9 min). Refused on real hardware.
   */
  simTimeScale: num(z.number().min(1).max(100)).transform((v) => v ?? 1),
  /** File that keeps the run's progress across restarts; empty means one per node in the user folder. */
  stateFile: z.string().trim().max(1000).optional(),
  /** Heater SSR, safety contactor, vacuum pump (outputs) and vacuum switch (input); the simulator's by default. */
  pins: z
    .object({
      ssr: pin.default(SIM_PINS.heaterSsr),
      contactor: pin.default(SIM_PINS.heaterContactor),
      vacuumPump: pin.default(SIM_PINS.vacuumPump),
      vacuumSwitch: pin.default(SIM_PINS.vacuumSwitch),
    })
    .prefault({}),
});
export type ThermalProfileConfig = z.infer<typeof thermalProfileConfigSchema>;

/** The node's fields as the editor saves them: strings, numbers and flags. */
export type EditorFields = Record<string, string | number | boolean | undefined>;

/** An empty editor field means "use the default". */
const blank = (v: unknown) => (v === '' || v === null ? undefined : v);

/** The editor's fields as the config schema takes them: empty ones left to their defaults, pins grouped. */
export function configInput(def: EditorFields) {
  return {
    ...def,
    profile: def.profile || undefined,
    batch: def.batch || undefined,
    stateFile: def.stateFile || undefined,
    powerLossPolicy: def.powerLossPolicy || undefined,
    channel: def.channel || undefined,
    pins: {
      ssr: blank(def.ssrPin),
      contactor: blank(def.contactorPin),
      vacuumPump: blank(def.vacuumPumpPin),
      vacuumSwitch: blank(def.vacuumSwitchPin),
    },
  };
}

/** A run's id: the channel, the start time to the second (UTC) and the node's run count. */
export function runIdAt(channel: string, ms: number, count: number): string {
  return `${channel}-${new Date(ms).toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${count}`;
}

export const thermalCommandSchema = z.object({
  command: z.enum(['start', 'pause', 'resume', 'skip', 'abort', 'reset']),
  profile: profileRefSchema.optional(),
  batch: z.string().trim().min(1).max(120).optional(),
  runId: idSchema.optional(),
});

export function defaultStateFile(userDir: string | undefined, nodeId: string): string {
  return join(userDir ?? join(tmpdir(), 'cellrig'), 'cellrig-state', `thermal-profile-${nodeId}.json`);
}

/** Written to a temporary file and renamed, so a power cut leaves the old progress or the new, never half. */
export function saveProgress(file: string, state: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}

export function loadProgress(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

export function clearProgress(file: string): void {
  rmSync(file, { force: true });
}

/** A zod error of a command or a config in words: a bad profile as the profile check says it, the rest by field. */
export function profileFieldProblem(err: z.ZodError, profile: unknown, what: string): string {
  if (profile !== undefined && err.issues.some((i) => i.path[0] === 'profile')) {
    const parsed = parseProfile(profile);
    if (!parsed.success) return `${what}: profile: ${parsed.problems.join(' ')}`;
  }
  return describeZodError(err, what);
}

/** The configured profile and cutoff against the oven's ratings, as one sentence; undefined when they may run. */
/** Why a command msg was refused: its fields in plain words (a bad profile named), or the error's message. */
export function commandProblem(err: unknown, payload: unknown, what: string): string {
  if (typeof err === 'object' && err !== null && 'issues' in err)
    return profileFieldProblem(err as z.ZodError, (payload as { profile?: unknown } | null)?.profile, what);
  return errorMessage(err);
}

export function ovenSettingsProblem(
  config: ThermalProfileConfig,
  soakBandC: number,
  oven: OvenHardware,
): string | undefined {
  const problems = checkOvenSettings(
    { overTempCutoffC: config.overTempCutoffC, soakBandC, segments: config.profile.segments },
    oven,
    { segments: 'profile segment' },
  );
  return problems.length ? describeProblems(problems) : undefined;
}

/** Runs a parsed command on the programmer; a start without a run id or batch takes the node's. */
export function applyCommand(
  programmer: ProfileProgrammer,
  c: z.infer<typeof thermalCommandSchema>,
  defaults: { profile: TemperatureProfile; batch?: string; runId: string },
  timeS: number,
): void {
  if (c.command === 'start') {
    const batch = c.batch ?? defaults.batch;
    programmer.start(
      c.profile ?? defaults.profile,
      { runId: c.runId ?? defaults.runId, ...(batch ? { batch } : {}) },
      timeS,
    );
  } else if (c.command === 'pause') programmer.pause(timeS);
  else if (c.command === 'resume') programmer.resume(timeS);
  else if (c.command === 'skip') programmer.skip(timeS);
  else if (c.command === 'abort') programmer.abort(timeS);
  else programmer.reset();
}

/** When saved progress was last updated, in ms (0 without a readable one). */
export function savedUpdatedMs(saved: unknown): number {
  return (profileRunStateSchema.safeParse(saved).data?.updatedAtS ?? 0) * 1000;
}
