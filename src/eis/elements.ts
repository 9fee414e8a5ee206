/**
 * The circuit elements, declared once each, with impedance.py's names, parameter order and closed forms
 * (omega = 2 pi f, j = sqrt(-1)). Adding an element means adding one entry to `ELEMENTS`.
 *
 * Every `evaluate` writes Z over a frequency grid and, on request, the derivative dZ/dp_k of each of
 * its parameters. All the derivatives here are analytic and cost a few multiplications, so the fitter
 * never differences.
 */

/** How a parameter is bounded: R, C, Q, tau... > 0; a CPE-like exponent in (0, 1]. */
export type ParamKind = 'positive' | 'exponent';

/**
 * A positive parameter's unit as Ohm^ohm s^s, with s a range where it depends on the element's exponent
 * (Q of a CPE is Ohm^-1 s^alpha, alpha in (0, 1]). The fitter bounds each parameter by the values that
 * unit takes over the spectrum's |Z| and 1/omega (parameter-bounds.ts).
 */
export type ParamDims = { readonly ohm: number; readonly s: readonly [number, number] };

export type ElementParam = {
  readonly label: string;
  readonly unit: string;
  readonly kind: ParamKind;
  /** For positive parameters. */
  readonly dims?: ParamDims;
};

const OHM: ParamDims = { ohm: 1, s: [0, 0] };
const SECOND: ParamDims = { ohm: 0, s: [1, 1] };

/**
 * The frequencies a circuit is evaluated at, with what elements take of them on every call: computed
 * once per grid (frequencyGrid), not once per model evaluation of a fit.
 */
export type FrequencyGrid = {
  readonly omega: Float64Array;
  readonly lnOmega: Float64Array;
};

export function frequencyGrid(omega: Float64Array): FrequencyGrid {
  return { omega, lnOmega: omega.map(Math.log) };
}

export type ElementDef = {
  readonly symbol: string;
  readonly title: string;
  /** The closed form, as written in the README's element table. */
  readonly formula: string;
  readonly params: readonly ElementParam[];
  /**
   * Writes Z at every grid frequency into re[i], im[i]; with `jac` (2N rows, column-major), also
   * dRe/dp_k into jac[(at + k) * 2N + i] and dIm/dp_k into jac[(at + k) * 2N + N + i]. One call per
   * element and grid, looping over the frequencies inside, so what does not depend on omega (a CPE's
   * phase) is computed once.
   */
  readonly evaluate: (
    p: ArrayLike<number>,
    at: number,
    grid: FrequencyGrid,
    re: Float64Array,
    im: Float64Array,
    jac: Float64Array | undefined,
  ) => void;
};

const HALF_PI = Math.PI / 2;

/**
 * Beyond this Re(2x), exp(-2x) is below 2^-63, too small to change 1 +- exp(-2x) in double precision:
 * coth x and tanh x are 1 to the last bit, and the cosine and sine of Im(2x) need not be computed.
 */
const NEGLIGIBLE_EXPONENT = 44;

const R: ElementDef = {
  symbol: 'R',
  title: 'resistor',
  formula: 'Z = R',
  params: [{ label: 'R', unit: 'Ohm', kind: 'positive', dims: OHM }],
  evaluate(p, at, grid, re, im, jac) {
    const r = p[at]!;
    const n = grid.omega.length;
    re.fill(r, 0, n);
    im.fill(0, 0, n);
    if (!jac) return;
    const col = at * 2 * n;
    jac.fill(1, col, col + n);
    jac.fill(0, col + n, col + 2 * n);
  },
};

const C: ElementDef = {
  symbol: 'C',
  title: 'capacitor',
  formula: 'Z = 1 / (j omega C)',
  params: [{ label: 'C', unit: 'F', kind: 'positive', dims: { ohm: -1, s: [1, 1] } }],
  evaluate(p, at, grid, re, im, jac) {
    const c = p[at]!;
    const omega = grid.omega;
    const n = grid.omega.length;
    re.fill(0, 0, n);
    for (let i = 0; i < n; i++) im[i] = -1 / (omega[i]! * c);
    if (!jac) return;
    const col = at * 2 * n;
    jac.fill(0, col, col + n);
    for (let i = 0; i < n; i++) jac[col + n + i] = 1 / (omega[i]! * c * c);
  },
};

