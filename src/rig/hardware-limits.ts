/**
 * What the rig's hardware can do, and the checks that hold every setpoint and limit to it before anything
 * runs. The figures describe the reference rig (and the simulator, which models it): a 20 kN load cell on a
 * NAU7802 at gain 128, an electro-hydraulic press whose pump moves the ram 0.01 mm/s, an 800 W vacuum oven.
 * A rig built from other parts installs its own figures (`cellrig install hardware --file`), kept in its
 * installation record (src/rig/installation.ts) with the record schema below.
 *
 * The checks answer in plain words that name the setting (as the caller calls it: a node field or a CLI
 * option), the value, why it is refused and the allowed range, never a schema dump.
 */
import { z } from 'zod';
import { dieAreaMm2 } from './load-cell';

export const pressHardwareSchema = z.object({
  /** Rated capacity of each stack load cell, N. */
  loadCellCapacityN: z.number().positive().default(20_000),
  /** Share of the capacity an overload limit may use: above it a cell leaves its calibrated, linear range. */
  usableFraction: z.number().gt(0).max(1).default(0.9),
  /** Sensitivity of the cell and ADC as built, counts per N (2 mV/V, gain 128, 24 bits). */
  nominalCountsPerN: z.number().positive().default(107.37),
  /** How far a span may stray from the nominal sensitivity, as a fraction (cell tolerance and wiring). */
  spanTolerance: z.number().gt(0).max(0.5).default(0.1),
  /** Largest zero reading a healthy cell and ADC give unloaded, counts (zero balance: 2 % of full scale). */
  maxZeroOffsetCounts: z.number().positive().default(45_000),
  /** Force that still counts as "no load" for a tare, N (0.5 % of capacity; 1.3 MPa on a 10 mm die). */
  nearZeroN: z.number().positive().default(100),
  /** Smallest known load a span may be taken at, N: a span over a small load magnifies the cell's noise. */
  minSpanForceN: z.number().positive().default(1000),
  /** Ram speed with the pump running, and with the release valve open, mm/s. */
  pumpSpeedMmPerS: z.number().positive().default(0.01),
  releaseSpeedMmPerS: z.number().positive().default(0.01),
  /** Stiffness of the stack as built (sets the fastest ramp), and the stiffest the safety layer assumes, N/mm. */
  nominalStiffnessNPerMm: z.number().positive().default(60_000),
  maxStiffnessNPerMm: z.number().positive().default(120_000),
  /** The pump stops this far below the overload limit, N: the cell's noise and a read's worth of travel. */
  guardMarginN: z.number().min(0).default(80),
  /** The overload limit sits at least this far above the top of the hold band, MPa. */
  overloadGapMPa: z.number().min(0).default(2),
  /** Hold band half-width, MPa: below the lower bound the cell's noise alone leaves the band. */
  toleranceMPa: z
    .object({ min: z.number().positive(), max: z.number().positive() })
    .default({ min: 0.1, max: 10 }),
  /** Slowest ramp worth running, MPa/s; the fastest is 80 % of what the pump gives on the nominal stack. */
  minRampMPaPerS: z.number().positive().default(0.01),
  /** Control period of a pressure hold, ms: the safety layer's decisions happen once per period. */
  holdPeriodMs: z
    .object({ min: z.number().positive(), max: z.number().positive() })
    .default({ min: 100, max: 2000 }),
});
export type PressHardware = z.infer<typeof pressHardwareSchema>;

export const ovenHardwareSchema = z.object({
  /** Highest temperature the chamber, heater and seals are rated for; the over-temperature cutoff stays at or below it. */
  maxTempC: z.number().positive().default(250),
  /** Fastest ramp the 800 W heater follows with a load near 200 C, C/min. */
  maxRampCPerMin: z.number().positive().default(10),
  minRampCPerMin: z.number().positive().default(0.1),
});
export type OvenHardware = z.infer<typeof ovenHardwareSchema>;

export const rigHardwareSchema = z.object({
  press: pressHardwareSchema.prefault({}),
  oven: ovenHardwareSchema.prefault({}),
});
export type RigHardwareLimits = z.infer<typeof rigHardwareSchema>;

/** The reference rig, as the simulator models it. */
export const REFERENCE_RIG: RigHardwareLimits = rigHardwareSchema.parse({});

/** Full scale of the 24-bit bridge ADC, counts: a load cell's capacity must fit in it. */
export const ADC_FULL_SCALE_COUNTS = 8_388_607;

const range = (min: number, max: number, unit: string) =>
  z
    .number({ error: `must be a number (${unit})` })
    .refine((v) => Number.isFinite(v) && v >= min && v <= max, `must be from ${min} to ${max} ${unit}`);
