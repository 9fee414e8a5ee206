/**
 * The circuit elements, declared once each, with impedance.py's names, parameter order and closed forms
 * (omega = 2 pi f, j = sqrt(-1)). Adding an element means adding one entry to `ELEMENTS`.
 *
 * Every `evaluate` writes, for one angular frequency, Z into out[0] (re) and out[1] (im), and the
 * derivative dZ/dp_k of each of its parameters into out[2 + 2k] (re) and out[3 + 2k] (im). All the
 * derivatives here are analytic and cost a few multiplications, so the fitter never differences.
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

export type ElementDef = {
  readonly symbol: string;
  readonly title: string;
  /** The closed form, as written in the README's element table. */
  readonly formula: string;
  readonly params: readonly ElementParam[];
  readonly evaluate: (p: ArrayLike<number>, at: number, omega: number, out: Float64Array) => void;
};

const HALF_PI = Math.PI / 2;

/** exp(-2x) for complex x, written into e: the numerically safe way to coth/tanh when Re(x) > 0. */
function expMinus2x(xr: number, xi: number, e: Float64Array): void {
  const m = Math.exp(-2 * xr);
  e[0] = m * Math.cos(2 * xi);
  e[1] = -m * Math.sin(2 * xi);
}

const scratch = new Float64Array(2);

/** Shared by Wo and Ws: x = sqrt(j omega tau) = sqrt(omega tau / 2) (1 + j), and e = exp(-2x). */
function diffusionArgument(omega: number, tau: number): number {
  const s = Math.sqrt((omega * tau) / 2);
  expMinus2x(s, s, scratch);
  return s;
}

const R: ElementDef = {
  symbol: 'R',
  title: 'resistor',
  formula: 'Z = R',
  params: [{ label: 'R', unit: 'Ohm', kind: 'positive', dims: OHM }],
  evaluate(p, at, _omega, out) {
    out[0] = p[at]!;
    out[1] = 0;
    out[2] = 1;
    out[3] = 0;
  },
};

const C: ElementDef = {
  symbol: 'C',
  title: 'capacitor',
  formula: 'Z = 1 / (j omega C)',
  params: [{ label: 'C', unit: 'F', kind: 'positive', dims: { ohm: -1, s: [1, 1] } }],
  evaluate(p, at, omega, out) {
    const c = p[at]!;
    out[0] = 0;
    out[1] = -1 / (omega * c);
    out[2] = 0;
    out[3] = 1 / (omega * c * c);
  },
};

const L: ElementDef = {
  symbol: 'L',
  title: 'inductor',
  formula: 'Z = j omega L',
  params: [{ label: 'L', unit: 'H', kind: 'positive', dims: { ohm: 1, s: [1, 1] } }],
  evaluate(p, at, omega, out) {
    out[0] = 0;
    out[1] = omega * p[at]!;
    out[2] = 0;
    out[3] = omega;
  },
};

