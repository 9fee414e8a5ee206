/**
 * Peak positions and how they move from cycle to cycle. In a cyclic voltammogram the anodic and cathodic
 * current peaks; in galvanostatic cycling their counterpart, the peaks of the incremental capacity dQ/dV
 * against voltage. A peak that drifts to higher voltage on charge (lower on discharge) cycle after cycle
 * is growing polarisation, the same story R_CAT tells.
 */
import { fitLine } from '../health/stats';
import type { CyclingSample } from './samples';

export type VoltammogramPeaks = {
  readonly anodic: { readonly voltageV: number; readonly currentA: number } | null;
  readonly cathodic: { readonly voltageV: number; readonly currentA: number } | null;
  /** Anodic minus cathodic peak voltage, when both exist. */
  readonly separationV: number | null;
};

/** Largest positive current on rising voltage, largest negative current on falling voltage. */
export function voltammogramPeaks(
  voltageV: readonly number[],
  currentA: readonly number[],
): VoltammogramPeaks {
  const i = smooth(currentA, 2);
  let anodic: VoltammogramPeaks['anodic'] = null;
  let cathodic: VoltammogramPeaks['cathodic'] = null;
  for (let k = 1; k < voltageV.length; k++) {
    const dv = voltageV[k]! - voltageV[k - 1]!;
    const c = i[k]!;
    if (!Number.isFinite(c) || !Number.isFinite(voltageV[k]!)) continue;
    if (dv > 0 && c > 0 && (!anodic || c > anodic.currentA)) anodic = { voltageV: voltageV[k]!, currentA: c };
    if (dv < 0 && c < 0 && (!cathodic || c < cathodic.currentA))
      cathodic = { voltageV: voltageV[k]!, currentA: c };
  }
  return { anodic, cathodic, separationV: anodic && cathodic ? anodic.voltageV - cathodic.voltageV : null };
}

export type IcaPeak = { readonly voltageV: number; readonly dQdVAhPerV: number };

/**
 * Peaks of dQ/dV (Ah per V) over one step's samples (charge or discharge). The charge passed is
 * interpolated onto a voltage grid `binV` apart (the voltage made monotone first: noise would fold it)
 * and differentiated over +-`halfWindowV`; a peak's voltage is the centroid of its top 10 %, which is
 * steadier than the maximum on a broad peak. Peaks under `minFraction` of the largest are left out;
 * highest first.
 */
export function incrementalCapacityPeaks(
  samples: readonly CyclingSample[],
  binV = 0.005,
  halfWindowV = 0.025,
  minFraction = 0.2,
): IcaPeak[] {
  const pts = samples.filter(
    (s) => Number.isFinite(s.voltageV) && Number.isFinite(s.currentA) && Number.isFinite(s.timeS),
  );
  if (pts.length < 5) return [];
  const dir = pts[pts.length - 1]!.voltageV >= pts[0]!.voltageV ? 1 : -1;
  const v: number[] = [];
  const q: number[] = [];
  let qSum = 0;
  let vMono = dir * pts[0]!.voltageV;
  for (let k = 0; k < pts.length; k++) {
    if (k > 0)
      qSum +=
        Math.abs(((pts[k - 1]!.currentA + pts[k]!.currentA) / 2) * (pts[k]!.timeS - pts[k - 1]!.timeS)) /
        3600;
    vMono = Math.max(vMono, dir * pts[k]!.voltageV);
    if (v.length && vMono === v[v.length - 1]) q[q.length - 1] = qSum;
    else {
      v.push(vMono);
      q.push(qSum);
    }
  }
  const n = Math.floor((v[v.length - 1]! - v[0]!) / binV) + 1;
  if (n < 5) return [];
  const grid = Array.from({ length: n }, (_, k) => v[0]! + k * binV);
  const qAt = interpolate(v, q, grid);
  const h = Math.max(1, Math.round(halfWindowV / binV));
  const dqdv = grid.map((_, k) => {
    const a = Math.max(0, k - h);
    const b = Math.min(n - 1, k + h);
    return b > a ? (qAt[b]! - qAt[a]!) / ((b - a) * binV) : 0;
  });
  const top = Math.max(...dqdv);
  const peaks: IcaPeak[] = [];
  for (let k = 1; k < n - 1; k++) {
    const y = dqdv[k]!;
    if (!(y >= minFraction * top && y > dqdv[k - 1]! && y >= dqdv[k + 1]!)) continue;
    let lo = k;
    let hi = k;
    while (lo > 0 && dqdv[lo - 1]! >= 0.9 * y) lo--;
    while (hi < n - 1 && dqdv[hi + 1]! >= 0.9 * y) hi++;
    let w = 0;
    let wv = 0;
    for (let j = lo; j <= hi; j++) {
      w += dqdv[j]!;
      wv += dqdv[j]! * grid[j]!;
    }
    peaks.push({ voltageV: dir * (wv / w), dQdVAhPerV: y });
    k = hi;
  }
  return peaks.sort((x, y) => y.dQdVAhPerV - x.dQdVAhPerV);
}

export type PeakShift = { readonly slopeVPerCycle: number; readonly totalV: number; readonly cycles: number };

/** Least-squares drift of a peak's voltage per cycle, and its total change from first to last. */
export function peakShift(points: readonly { cycle: number; voltageV: number }[]): PeakShift | null {
  const p = points.filter((x) => Number.isFinite(x.voltageV));
  if (p.length < 2) return null;
  const fit = fitLine(
    p.map((x) => x.cycle),
    p.map((x) => x.voltageV),
  );
  return { slopeVPerCycle: fit.slope, totalV: p[p.length - 1]!.voltageV - p[0]!.voltageV, cycles: p.length };
}

/** Linear interpolation of y(x) (x increasing) at each of `at`, clamped at the ends. */
function interpolate(x: readonly number[], y: readonly number[], at: readonly number[]): number[] {
  let j = 0;
  return at.map((t) => {
    while (j < x.length - 2 && x[j + 1]! < t) j++;
    const x0 = x[j]!;
    const x1 = x[j + 1] ?? x0;
    if (x1 === x0) return y[j]!;
    const f = Math.min(1, Math.max(0, (t - x0) / (x1 - x0)));
    return y[j]! + f * (y[j + 1]! - y[j]!);
  });
}

function smooth(xs: readonly number[], half: number): number[] {
  return xs.map((_, k) => {
    let s = 0;
    let n = 0;
    for (let j = Math.max(0, k - half); j <= Math.min(xs.length - 1, k + half); j++) {
      if (Number.isFinite(xs[j]!)) {
        s += xs[j]!;
        n++;
      }
    }
    return n ? s / n : Number.NaN;
  });
}