const span = (min: number, max: number, unit: string) =>
  z
    .object({ min: range(min, max, unit), max: range(min, max, unit) })
    .strict()
    .refine((r) => r.min <= r.max, `min must not be above max (${unit})`);

/**
 * The press limits as an installation record holds them: every field present (a record never takes a
 * default), each within bounds no real rig leaves, and the fields consistent with each other. A rig's own
 * figures are checked with this when they are installed and every time the record is loaded.
 */
export const pressHardwareRecordSchema = z
  .object({
    loadCellCapacityN: range(50, 1_000_000, 'N'),
    usableFraction: range(0.1, 1, '(a fraction of the capacity)'),
    nominalCountsPerN: range(0.01, 100_000, 'counts/N'),
    spanTolerance: range(0.001, 0.5, '(a fraction)'),
    maxZeroOffsetCounts: range(1, ADC_FULL_SCALE_COUNTS, 'counts'),
    nearZeroN: range(0.01, 20_000, 'N'),
    minSpanForceN: range(1, 1_000_000, 'N'),
    pumpSpeedMmPerS: range(0.00001, 10, 'mm/s'),
    releaseSpeedMmPerS: range(0.00001, 10, 'mm/s'),
    nominalStiffnessNPerMm: range(10, 100_000_000, 'N/mm'),
    maxStiffnessNPerMm: range(10, 100_000_000, 'N/mm'),
    guardMarginN: range(0, 100_000, 'N'),
    overloadGapMPa: range(0, 100, 'MPa'),
    toleranceMPa: span(0.001, 100, 'MPa'),
    minRampMPaPerS: range(0.0001, 100, 'MPa/s'),
    holdPeriodMs: span(50, 60_000, 'ms'),
  })
  .strict()
  .superRefine((p, ctx) => {
    const bad = (path: keyof typeof p, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (
      p.loadCellCapacityN * p.nominalCountsPerN * (1 + p.spanTolerance) + p.maxZeroOffsetCounts >
      ADC_FULL_SCALE_COUNTS
    )
      bad(
        'nominalCountsPerN',
        `the load cell's capacity at this sensitivity does not fit the 24-bit ADC (${ADC_FULL_SCALE_COUNTS} counts)`,
      );
    if (p.maxZeroOffsetCounts / p.nominalCountsPerN > 0.05 * p.loadCellCapacityN)
      bad(
        'maxZeroOffsetCounts',
        'a zero window over 5 % of the capacity would let a zero taken under load pass',
      );
    if (p.nearZeroN > 0.02 * p.loadCellCapacityN)
      bad('nearZeroN', 'a "no load" of over 2 % of the capacity is not a released press');
    if (!(p.minSpanForceN > p.nearZeroN && p.minSpanForceN < p.loadCellCapacityN * p.usableFraction))
      bad('minSpanForceN', "must be above nearZeroN and below the cell's usable range");
    if (p.maxStiffnessNPerMm < p.nominalStiffnessNPerMm)
      bad('maxStiffnessNPerMm', 'the stiffest stack assumed must be at least the nominal one');
    if (p.guardMarginN > 0.1 * p.loadCellCapacityN)
      bad('guardMarginN', 'a guard margin over 10 % of the capacity leaves no room to hold');
  });

export const ovenHardwareRecordSchema = z
  .object({
    maxTempC: range(30, 1000, 'C'),
    maxRampCPerMin: range(0.001, 100, 'C/min'),
    minRampCPerMin: range(0.001, 100, 'C/min'),
  })
  .strict()
  .refine((o) => o.minRampCPerMin <= o.maxRampCPerMin, {
    path: ['minRampCPerMin'],
    message: 'must not be above maxRampCPerMin',
  });

export const rigHardwareRecordSchema = z
  .object({ press: pressHardwareRecordSchema, oven: ovenHardwareRecordSchema })
  .strict();

/** One refused setting: which (as the caller names it) and why, in a sentence. */
export type SettingProblem = { setting: string; message: string };

/** A number as people write it: at most `digits` decimals, no trailing zeros. */
const fmt = (x: number, digits = 1) => String(Number(x.toFixed(digits)));

/** Highest stack pressure the load cell measures within its usable range on this die, MPa. */
export function maxMeasurableMPa(hw: PressHardware, dieDiameterMm: number): number {
  return (hw.loadCellCapacityN * hw.usableFraction) / dieAreaMm2(dieDiameterMm);
}

/** Pressure the load cell's full rated capacity means on this die, MPa: beyond it a reading is not believable. */
export function capacityMPa(hw: PressHardware, dieDiameterMm: number): number {
  return hw.loadCellCapacityN / dieAreaMm2(dieDiameterMm);
}

/** Fastest ramp the press follows on the nominal stack and this die, MPa/s. */
export function maxRampMPaPerS(hw: PressHardware, dieDiameterMm: number): number {
  return (0.8 * hw.pumpSpeedMmPerS * hw.nominalStiffnessNPerMm) / dieAreaMm2(dieDiameterMm);
}

export type PressSettings = {
  dieDiameterMm: number;
  targetMPa: number;
  toleranceMPa: number;
  rampMPaPerS: number;
  overloadMPa: number;
  /** The hold's control period, when it is a hold. */
  periodMs?: number;
};

/**
 * Every pressure setpoint and limit against the press hardware. `names` maps each setting to what the user
 * calls it (`--target`, `targetMPa`). An empty list means the settings may run.
 */
export function checkPressSettings(
  s: PressSettings,
  hw: PressHardware,
  names: Partial<Record<keyof PressSettings, string>> = {},
): SettingProblem[] {
  const name = (k: keyof PressSettings) => names[k] ?? k;
  const problems: SettingProblem[] = [];
  const refuse = (k: keyof PressSettings, message: string) => problems.push({ setting: name(k), message });
  const topMPa = maxMeasurableMPa(hw, s.dieDiameterMm);
  const cell = `the ${fmt(hw.loadCellCapacityN / 1000)} kN load cell reads up to ${fmt(topMPa)} MPa on the ${fmt(s.dieDiameterMm)} mm die (${fmt(hw.usableFraction * 100, 0)} % of its capacity)`;
  const { min: tolMin, max: tolMax } = hw.toleranceMPa;
  const tolOk = s.toleranceMPa >= tolMin && s.toleranceMPa <= tolMax;
  if (!tolOk)
    refuse(
      'toleranceMPa',
      `${name('toleranceMPa')} ${fmt(s.toleranceMPa, 2)} MPa is not a usable hold band: narrower and the load cell's noise alone leaves the band, wider and the band says nothing about the cell; allowed ${fmt(tolMin)} to ${fmt(tolMax)} MPa`,
    );
  const tol = tolOk ? s.toleranceMPa : tolMin;
  // The gap keeps the band clear of the safety layer's pump stop, which sits two margins below the limit.
  const gapMPa = Math.max(hw.overloadGapMPa, (2 * hw.guardMarginN) / dieAreaMm2(s.dieDiameterMm));
  const targetMax = topMPa - gapMPa - tol;
  const targetOk = s.targetMPa >= 0 && s.targetMPa <= targetMax;
  if (!targetOk)
    refuse(
      'targetMPa',
      `${name('targetMPa')} ${fmt(s.targetMPa)} MPa is more than this rig can hold: ${cell}, and the overload limit must fit above the band; allowed 0 to ${fmt(targetMax)} MPa`,
    );
  const rampMax = maxRampMPaPerS(hw, s.dieDiameterMm);
  if (!(s.rampMPaPerS >= hw.minRampMPaPerS && s.rampMPaPerS <= rampMax))
    refuse(
      'rampMPaPerS',
      `${name('rampMPaPerS')} ${fmt(s.rampMPaPerS, 2)} MPa/s is ${s.rampMPaPerS > rampMax ? 'faster than the press can follow' : 'too slow to be a ramp'}: its pump moves the ram ${hw.pumpSpeedMmPerS} mm/s, about ${fmt(rampMax / 0.8)} MPa/s on the nominal stack and ${fmt(s.dieDiameterMm)} mm die; allowed ${hw.minRampMPaPerS} to ${fmt(rampMax, 2)} MPa/s`,
    );
  const bandTop = s.targetMPa + tol;
  const overloadMin = bandTop + gapMPa;
  if (s.overloadMPa > topMPa)
    refuse(
      'overloadMPa',
      `${name('overloadMPa')} ${fmt(s.overloadMPa)} MPa is above what this rig can measure: ${cell}; allowed ${targetOk ? `${fmt(overloadMin, 2)} to ` : 'up to '}${fmt(topMPa)} MPa`,
    );
  else if (targetOk && !(s.overloadMPa >= overloadMin))
    refuse(
      'overloadMPa',
      `${name('overloadMPa')} ${fmt(s.overloadMPa)} MPa is not above the hold band: it must be at least ${fmt(gapMPa, 2)} MPa above target + tolerance (${fmt(bandTop, 2)} MPa); allowed ${fmt(overloadMin, 2)} to ${fmt(topMPa)} MPa`,
    );
  if (s.periodMs !== undefined && !(s.periodMs >= hw.holdPeriodMs.min && s.periodMs <= hw.holdPeriodMs.max))
    refuse(
      'periodMs',
      `${name('periodMs')} ${fmt(s.periodMs, 0)} ms is not a usable control period for a pressure hold: the safety layer checks the load cell once per period; allowed ${hw.holdPeriodMs.min} to ${hw.holdPeriodMs.max} ms`,
    );
  return problems;
}

export type CalibrationSettings = { zeroCounts: number; countsPerN: number };

/** A load-cell calibration against the cell and ADC as built: a zero far off or a span far from nominal is a wiring or typing error. */
export function checkCalibration(
  c: CalibrationSettings,
  hw: PressHardware,
  names: Partial<Record<keyof CalibrationSettings, string>> = {},
): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const zeroName = names.zeroCounts ?? 'zeroCounts';
  const spanName = names.countsPerN ?? 'countsPerN';
  if (!(Math.abs(c.zeroCounts) <= hw.maxZeroOffsetCounts))
    problems.push({
      setting: zeroName,
      message: `${zeroName} ${fmt(c.zeroCounts, 0)} counts is not an unloaded reading: a healthy cell and ADC read within ${hw.maxZeroOffsetCounts} counts of 0 with nothing on them (a zero taken under load would move the overload limit); allowed -${hw.maxZeroOffsetCounts} to ${hw.maxZeroOffsetCounts}`,
    });
  const lo = hw.nominalCountsPerN * (1 - hw.spanTolerance);
  const hi = hw.nominalCountsPerN * (1 + hw.spanTolerance);
  if (!(c.countsPerN >= lo && c.countsPerN <= hi))
    problems.push({
      setting: spanName,
      message: `${spanName} ${fmt(c.countsPerN, 3)} counts/N is not this rig's load cell: it is built for ${hw.nominalCountsPerN} counts/N, and a span more than ${fmt(hw.spanTolerance * 100, 0)} % off means a wrong known load or wiring; allowed ${fmt(lo, 2)} to ${fmt(hi, 2)}`,
    });
  return problems;
}