const L: ElementDef = {
  symbol: 'L',
  title: 'inductor',
  formula: 'Z = j omega L',
  params: [{ label: 'L', unit: 'H', kind: 'positive', dims: { ohm: 1, s: [1, 1] } }],
  evaluate(p, at, grid, re, im, jac) {
    const l = p[at]!;
    const omega = grid.omega;
    const n = grid.omega.length;
    re.fill(0, 0, n);
    for (let i = 0; i < n; i++) im[i] = omega[i]! * l;
    if (!jac) return;
    const col = at * 2 * n;
    jac.fill(0, col, col + n);
    jac.set(omega, col + n);
  },
};

const W: ElementDef = {
  symbol: 'W',
  title: 'semi-infinite Warburg',
  formula: 'Z = A_W (1 - j) / sqrt(omega)',
  params: [{ label: 'A_W', unit: 'Ohm s^-1/2', kind: 'positive', dims: { ohm: 1, s: [-0.5, -0.5] } }],
  evaluate(p, at, grid, re, im, jac) {
    const a = p[at]!;
    const omega = grid.omega;
    const n = grid.omega.length;
    const col = at * 2 * n;
    for (let i = 0; i < n; i++) {
      const s = 1 / Math.sqrt(omega[i]!);
      re[i] = a * s;
      im[i] = -a * s;
      if (jac) {
        jac[col + i] = s;
        jac[col + n + i] = -s;
      }
    }
  },
};

const CPE: ElementDef = {
  symbol: 'CPE',
  title: 'constant-phase element',
  formula: 'Z = 1 / (Q (j omega)^alpha)',
  params: [
    { label: 'Q', unit: 'Ohm^-1 s^alpha', kind: 'positive', dims: { ohm: -1, s: [0, 1] } },
    { label: 'alpha', unit: '', kind: 'exponent' },
  ],
  evaluate(p, at, grid, re, im, jac) {
    const q = p[at]!;
    const alpha = p[at + 1]!;
    const cos = Math.cos(alpha * HALF_PI);
    const sin = Math.sin(alpha * HALF_PI);
    const lnOmega = grid.lnOmega;
    const n = grid.omega.length;
    const col = at * 2 * n;
    for (let i = 0; i < n; i++) {
      const lnW = lnOmega[i]!;
      const mag = Math.exp(-alpha * lnW) / q;
      const zr = mag * cos;
      const zi = -mag * sin;
      re[i] = zr;
      im[i] = zi;
      if (jac) {
        jac[col + i] = -zr / q;
        jac[col + n + i] = -zi / q;
        // dZ/dalpha = -Z (ln omega + j pi/2)
        jac[col + 2 * n + i] = -(zr * lnW - zi * HALF_PI);
        jac[col + 3 * n + i] = -(zr * HALF_PI + zi * lnW);
      }
    }
  },
};

const La: ElementDef = {
  symbol: 'La',
  title: 'modified inductance',
  formula: 'Z = L (j omega)^alpha',
  params: [
    { label: 'L', unit: 'H s^(alpha-1)', kind: 'positive', dims: { ohm: 1, s: [0, 1] } },
    { label: 'alpha', unit: '', kind: 'exponent' },
  ],
  evaluate(p, at, grid, re, im, jac) {
    const l = p[at]!;
    const alpha = p[at + 1]!;
    const cos = Math.cos(alpha * HALF_PI);
    const sin = Math.sin(alpha * HALF_PI);
    const lnOmega = grid.lnOmega;
    const n = grid.omega.length;
    const col = at * 2 * n;
    for (let i = 0; i < n; i++) {
      const lnW = lnOmega[i]!;
      const mag = l * Math.exp(alpha * lnW);
      const zr = mag * cos;
      const zi = mag * sin;
      re[i] = zr;
      im[i] = zi;
      if (jac) {
        jac[col + i] = zr / l;
        jac[col + n + i] = zi / l;
        // dZ/dalpha = Z (ln omega + j pi/2)
        jac[col + 2 * n + i] = zr * lnW - zi * HALF_PI;
        jac[col + 3 * n + i] = zr * HALF_PI + zi * lnW;
      }
    }
  },
};

