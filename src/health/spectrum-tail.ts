/**
 * The slope of the spectrum's low-frequency tail in the Nyquist plane, -dIm/dRe over its lowest decade
 * of frequency. Semi-infinite diffusion gives about 1 (a 45 degree line); a resistance in parallel with
 * the cell (a soft short) bends the tail toward the real axis, lowering the slope toward 0 and below.
 */
import type { Spectrum } from '../eis/spectrum';
import { fitLine } from './stats';

/** NaN when the lowest decade holds fewer than 3 finite points. */
export function lowFrequencyTailSlope(s: Spectrum, decades = 1): number {
  let fMin = Number.POSITIVE_INFINITY;
  for (const f of s.fHz) if (f > 0 && f < fMin) fMin = f;
  const limit = fMin * 10 ** decades * (1 + 1e-9);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < s.fHz.length; i++) {
    const re = s.reOhm[i]!;
    const im = s.imOhm[i]!;
    if (s.fHz[i]! <= limit && Number.isFinite(re) && Number.isFinite(im)) {
      x.push(re);
      y.push(-im);
    }
  }
  return x.length >= 3 ? fitLine(x, y).slope : Number.NaN;
}
