/** The stack-pressure node's config: a cell channel, plus the pressure hold when the node controls the press. */
import { z } from 'zod';
import { SIM_PINS } from '../../devices/sim/sim-rig';
import { PressureHold } from '../../src/control/pressure-hold';
import { channelConfigSchema } from '../../src/rig/config';

const optionalNumber = (schema: z.ZodNumber) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), z.coerce.number().pipe(schema).optional());

export const stackPressureConfigSchema = channelConfigSchema
  .extend({
    /** 'monitor' only reads; 'hold' also drives the press to hold the target. */
    control: z.enum(['monitor', 'hold']).default('monitor'),
    targetMPa: optionalNumber(z.number().min(0).max(500)),
    toleranceMPa: optionalNumber(z.number().positive().max(50)),
    rampMPaPerS: optionalNumber(z.number().positive().max(50)),
    overloadMPa: optionalNumber(z.number().positive().max(1000)),
    holdbackS: optionalNumber(z.number().positive()),
    pumpPin: optionalNumber(z.number().int().min(0).max(255)),
    valvePin: optionalNumber(z.number().int().min(0).max(255)),
    /** Start holding at deploy (otherwise on a `start` command). */
    autoStart: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true),
  })
  .transform((c) => ({
    ...c,
    pumpPin: c.pumpPin ?? SIM_PINS.press[c.muxPort]?.pump,
    valvePin: c.valvePin ?? SIM_PINS.press[c.muxPort]?.valve,
  }))
  .refine((c) => c.control === 'monitor' || (c.pumpPin !== undefined && c.valvePin !== undefined), {
    message: 'set the press pump and valve pins for this channel',
    path: ['pumpPin'],
  });
export type StackPressureConfig = z.infer<typeof stackPressureConfigSchema>;

/** msg.payload commands the node understands (any other msg asks for a reading now). */
export const stackPressureCommandSchema = z.object({
  command: z.enum(['start', 'stop', 'reset']),
  targetMPa: z.number().min(0).max(500).optional(),
});

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

export function holdFor(c: StackPressureConfig): PressureHold | undefined {
  if (c.control !== 'hold') return undefined;
  const pick = {
    targetMPa: c.targetMPa,
    toleranceMPa: c.toleranceMPa,
    rampMPaPerS: c.rampMPaPerS,
    overloadMPa: c.overloadMPa,
    holdbackS: c.holdbackS,
  };
  const defined = Object.fromEntries(Object.entries(pick).filter(([, v]) => v !== undefined));
  return new PressureHold({ ...defined, dieDiameterMm: c.dieDiameterMm });
}
