/**
 * Soft-short detector: fuses four signs of a leakage path through the separator, each judged against a
 * baseline of the cell's own recent healthy cycles (median of up to 5 unflagged cycles before, from
 * cycle 2 on, at least 2 of them).
 *
 * Criterion (a cycle is flagged when at least 2 of the 4 signals are present):
 *  - charge-stall: the charge voltage stops rising or falls: its rise over the last 10 % of the charge
 *    time is under 30 % of the baseline rise, or it dips more than 10 mV below its running maximum.
 *  - charge-overshoot: charge capacity above 105 % of the baseline while coulombic efficiency is more
 *    than 2 points below the baseline: charge went in and did not come back.
 *  - rest-decay: over the second half of the rest after charge the voltage falls more than 10 mV/h
 *    faster than the baseline (polarisation has relaxed by then; a leak keeps discharging the cell).
 *  - spectrum-plateau: the low-frequency tail of the spectrum bends toward the real axis: its slope
 *    -dIm/dRe over the lowest decade falls under 80 % of the baseline (about 1 for diffusion).
 * The first flagged cycle is the onset; flagged cycles never enter the baseline.
 */
import type { CycleSummary } from '../cycling/summary';
import { median, round } from './stats';

export type SoftShortSignalName = 'charge-stall' | 'charge-overshoot' | 'rest-decay' | 'spectrum-plateau';

export type SoftShortSignal = {
  readonly name: SoftShortSignalName;
  readonly present: boolean;
  readonly value: number;
  readonly threshold: number;
  readonly baseline: number;
  /** The figures behind the decision, in words. */
  readonly detail: string;
};

export type SoftShortCycle = {
  readonly cycle: number;
  readonly flagged: boolean;
  readonly signals: readonly SoftShortSignal[];
  readonly baselineCycles: readonly number[];
};

export type SoftShortResult = {
  readonly detected: boolean;
  readonly onsetCycle: number | null;
  /** The onset cycle's evaluation, or the latest one when nothing was flagged. */
  readonly evidence: SoftShortCycle | null;
  readonly cycles: readonly SoftShortCycle[];
  readonly warnings: readonly string[];
};

export const SOFT_SHORT_CRITERIA = {
  firstBaselineCycle: 2,
  baselineCycles: 5,
  minBaselineCycles: 2,
  signalsRequired: 2,
  stallRiseFraction: 0.3,
  stallDipV: 0.01,
  overshootFraction: 1.05,
  efficiencyDrop: 0.02,
  restDecayVPerH: 0.01,
  tailSlopeFraction: 0.8,
} as const;

/** `tailSlopes`: per cycle, the spectrum's low-frequency tail slope (see spectrum-tail.ts), when known. */
export function detectSoftShort(
  cycles: readonly CycleSummary[],
  tailSlopes: ReadonlyMap<number, number> = new Map(),
  c = SOFT_SHORT_CRITERIA,
): SoftShortResult {
  const warnings: string[] = [];
  const healthy: CycleSummary[] = [];
  const results: SoftShortCycle[] = [];
  let onset: SoftShortCycle | null = null;
  for (const cy of [...cycles].sort((a, b) => a.cycle - b.cycle)) {
    if (!(cy.chargeAh > 0) || !(cy.dischargeAh > 0) || cy.coulombicEfficiency === null) {
      warnings.push(`cycle ${cy.cycle} has no complete charge and discharge: not evaluated`);
      continue;
    }
    if (cy.cycle < c.firstBaselineCycle) continue;
    const base = healthy.slice(-c.baselineCycles);
    if (base.length < c.minBaselineCycles) {
      healthy.push(cy);
      continue;
    }
    const signals = evaluate(cy, base, tailSlopes, c);
    const flagged = signals.filter((s) => s.present).length >= c.signalsRequired;
    const r: SoftShortCycle = { cycle: cy.cycle, flagged, signals, baselineCycles: base.map((b) => b.cycle) };
    results.push(r);
    if (flagged) onset ??= r;
    else healthy.push(cy);
  }
  return {
    detected: onset !== null,
    onsetCycle: onset?.cycle ?? null,
    evidence: onset ?? results[results.length - 1] ?? null,
    cycles: results,
    warnings,
  };
}

function evaluate(
  cy: CycleSummary,
  base: CycleSummary[],
  tailSlopes: ReadonlyMap<number, number>,
  c: typeof SOFT_SHORT_CRITERIA,
): SoftShortSignal[] {
  const med = (f: (b: CycleSummary) => number | null | undefined) =>
    median(base.map(f).filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  const signals: SoftShortSignal[] = [];
  const sig = (
    name: SoftShortSignalName,
    present: boolean,
    value: number,
    threshold: number,
    baseline: number,
    detail: string,
  ) =>
    signals.push({
      name,
      present,
      value: round(value),
      threshold: round(threshold),
      baseline: round(baseline),
      detail,
    });
  const mV = (v: number) => `${round(v * 1000, 3)} mV`;

  const riseBase = med((b) => b.chargeFinalRiseV);
  if (cy.chargeFinalRiseV !== null && Number.isFinite(riseBase)) {
    const threshold = c.stallRiseFraction * riseBase;
    const stalled = cy.chargeFinalRiseV < threshold || cy.chargeDipV > c.stallDipV;
    // The value shown is the rise; a dip that triggered it is visible as a negative or small rise.
    sig(
      'charge-stall',
      stalled,
      cy.chargeFinalRiseV,
      threshold,
      riseBase,
      `final charge rise ${mV(cy.chargeFinalRiseV)} (baseline ${mV(riseBase)}, threshold ${mV(threshold)}); ` +
        `dip ${mV(cy.chargeDipV)} (threshold ${mV(c.stallDipV)}); max ${round(cy.chargeMaxV ?? Number.NaN)} V`,
    );
  }
  const chargeBase = med((b) => b.chargeAh);
  const ceBase = med((b) => b.coulombicEfficiency);
  const ce = cy.coulombicEfficiency ?? Number.NaN;
  const overshoot = cy.chargeAh > c.overshootFraction * chargeBase && ce < ceBase - c.efficiencyDrop;
  sig(
    'charge-overshoot',
    overshoot,
    cy.chargeAh / chargeBase,
    c.overshootFraction,
    1,
    `charge ${round(cy.chargeAh * 1000)} mAh vs baseline ${round(chargeBase * 1000)} mAh; ` +
      `coulombic efficiency ${round(ce)} vs baseline ${round(ceBase)} (drop threshold ${c.efficiencyDrop})`,
  );

  const restBase = med((b) => b.restAfterCharge?.lateSlopeVPerH);
  const rest = cy.restAfterCharge?.lateSlopeVPerH;
  if (rest !== undefined && Number.isFinite(restBase)) {
    const threshold = restBase - c.restDecayVPerH;
    sig(
      'rest-decay',
      rest < threshold,
      rest,
      threshold,
      restBase,
      `rest voltage slope ${mV(rest)}/h vs baseline ${mV(restBase)}/h (threshold ${mV(threshold)}/h)`,
    );
  }
  const tail = tailSlopes.get(cy.cycle);
  const tailBase = median(
    base.map((b) => tailSlopes.get(b.cycle)).filter((v): v is number => v !== undefined),
  );
  if (tail !== undefined && Number.isFinite(tailBase)) {
    const threshold = c.tailSlopeFraction * tailBase;
    sig(
      'spectrum-plateau',
      tail < threshold,
      tail,
      threshold,
      tailBase,
      `low-frequency tail slope ${round(tail, 3)} vs baseline ${round(tailBase, 3)} (threshold ${round(threshold, 3)})`,
    );
  }
  return signals;
}
