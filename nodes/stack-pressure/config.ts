/** The stack-pressure node's config: a cell channel, plus the pressure hold when the node controls the press. */
import { z } from 'zod';
import { SIM_PINS } from '../../devices/sim/sim-rig';
import { PressureHold, pressureHoldConfigSchema } from '../../src/control/pressure-hold';
import { channelConfigSchema } from '../../src/rig/config';
import {
  capacityMPa,
  checkCalibration,
  checkPressSettings,
  type PressHardware,
  type SettingProblem,
} from '../../src/rig/hardware-limits';
import type { DeployedChannel } from '../../src/rig/installation';

// Ranges are the rig's hardware limits, checked after parsing (settingsProblems) so the refusal is in words.
const optionalNumber = (schema: z.ZodNumber) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), z.coerce.number().pipe(schema).optional());

export const stackPressureConfigSchema = channelConfigSchema
  .extend({
    /** 'monitor' only reads; 'hold' also drives the press to hold the target. */
    control: z.enum(['monitor', 'hold']).default('monitor'),
    targetMPa: optionalNumber(z.number().finite()),
    toleranceMPa: optionalNumber(z.number().finite()),
    rampMPaPerS: optionalNumber(z.number().finite()),
    overloadMPa: optionalNumber(z.number().finite()),
    holdbackS: optionalNumber(z.number().positive()),
    pumpPin: optionalNumber(z.number().int().min(0).max(255)),
    valvePin: optionalNumber(z.number().int().min(0).max(255)),
    /** How late a control period may be before the loop stops the press with an alarm, ms (one period if empty). */
    periodMarginMs: optionalNumber(z.number().int().min(20).max(60_000)),
    /** Start holding at deploy (otherwise on a `start` command). */
    autoStart: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true),
  })
  .transform((c) => ({
    ...c,
    periodMarginMs: c.periodMarginMs ?? Math.max(100, c.samplePeriodMs),
    pumpPin: c.pumpPin ?? SIM_PINS.press[c.muxPort]?.pump,
    valvePin: c.valvePin ?? SIM_PINS.press[c.muxPort]?.valve,
  }))
  .refine((c) => c.control === 'monitor' || (c.pumpPin !== undefined && c.valvePin !== undefined), {
    message: 'set the press pump and valve pins for this channel',
    path: ['pumpPin'],
  });
export type StackPressureConfig = z.infer<typeof stackPressureConfigSchema>;

/** msg.payload commands the node understands (any other msg asks for a reading now). */
export const pressCommandSchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('start'), targetMPa: z.number().finite().optional() }),
  z.object({ command: z.literal('stop') }),
  z.object({ command: z.literal('reset') }),
  z.object({ command: z.literal('tare') }),
  z.object({ command: z.literal('span'), knownForceN: z.number().finite() }),
]);

export function configFrom(def: Record<string, unknown>): unknown {
  const calibrated =
    def.zeroCounts !== undefined &&
    def.zeroCounts !== '' &&
    def.countsPerN !== undefined &&
    def.countsPerN !== '';
  return {
    ...def,
    dieDiameterMm: def.dieDiameterMm || undefined,
    samplePeriodMs: def.samplePeriodMs || undefined,
    control: def.control || undefined,
    calibration: calibrated
      ? { zeroCounts: Number(def.zeroCounts), countsPerN: Number(def.countsPerN) }
      : undefined,
  };
}

/** The hold's settings: the node's, else the controller's defaults. */
function holdSettings(c: StackPressureConfig) {
  const d = pressureHoldConfigSchema.parse({});
  return {
    targetMPa: c.targetMPa ?? d.targetMPa,
    toleranceMPa: c.toleranceMPa ?? d.toleranceMPa,
    rampMPaPerS: c.rampMPaPerS ?? d.rampMPaPerS,
    overloadMPa: c.overloadMPa ?? d.overloadMPa,
    ...(c.holdbackS !== undefined ? { holdbackS: c.holdbackS } : {}),
  };
}

/** Every setting against the rig's hardware, in words that name the editor field. */
export function settingsProblems(c: StackPressureConfig, hw: PressHardware): SettingProblem[] {
  const problems = checkCalibration(c.calibration, hw);
  if (c.control === 'hold')
    problems.push(
      ...checkPressSettings(
        { ...holdSettings(c), dieDiameterMm: c.dieDiameterMm, periodMs: c.samplePeriodMs },
        hw,
        {
          periodMs: 'samplePeriodMs',
        },
      ),
    );
  return problems;
}

/** What the node was deployed with that the rig's installation fixes (devices/rig-installation.ts). */
export function deployedChannel(c: StackPressureConfig): DeployedChannel {
  const hold = c.control === 'hold';
  return {
    channel: c.channel,
    muxPort: c.muxPort,
    dieDiameterMm: c.dieDiameterMm,
    calibration: c.calibration,
    ...(hold && c.pumpPin !== undefined && c.valvePin !== undefined
      ? { pins: { pump: c.pumpPin, valve: c.valvePin } }
      : {}),
    ...(hold ? { overloadMPa: holdSettings(c).overloadMPa } : {}),
  };
}

/** The pressure hold for a node in hold mode (its settings already checked), else undefined. */
export function holdFor(c: StackPressureConfig, hw: PressHardware): PressureHold | undefined {
  if (c.control !== 'hold') return undefined;
  return new PressureHold({
    ...holdSettings(c),
    dieDiameterMm: c.dieDiameterMm,
    maxSpeedMmPerS: hw.pumpSpeedMmPerS,
    stiffnessNPerMm: hw.nominalStiffnessNPerMm,
    // Beyond the cell's rated capacity a reading is not a stack pressure but a fault.
    plausibleMaxMPa: capacityMPa(hw, c.dieDiameterMm),
  });
}
