/**
 * What the data say about each fitted parameter: its standard error and correlations from the
 * covariance s^2 (J^T J)^-1 (s^2 = SSR / (2N - m), J the weighted Jacobian in parameter space, as
 * scipy's curve_fit reports it), and whether it is determined at all. A parameter is not determined
 * when it sits at a bound (the data pushed it out of their range), when its standard error exceeds its
 * value, when it has no finite standard error (J^T J is singular along it), or when it moves in
 * lockstep with another (|correlation| > 0.99) so that the trade-off leaves it uncertain by more than a
 * tenth of its value. A strong correlation alone is no verdict: a CPE's Q and alpha correlate by 0.99
 * and more on a noise-free spectrum fitted to 14 digits (Q is referred to 1 rad/s, far from the data),
 * and a value known to a few percent is determined whatever its correlations.
 *
 * Parameters at a bound are held there for the covariance, as a bounded fit's active constraints are,
 * so the others keep their standard errors. J^T J is scaled to a unit diagonal and inverted through its
 * eigen-decomposition, leaving out directions the data do not see.
 */
import { gramInPlace } from '../linalg/gram';
import { symmetricEigen } from '../linalg/symmetric-eigen';
import type { ParameterBound } from './parameter-bounds';
import { boundPosition } from './parameter-transform';

export const RELATIVE_STDERR_LIMIT = 1;
export const CORRELATION_LIMIT = 0.99;
/** A correlation above CORRELATION_LIMIT leaves a parameter undetermined when its standard error exceeds this share of it. */
export const CORRELATED_RELATIVE_STDERR = 0.1;
/** Within this share of its range from a bound (log range for positive parameters), a value is at it. */
export const AT_BOUND_TOLERANCE = 1e-6;
/** Eigenvalues of the unit-diagonal J^T J below this share of the largest are directions the data miss. */
const NULL_EIGENVALUE = 1e-13;
/** A parameter whose unit vector has more than this squared share in those directions has no standard error. */
const NULL_SHARE = 0.01;

export type IdentifiabilityFlag =
  | { readonly kind: 'at-bound'; readonly bound: 'lower' | 'upper'; readonly limit: number }
  | { readonly kind: 'no-standard-error' }
  | { readonly kind: 'relative-stderr'; readonly relativeStderr: number }
  | { readonly kind: 'correlated'; readonly with: string; readonly correlation: number };

export type Identifiability = {
  /** Per free parameter, in order; null when it has none (fixed at a bound or not seen by the data). */
  readonly stderr: (number | null)[];
  /** Correlation matrix of the free parameters; NaN where a standard error is missing. */
  readonly correlation: number[][];
  readonly flags: IdentifiabilityFlag[][];
};

export type IdentifiabilityInput = {
  readonly names: readonly string[];
  /** Values of the free parameters. */
  readonly values: ArrayLike<number>;
  readonly bounds: readonly ParameterBound[];
  /** Weighted Jacobian in parameter space, column-major, nResiduals rows, one column per free parameter. */
  readonly jac: Float64Array;
  readonly nResiduals: number;
  /** 0.5 * weighted sum of squares at the solution. */
  readonly cost: number;
};

