/**
 * Load-cell arithmetic: raw ADC counts -> force -> stack pressure on the die. Kept pure so calibration
 * can be tested and reused by the CLI, the nodes and the simulator alike.
 */
import { z } from 'zod';

export const loadCellCalibrationSchema = z.object({
  /** Counts read with no load on the cell (tare). */
  zeroCounts: z.number().finite(),
  /** Counts per newton (the span), from a two-point calibration. */
  countsPerN: z.number().finite().positive(),
});
export type LoadCellCalibration = z.infer<typeof loadCellCalibrationSchema>;

export function forceFromCounts(counts: number, cal: LoadCellCalibration): number {
  return (counts - cal.zeroCounts) / cal.countsPerN;
}

export function countsFromForce(forceN: number, cal: LoadCellCalibration): number {
  return cal.zeroCounts + forceN * cal.countsPerN;
}

/** Die cross-section in mm^2; 1 N/mm^2 is 1 MPa, so force / area gives MPa directly. */
export function dieAreaMm2(dieDiameterMm: number): number {
  return Math.PI * (dieDiameterMm / 2) ** 2;
}

export function pressureMPaFromForce(forceN: number, dieDiameterMm: number): number {
  return forceN / dieAreaMm2(dieDiameterMm);
}

export function forceNFromPressure(pressureMPa: number, dieDiameterMm: number): number {
  return pressureMPa * dieAreaMm2(dieDiameterMm);
}

/** Two known loads and the counts read under them give zero and span. */
export function twoPointCalibration(
  low: { forceN: number; counts: number },
  high: { forceN: number; counts: number },
): LoadCellCalibration {
  const dF = high.forceN - low.forceN;
  if (!(Math.abs(dF) > 0)) throw new Error('two-point calibration needs two different loads');
  const countsPerN = (high.counts - low.counts) / dF;
  if (!(countsPerN > 0))
    throw new Error('two-point calibration: counts must rise with load (check the wiring)');
  return loadCellCalibrationSchema.parse({ zeroCounts: low.counts - low.forceN * countsPerN, countsPerN });
}
