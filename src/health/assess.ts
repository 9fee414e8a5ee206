/**
 * One cell's health from its cycle summaries, its R_CAT per cycle and (optionally) its spectra's tail
 * slopes: the three detectors' results and the alerts they raise, each with the cycle it was first
 * raised at, whether its condition holds now, and its evidence.
 */
import { type RetentionPoint, retention } from '../cycling/retention';
import type { CycleSummary } from '../cycling/summary';
import { type CapacityFadeResult, detectCapacityFade } from './capacity-fade';
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

export type CellHealthInput = {
  readonly cycles: readonly CycleSummary[];
  readonly rcat: readonly RcatPoint[];
  readonly tailSlopes?: ReadonlyMap<number, number>;
  readonly referenceCycle?: number;
};

export type CellHealth = {
  readonly latestCycle: number | null;
  readonly retention: readonly RetentionPoint[];
  readonly resistance: ResistanceGrowthResult;
  readonly softShort: SoftShortResult;
  readonly fade: CapacityFadeResult;
  readonly alerts: readonly HealthAlert[];
  readonly warnings: readonly string[];
};

export function assessCell(input: CellHealthInput): CellHealth {
  const warnings: string[] = [];
  const cycles = [...input.cycles].sort((a, b) => a.cycle - b.cycle);
  const ref = input.referenceCycle ?? cycles[0]?.cycle ?? 1;
  let ret: RetentionPoint[] = [];
  try {
    ret = cycles.length ? retention(cycles, ref) : [];
  } catch (e) {
    warnings.push((e as Error).message);
  }
  const resistance = detectResistanceGrowth(input.rcat);
  const softShort = detectSoftShort(cycles, input.tailSlopes);
  const fade = detectCapacityFade(ret);
  warnings.push(...resistance.warnings, ...softShort.warnings, ...fade.warnings);
  const alerts: HealthAlert[] = [];
  if (softShort.onsetCycle !== null) {
    const last = softShort.cycles[softShort.cycles.length - 1];
    alerts.push({
      kind: 'soft-short',
      severity: 'critical',
      cycle: softShort.onsetCycle,
      active: last?.flagged ?? true,
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
    resistance,
    softShort,
    fade,
    alerts,
    warnings,
  };
}
