/**
 * What a researcher reads off a Nyquist plot before fitting: the high-frequency intercept, the arcs'
 * apex frequencies and sizes, the low-frequency end and any inductive tail. The initial guesses are
 * built from these.
 */
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