const K: ElementDef = {
  symbol: 'K',
  title: 'RC element given by R and tau',
  formula: 'Z = R / (1 + j omega tau)',
  params: [
    { label: 'R', unit: 'Ohm', kind: 'positive', dims: OHM },
    { label: 'tau', unit: 's', kind: 'positive', dims: SECOND },
  ],
  evaluate(p, at, grid, re, im, jac) {
    const r = p[at]!;
    const tau = p[at + 1]!;
    const omega = grid.omega;
    const n = grid.omega.length;
    const col = at * 2 * n;
    for (let i = 0; i < n; i++) {
      const w = omega[i]!;
      const wt = w * tau;
      const den = 1 + wt * wt;
      const zr = r / den;
      const zi = (-r * wt) / den;
      re[i] = zr;
      im[i] = zi;
      if (jac) {
        jac[col + i] = 1 / den;
        jac[col + n + i] = -wt / den;
        // dZ/dtau = -Z j omega / (1 + j omega tau) = -Z (omega wt + j omega) / den
        const ar = (w * wt) / den;
        const ai = w / den;
        jac[col + 2 * n + i] = -(zr * ar - zi * ai);
        jac[col + 3 * n + i] = -(zr * ai + zi * ar);
      }
    }
  },
};

const Zarc: ElementDef = {
  symbol: 'Zarc',
  title: 'R parallel to a CPE, given by R, tau and alpha',
  formula: 'Z = R / (1 + (j omega tau)^alpha)',
  params: [
    { label: 'R', unit: 'Ohm', kind: 'positive', dims: OHM },
    { label: 'tau', unit: 's', kind: 'positive', dims: SECOND },
    { label: 'alpha', unit: '', kind: 'exponent' },
  ],
  evaluate(p, at, grid, re, im, jac) {
    const r = p[at]!;
    const tau = p[at + 1]!;
    const alpha = p[at + 2]!;
    const cos = Math.cos(alpha * HALF_PI);
    const sin = Math.sin(alpha * HALF_PI);
    const omega = grid.omega;
    const n = grid.omega.length;
    const col = at * 2 * n;
    for (let i = 0; i < n; i++) {
      const lnWt = Math.log(omega[i]! * tau);
      const mag = Math.exp(alpha * lnWt);
      const sr = mag * cos;
      const si = mag * sin;
      const dr = 1 + sr;
      const den = dr * dr + si * si;
      // g = 1 / (1 + s^alpha); Z = R g; q = s^alpha g
      const gr = dr / den;
      const gi = -si / den;
      const zr = r * gr;
      const zi = r * gi;
      re[i] = zr;
      im[i] = zi;
      if (jac) {
        const qr = sr * gr - si * gi;
        const qi = sr * gi + si * gr;
        // Zq = Z q; dZ/dtau = -(alpha / tau) Z q; dZ/dalpha = -Z q (ln(omega tau) + j pi/2)
        const zqr = zr * qr - zi * qi;
        const zqi = zr * qi + zi * qr;
        jac[col + i] = gr;
        jac[col + n + i] = gi;
        jac[col + 2 * n + i] = (-alpha / tau) * zqr;
        jac[col + 3 * n + i] = (-alpha / tau) * zqi;
        jac[col + 4 * n + i] = -(zqr * lnWt - zqi * HALF_PI);
        jac[col + 5 * n + i] = -(zqr * HALF_PI + zqi * lnWt);
      }
    }
  },
};

const G: ElementDef = {
  symbol: 'G',
  title: 'Gerischer',
  formula: 'Z = R_G / sqrt(1 + j omega t_G)',
  params: [
    { label: 'R_G', unit: 'Ohm', kind: 'positive', dims: OHM },
    { label: 't_G', unit: 's', kind: 'positive', dims: SECOND },
  ],
  evaluate(p, at, grid, re, im, jac) {
    const r = p[at]!;
    const t = p[at + 1]!;
    const omega = grid.omega;
    const n = grid.omega.length;
    const col = at * 2 * n;
    for (let i = 0; i < n; i++) {
      const w = omega[i]!;
      const wt = w * t;
      // 1 / sqrt(1 + j wt) = sqrt of its reciprocal's conjugate form; principal root of (1 - j wt)/(1 + wt^2)
      const den = 1 + wt * wt;
      const mod = 1 / Math.sqrt(den); // |1/(1 + j wt)|
      const ur = 1 / den;
      const sr = Math.sqrt((mod + ur) / 2);
      const si = -Math.sqrt(Math.max(0, (mod - ur) / 2));
      const zr = r * sr;
      const zi = r * si;
      re[i] = zr;
      im[i] = zi;
      if (jac) {
        jac[col + i] = sr;
        jac[col + n + i] = si;
        // dZ/dt_G = -Z j omega / (2 (1 + j wt)) = -Z (omega wt + j omega) / (2 den)
        const ar = (w * wt) / (2 * den);
        const ai = w / (2 * den);
        jac[col + 2 * n + i] = -(zr * ar - zi * ai);
        jac[col + 3 * n + i] = -(zr * ai + zi * ar);
      }
    }
  },
};

