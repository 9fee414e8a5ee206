/**
 * One cell's health from its cycle summaries, its R_CAT per cycle (determined or not) and (optionally)
 * its spectra's tail slopes: the three detectors' results and the alerts they raise, each with the cycle
 * it was first raised at, whether its condition holds now, and its evidence.
 */
import { type RetentionPoint, retention } from '../cycling/retention';
import type { CycleSummary } from '../cycling/summary';
import { type CapacityFadeResult, detectCapacityFade } from './capacity-fade';
import type { RcatFit } from './rcat';
import { detectResistanceGrowth, type RcatPoint, type ResistanceGrowthResult } from './resistance-growth';
import { detectSoftShort, type SoftShortResult } from './soft-short';

export type AlertKind = 'soft-short' | 'resistance-growth' | 'capacity-fade';
export type Severity = 'info' | 'warning' | 'critical';

export type HealthAlert = {
  readonly kind: AlertKind;
  readonly severity: Severity;
  /** Cycle at which the condition was first met. */
  readonly cycle: number;
  /** Whether the condition holds at the latest cycle. */
  readonly active: boolean;
  readonly evidence: unknown;
};

/** R_CAT of one cycle as a verdict shows it: a value with its uncertainty, or why there is none. */
export type RcatEntry =
  | {
      readonly cycle: number;
      readonly determined: true;
      readonly rCatOhm: number;
      readonly stderrOhm: number;
      readonly temperatureC: number | null;
    }
  | { readonly cycle: number; readonly determined: false; readonly reason: string };

export type CellHealthInput = {
  readonly cycles: readonly CycleSummary[];
  readonly rcat: readonly RcatFit[];
  /** The cell's temperature when each cycle's spectrum was taken (charged state), where logged. */
  readonly eisTemperatureC?: ReadonlyMap<number, number>;
  readonly tailSlopes?: ReadonlyMap<number, number>;
  readonly referenceCycle?: number;
  readonly activationEv?: number;
  readonly pressureMPa?: number;
};

export type CellHealth = {
  readonly latestCycle: number | null;
  readonly retention: readonly RetentionPoint[];
  readonly rcat: readonly RcatEntry[];
  readonly resistance: ResistanceGrowthResult;
  readonly softShort: SoftShortResult;
  readonly fade: CapacityFadeResult;
  readonly alerts: readonly HealthAlert[];
  readonly warnings: readonly string[];
};

export function rcatEntries(fits: readonly RcatFit[], temps?: ReadonlyMap<number, number>): RcatEntry[] {
  return [...fits]
    .sort((a, b) => a.cycle - b.cycle)
    .map((f) =>
      f.determined && f.rCatOhm !== null && f.rCatStderrOhm !== null
        ? {
            cycle: f.cycle,
            determined: true,
            rCatOhm: f.rCatOhm,
            stderrOhm: f.rCatStderrOhm,
            temperatureC: temps?.get(f.cycle) ?? null,
          }
        : { cycle: f.cycle, determined: false, reason: f.reason ?? 'not determined' },
    );
}

export function assessCell(input: CellHealthInput): CellHealth {
  const warnings: string[] = [];
  const cycles = [...input.cycles].sort((a, b) => a.cycle - b.cycle);
  // A cycle cut short (a file that ends mid-cycle, a channel that went silent) has no retention: its
  // missing discharge is not a capacity of 0.
  const complete = cycles.filter((c) => c.chargeAh > 0 && c.dischargeAh > 0);
  const ref = input.referenceCycle ?? complete[0]?.cycle ?? 1;
  let ret: RetentionPoint[] = [];
  try {
    ret = complete.length ? retention(complete, ref) : [];
  } catch (e) {
    warnings.push((e as Error).message);
  }
  const rcat = rcatEntries(input.rcat, input.eisTemperatureC);
  const points: RcatPoint[] = rcat.flatMap((r) =>
    r.determined
      ? [{ cycle: r.cycle, rCatOhm: r.rCatOhm, stderrOhm: r.stderrOhm, temperatureC: r.temperatureC }]
      : [],
  );
  const resistance = detectResistanceGrowth(points, {
    ...(input.activationEv !== undefined ? { activationEv: input.activationEv } : {}),
    ...(input.pressureMPa !== undefined ? { pressureMPa: input.pressureMPa } : {}),
  });
  const softShort = detectSoftShort(cycles, input.tailSlopes);
  const fade = detectCapacityFade(ret);
  warnings.push(...resistance.warnings, ...softShort.warnings, ...fade.warnings);
  const alerts: HealthAlert[] = [];
  if (softShort.onsetCycle !== null) {
    alerts.push({
      kind: 'soft-short',
      severity: softShort.severity ?? 'warning',
      cycle: softShort.onsetCycle,
      active: softShort.latest?.flagged ?? true,
      evidence: softShort.evidence,
    });
  }
  if (resistance.alarmCycle !== null) {
    alerts.push({
      kind: 'resistance-growth',
      severity: 'warning',
      cycle: resistance.alarmCycle,
      active: resistance.alarm,
      evidence: resistance.evidence,
    });
  }
  if (fade.alarmCycle !== null) {
    alerts.push({
      kind: 'capacity-fade',
      severity: 'warning',
      cycle: fade.alarmCycle,
      active: fade.alarm,
      evidence: fade.evidence,
    });
  }
  return {
    latestCycle: cycles[cycles.length - 1]?.cycle ?? null,
    retention: ret,
    rcat,
    resistance,
    softShort,
    fade,
    alerts,
    warnings,
  };
}
