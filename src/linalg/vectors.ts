/**
 * Element-wise operations on short vectors, each into a fresh array, written as plain loops: the
 * trust-region iteration makes a dozen of them per step, and TypedArray map/from with a callback cost
 * 2.5 to 10 times a loop in V8 (Float64Array.from with a mapping function about 700 ns for 7 entries).
 */

/** a * s. */
export function scaled(a: Float64Array, s: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = a[k]! * s;
  return out;
}

/** a * b, entry by entry. */
export function product(a: Float64Array, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = a[k]! * b[k]!;
  return out;
}

/** a + b. */
export function sum(a: Float64Array, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = a[k]! + b[k]!;
  return out;
}

/** a * s + b. */
export function scaledSum(a: Float64Array, s: number, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = a[k]! * s + b[k]!;
  return out;
}

/** -a. */
export function negated(a: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = -a[k]!;
  return out;
}