const W: ElementDef = {
  symbol: 'W',
  title: 'semi-infinite Warburg',
  formula: 'Z = A_W (1 - j) / sqrt(omega)',
  params: [{ label: 'A_W', unit: 'Ohm s^-1/2', kind: 'positive', dims: { ohm: 1, s: [-0.5, -0.5] } }],
  evaluate(p, at, omega, out) {
    const s = 1 / Math.sqrt(omega);
    out[0] = p[at]! * s;
    out[1] = -p[at]! * s;
    out[2] = s;
    out[3] = -s;
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
  evaluate(p, at, omega, out) {
    const q = p[at]!;
    const alpha = p[at + 1]!;
    const lnW = Math.log(omega);
    const mag = Math.exp(-alpha * lnW) / q;
    const zr = mag * Math.cos(alpha * HALF_PI);
    const zi = -mag * Math.sin(alpha * HALF_PI);
    out[0] = zr;
    out[1] = zi;
    out[2] = -zr / q;
    out[3] = -zi / q;
    // dZ/dalpha = -Z (ln omega + j pi/2)
    out[4] = -(zr * lnW - zi * HALF_PI);
    out[5] = -(zr * HALF_PI + zi * lnW);
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
  evaluate(p, at, omega, out) {
    const l = p[at]!;
    const alpha = p[at + 1]!;
    const lnW = Math.log(omega);
    const mag = l * Math.exp(alpha * lnW);
    const zr = mag * Math.cos(alpha * HALF_PI);
    const zi = mag * Math.sin(alpha * HALF_PI);
    out[0] = zr;
    out[1] = zi;
    out[2] = zr / l;
    out[3] = zi / l;
    // dZ/dalpha = Z (ln omega + j pi/2)
    out[4] = zr * lnW - zi * HALF_PI;
    out[5] = zr * HALF_PI + zi * lnW;
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
  evaluate(p, at, omega, out) {
    const r = p[at]!;
    const wt = omega * p[at + 1]!;
    const den = 1 + wt * wt;
    const zr = r / den;
    const zi = (-r * wt) / den;
    out[0] = zr;
    out[1] = zi;
    out[2] = 1 / den;
    out[3] = -wt / den;
    // dZ/dtau = -Z j omega / (1 + j omega tau) = -Z (omega wt + j omega) / den
    const ar = (omega * wt) / den;
    const ai = omega / den;
    out[4] = -(zr * ar - zi * ai);
    out[5] = -(zr * ai + zi * ar);
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
  evaluate(p, at, omega, out) {
    const r = p[at]!;
    const tau = p[at + 1]!;
    const alpha = p[at + 2]!;
    const lnWt = Math.log(omega * tau);
    const mag = Math.exp(alpha * lnWt);
    const sr = mag * Math.cos(alpha * HALF_PI);
    const si = mag * Math.sin(alpha * HALF_PI);
    const dr = 1 + sr;
    const den = dr * dr + si * si;
    // g = 1 / (1 + s^alpha); Z = R g; q = s^alpha g
    const gr = dr / den;
    const gi = -si / den;
    const zr = r * gr;
    const zi = r * gi;
    const qr = sr * gr - si * gi;
    const qi = sr * gi + si * gr;
    // Zq = Z q; dZ/dtau = -(alpha / tau) Z q; dZ/dalpha = -Z q (ln(omega tau) + j pi/2)
    const zqr = zr * qr - zi * qi;
    const zqi = zr * qi + zi * qr;
    out[0] = zr;
    out[1] = zi;
    out[2] = gr;
    out[3] = gi;
    out[4] = (-alpha / tau) * zqr;
    out[5] = (-alpha / tau) * zqi;
    out[6] = -(zqr * lnWt - zqi * HALF_PI);
    out[7] = -(zqr * HALF_PI + zqi * lnWt);
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
  evaluate(p, at, omega, out) {
    const r = p[at]!;
    const wt = omega * p[at + 1]!;
    // 1 / sqrt(1 + j wt) = sqrt of its reciprocal's conjugate form; principal root of (1 - j wt)/(1 + wt^2)
    const den = 1 + wt * wt;
    const mod = 1 / Math.sqrt(den); // |1/(1 + j wt)|
    const ur = 1 / den;
    const sr = Math.sqrt((mod + ur) / 2);
    const si = -Math.sqrt(Math.max(0, (mod - ur) / 2));
    const zr = r * sr;
    const zi = r * si;
    out[0] = zr;
    out[1] = zi;
    out[2] = sr;
    out[3] = si;
    // dZ/dt_G = -Z j omega / (2 (1 + j wt)) = -Z (omega wt + j omega) / (2 den)
    const ar = (omega * wt) / (2 * den);
    const ai = omega / (2 * den);
    out[4] = -(zr * ar - zi * ai);
    out[5] = -(zr * ai + zi * ar);
  },
};

/** Finite-length Warburg, open (reflective) boundary: Z = R coth(x) / x. */
const Wo: ElementDef = {
  symbol: 'Wo',
  title: 'finite-length Warburg, open',
  formula: 'Z = R coth(sqrt(j omega tau)) / sqrt(j omega tau)',
  params: [
    { label: 'R', unit: 'Ohm', kind: 'positive', dims: OHM },
    { label: 'tau', unit: 's', kind: 'positive', dims: SECOND },
  ],
  evaluate(p, at, omega, out) {
    const r = p[at]!;
    const tau = p[at + 1]!;
    const s = diffusionArgument(omega, tau);
    const er = scratch[0]!;
    const ei = scratch[1]!;
    // coth x = (1 + e) / (1 - e)
    const nr = 1 - er;
    const ni = -ei;
    const nd = nr * nr + ni * ni;
    const cr = ((1 + er) * nr + ei * ni) / nd;
    const ci = (ei * nr - (1 + er) * ni) / nd;
    // 1/x = (1 - j) / (2 s)
    const ir = 1 / (2 * s);
    const gr = cr * ir + ci * ir;
    const gi = ci * ir - cr * ir;
    const zr = r * gr;
    const zi = r * gi;
    // dZ/dtau = -(R csch^2 x + Z) / (2 tau), csch^2 = coth^2 - 1
    const c2r = cr * cr - ci * ci - 1;
    const c2i = 2 * cr * ci;
    out[0] = zr;
    out[1] = zi;
    out[2] = gr;
    out[3] = gi;
    out[4] = -(r * c2r + zr) / (2 * tau);
    out[5] = -(r * c2i + zi) / (2 * tau);
  },
};

/** Finite-length Warburg, short (transmissive) boundary: Z = R tanh(x) / x. */
const Ws: ElementDef = {
  symbol: 'Ws',
  title: 'finite-length Warburg, short',
  formula: 'Z = R tanh(sqrt(j omega tau)) / sqrt(j omega tau)',
  params: [
    { label: 'R', unit: 'Ohm', kind: 'positive', dims: OHM },
    { label: 'tau', unit: 's', kind: 'positive', dims: SECOND },
  ],
  evaluate(p, at, omega, out) {
    const r = p[at]!;
    const tau = p[at + 1]!;
    const s = diffusionArgument(omega, tau);
    const er = scratch[0]!;
    const ei = scratch[1]!;
    // tanh x = (1 - e) / (1 + e)
    const nr = 1 + er;
    const ni = ei;
    const nd = nr * nr + ni * ni;
    const tr = ((1 - er) * nr - ei * ni) / nd;
    const ti = (-ei * nr - (1 - er) * ni) / nd;
    const ir = 1 / (2 * s);
    const gr = tr * ir + ti * ir;
    const gi = ti * ir - tr * ir;
    const zr = r * gr;
    const zi = r * gi;
    // dZ/dtau = (R sech^2 x - Z) / (2 tau), sech^2 = 1 - tanh^2
    const s2r = 1 - (tr * tr - ti * ti);
    const s2i = -2 * tr * ti;
    out[0] = zr;
    out[1] = zi;
    out[2] = gr;
    out[3] = gi;
    out[4] = (r * s2r - zr) / (2 * tau);
    out[5] = (r * s2i - zi) / (2 * tau);
  },
};

export const ELEMENTS: readonly ElementDef[] = [R, C, L, W, CPE, La, K, Zarc, G, Wo, Ws];

const bySymbol = new Map(ELEMENTS.map((e) => [e.symbol, e]));

export function elementBySymbol(symbol: string): ElementDef | undefined {
  return bySymbol.get(symbol);
}

/** The largest parameter count of any element: sizes the scratch buffer `evaluate` writes into. */
export const MAX_ELEMENT_PARAMS = Math.max(...ELEMENTS.map((e) => e.params.length));
