/**
 * What a researcher reads off a Nyquist plot before fitting: the high-frequency intercept, the arcs'
 * apex frequencies and sizes, the low-frequency end and any inductive tail. The initial guesses are
 * built from these.
 */
import { nonNegativeQuadratic } from '../linalg/nnls';
import type { Spectrum } from './spectrum';

export type ArcFeature = { readonly fHz: number; readonly rOhm: number };

export type SpectrumFeatures = {
  /** Re Z of the highest-frequency capacitive point (Ohm). */
  readonly rHfOhm: number;
  /** Spread of Re Z over the capacitive points (Ohm). */
  readonly rSpanOhm: number;
  /** Largest |Z| (Ohm), a scale for anything else. */
  readonly zMaxOhm: number;
  readonly fMinHz: number;
  readonly fMaxHz: number;
  /** Apexes of -Im Z along frequency, highest frequency first, sized as semicircles (R = 2 * height). */
  readonly arcs: readonly ArcFeature[];
  /** Arcs read from a coarse distribution of relaxation times: also the ones hidden on a shoulder. */
  readonly relaxationArcs: readonly ArcFeature[];
  /** The lowest-frequency capacitive point: angular frequency and -Im Z there. */
  readonly lowOmega: number;
  readonly lowMinusImOhm: number;
  /** Inductance seen at the highest frequency (H), or 0 when the spectrum ends capacitive. */
  readonly inductanceH: number;
};

export function spectrumFeatures(s: Spectrum): SpectrumFeatures {
  const n = s.fHz.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => s.fHz[b]! - s.fHz[a]!);
  const cap = order.filter((i) => s.imOhm[i]! < 0);
  const pts = cap.length > 0 ? cap : order;
  let reMin = Number.POSITIVE_INFINITY;
  let reMax = Number.NEGATIVE_INFINITY;
  let zMax = 0;
  for (const i of order) zMax = Math.max(zMax, Math.hypot(s.reOhm[i]!, s.imOhm[i]!));
  for (const i of pts) {
    reMin = Math.min(reMin, s.reOhm[i]!);
    reMax = Math.max(reMax, s.reOhm[i]!);
  }
  const first = order[0]!;
  const low = pts[pts.length - 1]!;
  return {
    rHfOhm: Math.max(s.reOhm[pts[0]!]!, 0),
    rSpanOhm: Math.max(reMax - reMin, 1e-6 * zMax),
    zMaxOhm: zMax,
    fMinHz: s.fHz[order[n - 1]!]!,
    fMaxHz: s.fHz[first]!,
    arcs: apexes(s, pts),
    relaxationArcs: relaxationArcs(s, pts) ?? [],
    lowOmega: 2 * Math.PI * s.fHz[low]!,
    lowMinusImOhm: Math.max(-s.imOhm[low]!, 1e-6 * zMax),
    inductanceH: s.imOhm[first]! > 0 ? s.imOhm[first]! / (2 * Math.PI * s.fHz[first]!) : 0,
  };
}

/** Local maxima of the lightly smoothed -Im Z, highest frequency first. */
function apexes(s: Spectrum, pts: readonly number[]): ArcFeature[] {
  const y = pts.map((i) => -s.imOhm[i]!);
  const smooth = y.map((v, k) => (y[Math.max(k - 1, 0)]! + 2 * v + y[Math.min(k + 1, y.length - 1)]!) / 4);
  const arcs: ArcFeature[] = [];
  for (let k = 1; k < smooth.length - 1; k++) {
    if (smooth[k]! > smooth[k - 1]! && smooth[k]! >= smooth[k + 1]! && y[k]! > 0) {
      arcs.push({ fHz: s.fHz[pts[k]!]!, rOhm: 2 * y[k]! });
    }
  }
  return arcs;
}

/** RC time constants per decade in the distribution the arcs are read from. */
const TAUS_PER_DECADE = 3;

