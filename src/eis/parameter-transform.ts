/**
 * Bounds through a change of variable, so the optimiser works unconstrained: a positive parameter is
 * p = exp(u), which also puts pF and MOhm on one scale; an exponent in (0, 1] is alpha = 1/(1 + e^-u).
 */
import type { ParamKind } from './elements';

/** Exponents are kept off exactly 0 and 1, where the logistic's inverse is infinite. */
const EXPONENT_EDGE = 1e-9;

export function toInternal(kind: ParamKind, p: number): number {
  if (kind === 'positive') return Math.log(p);
  const a = Math.min(Math.max(p, EXPONENT_EDGE), 1 - EXPONENT_EDGE);
  return Math.log(a / (1 - a));
}

/**
 * A parameter the data cannot see may wander off; capping u keeps it finite (1e-130 .. 1e130) so a
 * result never holds Infinity or 0 for a positive parameter.
 */
const U_LIMIT = 300;

export function toParameter(kind: ParamKind, u: number): number {
  const v = Math.min(Math.max(u, -U_LIMIT), U_LIMIT);
  return kind === 'positive' ? Math.exp(v) : 1 / (1 + Math.exp(-v));
}

/** dp/du, given p: the chain-rule factor for the Jacobian. */
export function parameterSlope(kind: ParamKind, p: number): number {
  return kind === 'positive' ? p : p * (1 - p);
}

/** Why a value cannot be a parameter of this kind, or null when it can. */
export function outOfBounds(kind: ParamKind, p: number): string | null {
  if (!Number.isFinite(p)) return 'must be a finite number';
  if (kind === 'positive' && !(p > 0)) return 'must be > 0';
  if (kind === 'exponent' && !(p > 0 && p <= 1)) return 'must be in (0, 1]';
  return null;
}
