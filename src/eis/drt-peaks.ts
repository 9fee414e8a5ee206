/**
 * Peaks of a DRT: each local maximum of gamma(ln tau) that stands out by more than a floor (a fraction
 * of the largest gamma) above the minima beside it, with its time constant (refined by
 * a parabola through the three grid points around the maximum), the matching frequency 1/(2 pi tau),
 * and its resistance: the integral of gamma over ln tau between the minima on either side.
 */
export type DrtPeak = {
  readonly tauS: number;
  /** Characteristic frequency 1/(2 pi tau) (Hz). */
  readonly fHz: number;
  readonly gammaOhm: number;
  /** Resistance under the peak (Ohm). */
  readonly rOhm: number;
  /** rOhm as a fraction of the polarisation resistance. */
  readonly share: number;
};

/** tauS must be log-uniform (as the DRT's output grid is). */
export function findPeaks(
  tauS: Float64Array,
  gammaOhm: Float64Array,
  rPolOhm: number,
  minPeakFraction: number,
): DrtPeak[] {
  const n = gammaOhm.length;
  if (n < 3) return [];
  let max = 0;
  for (const g of gammaOhm) max = Math.max(max, g);
  if (!(max > 0)) return [];
  const floor = minPeakFraction * max;
  const dy = Math.log(tauS[1]! / tauS[0]!);
  const maxima: number[] = [];
  for (let k = 1; k < n - 1; k++) {
    const g = gammaOhm[k]!;
    // >= on the left so a flat top yields one peak.
    if (g > floor && g >= gammaOhm[k - 1]! && g > gammaOhm[k + 1]!) maxima.push(k);
  }
  // A maximum that rises less than the floor above the higher of the minima beside it is a ripple on
  // its neighbour's flank (or a split top), not a process of its own: drop it, lowest first.
  for (;;) {
    let weakest = -1;
    let weakestProminence = floor;
    for (let p = 0; p < maxima.length; p++) {
      const k = maxima[p]!;
      const leftMin = p === 0 ? 0 : gammaOhm[argMin(gammaOhm, maxima[p - 1]!, k)]!;
      const rightMin = p === maxima.length - 1 ? 0 : gammaOhm[argMin(gammaOhm, k, maxima[p + 1]!)]!;
      const prominence = gammaOhm[k]! - Math.max(leftMin, rightMin);
      if (prominence < weakestProminence) {
        weakestProminence = prominence;
        weakest = p;
      }
    }
    if (weakest < 0) break;
    maxima.splice(weakest, 1);
  }
  const peaks: DrtPeak[] = [];
  for (let p = 0; p < maxima.length; p++) {
    const k = maxima[p]!;
    // Region: from the lowest point between the previous maximum and this one, to the next such point.
    const left = p === 0 ? 0 : argMin(gammaOhm, maxima[p - 1]!, k);
    const right = p === maxima.length - 1 ? n - 1 : argMin(gammaOhm, k, maxima[p + 1]!);
    let area = 0;
    for (let i = left; i < right; i++) area += 0.5 * (gammaOhm[i]! + gammaOhm[i + 1]!) * dy;
    const g0 = gammaOhm[k - 1]!;
    const g1 = gammaOhm[k]!;
    const g2 = gammaOhm[k + 1]!;
    const curvature = g0 - 2 * g1 + g2;
    const offset = curvature < 0 ? (0.5 * (g0 - g2)) / curvature : 0;
    const tau = tauS[k]! * Math.exp(offset * dy);
    peaks.push({
      tauS: tau,
      fHz: 1 / (2 * Math.PI * tau),
      gammaOhm: g1 - 0.25 * (g0 - g2) * offset,
      rOhm: area,
      share: rPolOhm > 0 ? area / rPolOhm : 0,
    });
  }
  return peaks;
}

function argMin(values: Float64Array, from: number, to: number): number {
  let best = from;
  for (let i = from; i <= to; i++) if (values[i]! < values[best]!) best = i;
  return best;
}