/**
 * Arcs from a coarse distribution of relaxation times: -Im Z fitted, with weights 1/|Z|, as a
 * non-negative sum of RC arcs R_k omega tau_k / (1 + (omega tau_k)^2) on a log grid of tau, plus a
 * non-negative 1/omega term for a capacitive tail. Each run of R_k between two minima is one arc, of
 * resistance the run's sum at its R-weighted mean time constant. Unlike the apexes of -Im Z, this sees a
 * small arc on the shoulder of a large one. Null when the fit finds nothing (too few points).
 */
function relaxationArcs(s: Spectrum, pts: readonly number[]): ArcFeature[] | null {
  const n = pts.length;
  if (n < 6) return null;
  let wMin = Number.POSITIVE_INFINITY;
  let wMax = 0;
  for (const i of pts) {
    const w = 2 * Math.PI * s.fHz[i]!;
    wMin = Math.min(wMin, w);
    wMax = Math.max(wMax, w);
  }
  const lo = Math.log10(1 / wMax) - 0.5;
  const hi = Math.log10(1 / wMin) + 0.5;
  const m = Math.max(2, Math.min(Math.ceil((hi - lo) * TAUS_PER_DECADE) + 1, n - 1));
  const tau = Float64Array.from({ length: m }, (_, k) => 10 ** (lo + ((hi - lo) * k) / (m - 1)));
  const cols = m + 1; // the RC arcs, then the 1/omega tail
  const a = new Float64Array(n * cols);
  const b = new Float64Array(n);
  pts.forEach((i, row) => {
    const w = 2 * Math.PI * s.fHz[i]!;
    const weight = 1 / (Math.hypot(s.reOhm[i]!, s.imOhm[i]!) || 1);
    b[row] = -s.imOhm[i]! * weight;
    for (let k = 0; k < m; k++) {
      const wt = w * tau[k]!;
      a[k * n + row] = (wt / (1 + wt * wt)) * weight;
    }
    a[m * n + row] = weight / w;
  });
  // Normal equations with a light ridge, so neighbouring time constants do not trade off wildly.
  const h = new Float64Array(cols * cols);
  const c = new Float64Array(cols);
  let trace = 0;
  for (let x = 0; x < cols; x++) {
    for (let y = x; y < cols; y++) {
      let sum = 0;
      for (let r = 0; r < n; r++) sum += a[x * n + r]! * a[y * n + r]!;
      h[x * cols + y] = sum;
      h[y * cols + x] = sum;
    }
    let cx = 0;
    for (let r = 0; r < n; r++) cx += a[x * n + r]! * b[r]!;
    c[x] = cx;
    trace += h[x * cols + x]!;
  }
  for (let x = 0; x < cols; x++) h[x * cols + x]! += (1e-6 * trace) / cols + 1e-300;
  const { x } = nonNegativeQuadratic(h, c, cols);
  const r = x.subarray(0, m);
  const peak = Math.max(...r);
  if (!(peak > 0)) return null;
  const arcs: ArcFeature[] = [];
  let k = 0;
  while (k < m) {
    while (k < m && r[k]! <= 1e-3 * peak) k++;
    if (k >= m) break;
    // One arc: climb to its maximum, then descend to the next minimum (or a gap).
    let sum = 0;
    let lnTau = 0;
    let rising = true;
    for (; k < m && r[k]! > 1e-3 * peak; k++) {
      if (!rising && r[k]! > r[k - 1]!) break;
      if (k > 0 && r[k]! < r[k - 1]!) rising = false;
      sum += r[k]!;
      lnTau += r[k]! * Math.log(tau[k]!);
    }
    if (sum > 1e-3 * peak) arcs.push({ fHz: 1 / (2 * Math.PI * Math.exp(lnTau / sum)), rOhm: sum });
  }
  return arcs.length > 0 ? arcs.sort((p, q) => q.fHz - p.fHz) : null;
}