export function identifiability(input: IdentifiabilityInput): Identifiability {
  const { names, values, bounds, jac, nResiduals: nRes, cost } = input;
  const m = names.length;
  const flags: IdentifiabilityFlag[][] = names.map(() => []);
  const stderr: (number | null)[] = new Array(m).fill(null);
  const correlation = Array.from({ length: m }, () => new Array<number>(m).fill(Number.NaN));

  const active: number[] = [];
  for (let k = 0; k < m; k++) {
    const s = boundPosition(bounds[k]!, values[k]!);
    if (s <= AT_BOUND_TOLERANCE)
      flags[k]!.push({ kind: 'at-bound', bound: 'lower', limit: bounds[k]!.lower });
    else if (s >= 1 - AT_BOUND_TOLERANCE)
      flags[k]!.push({ kind: 'at-bound', bound: 'upper', limit: bounds[k]!.upper });
    else active.push(k);
  }

  const a = active.length;
  const s2 = nRes > m ? (2 * cost) / (nRes - m) : Number.NaN;
  if (a > 0 && Number.isFinite(s2)) {
    // J^T J of the parameters off their bounds, scaled to a unit diagonal.
    const full = new Float64Array(m * m);
    gramInPlace(jac, nRes, m, new Float64Array(nRes), full, new Float64Array(m));
    const scale = new Float64Array(a);
    const jtj = new Float64Array(a * a);
    for (let x = 0; x < a; x++) {
      for (let y = 0; y < a; y++) jtj[x * a + y] = full[active[x]! * m + active[y]!]!;
      scale[x] = Math.sqrt(jtj[x * a + x]!);
    }
    const seen = Array.from(scale, (d) => d > 0 && Number.isFinite(d));
    for (let x = 0; x < a; x++) {
      for (let y = 0; y < a; y++) {
        jtj[x * a + y] = seen[x] && seen[y] ? jtj[x * a + y]! / (scale[x]! * scale[y]!) : x === y ? 1 : 0;
      }
    }
    const { values: lambda, vectors } = symmetricEigen(jtj, a);
    const largest = Math.max(...lambda);
    const kept = Array.from(lambda, (l) => l > NULL_EIGENVALUE * largest && Number.isFinite(l));
    // Scaled covariance: the inverse over the directions kept.
    const inv = new Float64Array(a * a);
    const nullShare = new Float64Array(a);
    for (let i = 0; i < a; i++) {
      for (let x = 0; x < a; x++) {
        const vx = vectors[x * a + i]!;
        if (!kept[i]) {
          nullShare[x]! += vx * vx;
          continue;
        }
        for (let y = 0; y < a; y++) inv[x * a + y]! += (vx * vectors[y * a + i]!) / lambda[i]!;
      }
    }
    const ok = Array.from({ length: a }, (_, x) => seen[x]! && nullShare[x]! <= NULL_SHARE);
    for (let x = 0; x < a; x++) {
      const k = active[x]!;
      if (!ok[x]) {
        flags[k]!.push({ kind: 'no-standard-error' });
        continue;
      }
      const se = Math.sqrt(s2 * inv[x * a + x]!) / scale[x]!;
      stderr[k] = Number.isFinite(se) ? se : null;
      if (stderr[k] === null) flags[k]!.push({ kind: 'no-standard-error' });
    }
    for (let x = 0; x < a; x++) {
      for (let y = 0; y < a; y++) {
        if (!ok[x] || !ok[y]) continue;
        const r = inv[x * a + y]! / Math.sqrt(inv[x * a + x]! * inv[y * a + y]!);
        correlation[active[x]!]![active[y]!] = x === y ? 1 : Math.max(-1, Math.min(1, r));
      }
    }
  } else {
    for (const k of active) flags[k]!.push({ kind: 'no-standard-error' });
  }

  for (let k = 0; k < m; k++) {
    const se = stderr[k];
    if (se === null || se === undefined) continue;
    const rel = se / Math.abs(values[k]!);
    if (!(rel <= RELATIVE_STDERR_LIMIT)) flags[k]!.push({ kind: 'relative-stderr', relativeStderr: rel });
    if (!(rel > CORRELATED_RELATIVE_STDERR)) continue;
    for (let j = 0; j < m; j++) {
      const r = correlation[k]![j]!;
      if (j !== k && Math.abs(r) > CORRELATION_LIMIT)
        flags[k]!.push({ kind: 'correlated', with: names[j]!, correlation: r });
    }
  }
  return { stderr, correlation, flags };
}

/** A flag as a short phrase ("at its upper bound 5.4e+4 Ohm"), for text output and node status. */
export function describeFlag(flag: IdentifiabilityFlag, unit: string): string {
  const u = unit ? ` ${unit}` : '';
  switch (flag.kind) {
    case 'at-bound':
      return `at its ${flag.bound} bound ${flag.limit === 0 || flag.limit === 1 ? flag.limit : flag.limit.toExponential(2)}${u}`;
    case 'no-standard-error':
      return 'no finite standard error (the data do not constrain it)';
    case 'relative-stderr':
      return `standard error ${formatRatio(flag.relativeStderr)} times its value`;
    case 'correlated':
      return `correlation ${flag.correlation.toFixed(4)} with ${flag.with}`;
  }
}

const formatRatio = (r: number) =>
  Number.isFinite(r) ? (r < 100 ? r.toFixed(2) : r.toExponential(1)) : 'infinite';