export type OvenSegmentSettings = { name: string; targetC: number; rampCPerMin: number | 'step' };

/** Oven cutoff and every segment of a profile against the oven's ratings. `what` names the profile. */
export function checkOvenSettings(
  s: { overTempCutoffC: number; soakBandC: number; segments: readonly OvenSegmentSettings[] },
  hw: OvenHardware,
  names: { overTempCutoffC?: string; segments?: string } = {},
): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const cutoffName = names.overTempCutoffC ?? 'overTempCutoffC';
  const segName = names.segments ?? 'segment';
  if (!(s.overTempCutoffC > 0 && s.overTempCutoffC <= hw.maxTempC))
    problems.push({
      setting: cutoffName,
      message: `${cutoffName} ${fmt(s.overTempCutoffC)} C is above what the oven is rated for: its chamber, heater and seals are rated to ${hw.maxTempC} C; allowed up to ${hw.maxTempC} C`,
    });
  const cutoff = Math.min(s.overTempCutoffC, hw.maxTempC);
  const maxTarget = cutoff - s.soakBandC;
  for (const [i, seg] of s.segments.entries()) {
    const label = `${segName} ${i + 1} ('${seg.name}')`;
    if (!(seg.targetC >= 0 && seg.targetC < maxTarget))
      problems.push({
        setting: `${segName} ${i + 1}`,
        message: `${label} targets ${fmt(seg.targetC)} C, at or above the over-temperature cutoff (${fmt(cutoff)} C) less the soak band: allowed 0 to below ${fmt(maxTarget)} C`,
      });
    if (
      seg.rampCPerMin !== 'step' &&
      !(seg.rampCPerMin >= hw.minRampCPerMin && seg.rampCPerMin <= hw.maxRampCPerMin)
    )
      problems.push({
        setting: `${segName} ${i + 1}`,
        message: `${label} ramps at ${fmt(seg.rampCPerMin, 2)} C/min, ${seg.rampCPerMin > hw.maxRampCPerMin ? 'faster than the oven can heat' : 'too slow to be a ramp'} (its heater follows about ${hw.maxRampCPerMin} C/min near 200 C); allowed ${hw.minRampCPerMin} to ${hw.maxRampCPerMin} C/min, or "step"`,
      });
  }
  return problems;
}

/** One line for a log, a status or a CLI error. */
export function describeProblems(problems: readonly SettingProblem[]): string {
  return problems.map((p) => p.message).join('; ');
}
