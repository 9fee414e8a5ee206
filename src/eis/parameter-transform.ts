/**
 * Bounds through a change of variable, so Levenberg-Marquardt works unconstrained. A positive
 * parameter is p = exp(t): within the range the data see, t = u (log scale, which also puts pF and MOhm
 * on one scale); in the margins beyond it, t approaches the bound as a tanh of u, with slope 1 where the
 * margin starts, so a parameter the data cannot see drifts to a bound instead of to 1e130. An exponent
 * is the logistic of u over (0, 1]. Every u maps inside the bounds, so no iterate can leave them.
 */
import type { ParamKind } from './elements';
import type { ParameterBound } from './parameter-bounds';

/** Starts are kept this far (share of a margin or of (0, 1)) off a bound, where the inverse is infinite. */
const EDGE = 1e-9;

const scaled = (b: ParameterBound, p: number) => (b.logScale ? Math.log(p) : p);

/** The parameter's position in its bound, 0 at the lower and 1 at the upper. */
export function boundPosition(b: ParameterBound, p: number): number {
  const lo = scaled(b, b.lower);
  const hi = scaled(b, b.upper);
  return (scaled(b, p) - lo) / (hi - lo);
}

type LogMargins = { a: number; c: number; below: number; above: number };

/** Per bound, computed once: the fitter maps every parameter on every model evaluation. */
const marginsOf = new WeakMap<ParameterBound, LogMargins>();

function logMargins(b: ParameterBound): LogMargins {
  let m = marginsOf.get(b);
  if (!m) {
    const a = Math.log(b.innerLower);
    const c = Math.log(b.innerUpper);
    m = { a, c, below: a - Math.log(b.lower), above: Math.log(b.upper) - c };
    marginsOf.set(b, m);
  }
  return m;
}

export function toInternal(b: ParameterBound, p: number): number {
  if (!b.logScale) {
    const s = Math.min(Math.max(boundPosition(b, p), EDGE), 1 - EDGE);
    return Math.log(s / (1 - s));
  }
  const { a, c, below, above } = logMargins(b);
  const t = Math.log(p);
  if (t > c) return c + above * Math.atanh(Math.min((t - c) / above, 1 - EDGE));
  if (t < a) return a - below * Math.atanh(Math.min((a - t) / below, 1 - EDGE));
  return t;
}

export function toParameter(b: ParameterBound, u: number): number {
  let p: number;
  if (!b.logScale) {
    p = b.lower + (b.upper - b.lower) / (1 + Math.exp(-u));
  } else {
    const { a, c, below, above } = logMargins(b);
    const t =
      u > c ? c + above * Math.tanh((u - c) / above) : u < a ? a - below * Math.tanh((a - u) / below) : u;
    p = Math.exp(t);
  }
  return Math.min(Math.max(p, b.lower), b.upper);
}

/** dp/du, given p: the chain-rule factor for the Jacobian. */
export function parameterSlope(b: ParameterBound, p: number): number {
  if (!b.logScale) {
    const s = Math.min(Math.max(boundPosition(b, p), 0), 1);
    return (b.upper - b.lower) * s * (1 - s);
  }
  const { a, c, below, above } = logMargins(b);
  const t = Math.log(p);
  // d tanh = 1 - tanh^2, and tanh is the margin share already used.
  if (t > c) return p * (1 - ((t - c) / above) ** 2);
  if (t < a) return p * (1 - ((a - t) / below) ** 2);
  return p;
}

/** The value moved inside its bound. */
export function clampToBound(b: ParameterBound, p: number): number {
  return Math.min(Math.max(p, b.lower), b.upper);
}

/** Why a value cannot be a parameter of this kind, or null when it can. */
export function outOfBounds(kind: ParamKind, p: number): string | null {
  if (!Number.isFinite(p)) return 'must be a finite number';
  if (kind === 'positive' && !(p > 0)) return 'must be > 0';
  if (kind === 'exponent' && !(p > 0 && p <= 1)) return 'must be in (0, 1]';
  return null;
}
