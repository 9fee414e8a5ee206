/**
 * Bounds for every circuit parameter, tied to the spectrum's scale. A positive parameter with unit
 * Ohm^a s^b shapes the fit only while it is of the size |Z|^a t^b takes over the data (|Z| from the
 * smallest to the largest measured, t = 1/omega over the measured range); far beyond that it is
 * invisible, and a fit that drives it there has run away. The bounds are that range widened by
 * BOUND_MARGIN_DECADES on each side: far beyond any value fitted to a measured spectrum here, and far
 * enough that a parameter the data push to 0 or infinity changes the fit by a part in 1e12 or less at
 * its bound, yet finite and positive. Exponents stay in (0, 1].
 */
import type { Circuit } from './circuit';
import type { Spectrum } from './spectrum';

export const BOUND_MARGIN_DECADES = 12;
/** Within this many decades of the data's range a parameter moves freely (parameter-transform.ts). */
export const FREE_MARGIN_DECADES = 3;

export type ParameterBound = {
  readonly lower: number;
  readonly upper: number;
  /** Positive parameters are bounded and moved on a log scale, exponents on a linear one. */
  readonly logScale: boolean;
  /** The range within which it moves freely, inside [lower, upper] (for exponents, the whole range). */
  readonly innerLower: number;
  readonly innerUpper: number;
};

/** Exponents: (0, 1], kept a hair above 0 so a result is positive, as the element's formula needs. */
export const EXPONENT_BOUND: ParameterBound = {
  lower: 1e-9,
  upper: 1,
  logScale: false,
  innerLower: 1e-9,
  innerUpper: 1,
};

export type SpectrumScale = {
  readonly minModulusOhm: number;
  readonly maxModulusOhm: number;
  readonly minOmega: number;
  readonly maxOmega: number;
};

/** |Z| and omega ranges of a spectrum whose points are all finite, with f > 0 and |Z| > 0. */
export function spectrumScale(s: Spectrum): SpectrumScale {
  let minModulusOhm = Number.POSITIVE_INFINITY;
  let maxModulusOhm = 0;
  let minOmega = Number.POSITIVE_INFINITY;
  let maxOmega = 0;
  for (let i = 0; i < s.fHz.length; i++) {
    const m = Math.hypot(s.reOhm[i]!, s.imOhm[i]!);
    minModulusOhm = Math.min(minModulusOhm, m);
    maxModulusOhm = Math.max(maxModulusOhm, m);
    const w = 2 * Math.PI * s.fHz[i]!;
    minOmega = Math.min(minOmega, w);
    maxOmega = Math.max(maxOmega, w);
  }
  return { minModulusOhm, maxModulusOhm, minOmega, maxOmega };
}

/** The bounds of each parameter of the circuit, in parameterNames order. */
export function parameterBounds(circuit: Circuit, scale: SpectrumScale): ParameterBound[] {
  const lnZ = [Math.log(scale.minModulusOhm), Math.log(scale.maxModulusOhm)];
  const lnT = [-Math.log(scale.maxOmega), -Math.log(scale.minOmega)];
  const margin = BOUND_MARGIN_DECADES * Math.LN10;
  const freeMargin = FREE_MARGIN_DECADES * Math.LN10;
  const bounds: ParameterBound[] = [];
  for (const e of circuit.elements) {
    for (const p of e.def.params) {
      if (p.kind === 'exponent' || !p.dims) {
        bounds.push(EXPONENT_BOUND);
        continue;
      }
      // ln p = a ln Z + b ln t is linear in each, so its extremes lie at the corners.
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const z of lnZ) {
        for (const t of lnT) {
          for (const b of p.dims.s) {
            const v = p.dims.ohm * z + b * t;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
      }
      bounds.push({
        lower: Math.exp(lo - margin),
        upper: Math.exp(hi + margin),
        logScale: true,
        innerLower: Math.exp(lo - freeMargin),
        innerUpper: Math.exp(hi + freeMargin),
      });
    }
  }
  return bounds;
}