/**
 * exp(-2x) for x = sqrt(j omega tau) = s (1 + j), s = sqrt(omega tau / 2), into e: the numerically safe
 * way to coth/tanh (Re(x) > 0); exactly 0 where it cannot matter.
 */
function expMinus2x(s: number, e: Float64Array): void {
  if (2 * s > NEGLIGIBLE_EXPONENT) {
    e[0] = 0;
    e[1] = 0;
    return;
  }
  const m = Math.exp(-2 * s);
  e[0] = m * Math.cos(2 * s);
  e[1] = -m * Math.sin(2 * s);
}

const scratch = new Float64Array(2);

/**
 * A finite-length Warburg: Z = R f(x) / x with x = sqrt(j omega tau) and f = coth (open, reflective
 * boundary; sign 1) or tanh (short, transmissive; sign -1). With e = exp(-2x), f = (1 + sign e) /
 * (1 - sign e), and for both dZ/dtau = -(R (f^2 - 1) + Z) / (2 tau) (f^2 - 1 is csch^2 for coth and
 * -sech^2 for tanh).
 */
function finiteWarburg(symbol: string, boundary: 'open' | 'short', fn: 'coth' | 'tanh'): ElementDef {
  const sign = fn === 'coth' ? 1 : -1;
  return {
    symbol,
    title: `finite-length Warburg, ${boundary}`,
    formula: `Z = R ${fn}(sqrt(j omega tau)) / sqrt(j omega tau)`,
    params: [
      { label: 'R', unit: 'Ohm', kind: 'positive', dims: OHM },
      { label: 'tau', unit: 's', kind: 'positive', dims: SECOND },
    ],
    evaluate(p, at, grid, re, im, jac) {
      const r = p[at]!;
      const tau = p[at + 1]!;
      const omega = grid.omega;
      const n = grid.omega.length;
      const col = at * 2 * n;
      for (let i = 0; i < n; i++) {
        const s = Math.sqrt((omega[i]! * tau) / 2);
        expMinus2x(s, scratch);
        const er = sign * scratch[0]!;
        const ei = sign * scratch[1]!;
        // f = (1 + e') / (1 - e') with e' = sign e
        const nr = 1 - er;
        const ni = -ei;
        const nd = nr * nr + ni * ni;
        const fr = ((1 + er) * nr + ei * ni) / nd;
        const fi = (ei * nr - (1 + er) * ni) / nd;
        // 1/x = (1 - j) / (2 s)
        const ir = 1 / (2 * s);
        const gr = fr * ir + fi * ir;
        const gi = fi * ir - fr * ir;
        const zr = r * gr;
        const zi = r * gi;
        re[i] = zr;
        im[i] = zi;
        if (jac) {
          const f2r = fr * fr - fi * fi - 1;
          const f2i = 2 * fr * fi;
          jac[col + i] = gr;
          jac[col + n + i] = gi;
          jac[col + 2 * n + i] = -(r * f2r + zr) / (2 * tau);
          jac[col + 3 * n + i] = -(r * f2i + zi) / (2 * tau);
        }
      }
    },
  };
}

const Wo = finiteWarburg('Wo', 'open', 'coth');
const Ws = finiteWarburg('Ws', 'short', 'tanh');

export const ELEMENTS: readonly ElementDef[] = [R, C, L, W, CPE, La, K, Zarc, G, Wo, Ws];

const bySymbol = new Map(ELEMENTS.map((e) => [e.symbol, e]));

export function elementBySymbol(symbol: string): ElementDef | undefined {
  return bySymbol.get(symbol);
}
