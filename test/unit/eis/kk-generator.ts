/**
 * Spectra for the Kramers-Kronig tests, from closed forms written here (complex.ts arithmetic), apart from
 * src/eis's circuit code: passive circuits, which are KK-consistent by construction, and the same spectra
 * spoilt in the ways a measurement goes wrong (the imaginary part scaled alone, a cell drifting during the
 * sweep, a sign error). Frequencies are swept high to low, as a potentiostat does.
 */
import type { Random } from '../../../src/random';
import { Cx, J } from './complex';

export type Impedance = (omega: number) => Cx;

export const resistor =
  (r: number): Impedance =>
  () =>
    new Cx(r);
export const inductor =
  (l: number): Impedance =>
  (w) =>
    new Cx(0, w * l);
export const capacitor =
  (c: number): Impedance =>
  (w) =>
    new Cx(0, -1 / (w * c));
/** 1 / (Q (j w)^alpha). */
export const cpe =
  (q: number, alpha: number): Impedance =>
  (w) =>
    J.mul(w).pow(alpha).mul(q).inv();
/** Semi-infinite Warburg sigma (1 - j) / sqrt(w). */
export const warburg =
  (sigma: number): Impedance =>
  (w) =>
    new Cx(sigma / Math.sqrt(w), -sigma / Math.sqrt(w));
/** Finite-length Warburg, transmissive: R tanh(sqrt(j w tau)) / sqrt(j w tau). */
export const warburgShort =
  (r: number, tau: number): Impedance =>
  (w) => {
    const s = J.mul(w * tau).sqrt();
    return s.tanh().div(s).mul(r);
  };
/** Finite-length Warburg, reflective: R coth(sqrt(j w tau)) / sqrt(j w tau). */
export const warburgOpen =
  (r: number, tau: number): Impedance =>
  (w) => {
    const s = J.mul(w * tau).sqrt();
    return s.coth().div(s).mul(r);
  };

export const series =
  (...parts: Impedance[]): Impedance =>
  (w) =>
    parts.reduce((acc, p) => acc.add(p(w)), new Cx(0));
export const parallel =
  (...parts: Impedance[]): Impedance =>
  (w) =>
    parts.reduce((acc, p) => acc.add(p(w).inv()), new Cx(0)).inv();
/** R parallel to C, given by R and tau = R C. */
export const rc = (r: number, tauS: number): Impedance => parallel(resistor(r), capacitor(tauS / r));
/** R parallel to a CPE with the same apex time constant tau (Q = tau^alpha / R). */
export const zarc = (r: number, tauS: number, alpha: number): Impedance =>
  parallel(resistor(r), cpe(tauS ** alpha / r, alpha));

export type GeneratedSpectrum = {
  readonly name: string;
  readonly fHz: number[];
  readonly re: number[];
  readonly im: number[];
};

/** Log-spaced frequencies from fMaxHz down to fMinHz, perDecade per decade (both ends included). */
export function sweep(fMaxHz: number, fMinHz: number, perDecade: number): number[] {
  const decades = Math.log10(fMaxHz / fMinHz);
  const n = Math.round(decades * perDecade) + 1;
  return Array.from({ length: n }, (_, i) => fMaxHz * 10 ** (-(decades * i) / (n - 1)));
}

export function measure(name: string, z: Impedance, fHz: number[]): GeneratedSpectrum {
  const values = fHz.map((f) => z(2 * Math.PI * f));
  return { name, fHz, re: values.map((v) => v.re), im: values.map((v) => v.im) };
}

/**
 * Passive circuits of the kinds a cell or a pellet shows, with random values: one RC over 4 to 10 decades,
 * two and three arcs (RC or depressed), a CPE tail, semi-infinite and finite Warburg diffusion, a lead
 * inductance, each on a sweep of 5 to 20 points per decade.
 */
export function consistentSpectra(random: Random, count: number): GeneratedSpectrum[] {
  const out: GeneratedSpectrum[] = [];
  const logUniform = (lo: number, hi: number) => 10 ** random.uniform(Math.log10(lo), Math.log10(hi));
  for (let k = 0; k < count; k++) {
    const decades = random.int(4, 10);
    const perDecade = random.int(5, 20);
    const fMax = logUniform(1e2, 1e6);
    const fMin = fMax / 10 ** decades;
    const fHz = sweep(fMax, fMin, perDecade);
    // Time constants inside the swept range, at least a decade from either end, so each arc shows.
    const tauMin = 1 / (2 * Math.PI * fMax);
    const tauMax = 1 / (2 * Math.PI * fMin);
    const tauIn = () => tauMin * 10 ** random.uniform(1, Math.max(1, Math.log10(tauMax / tauMin) - 1));
    const r0 = logUniform(1e-3, 1e3);
    const scale = r0 * logUniform(0.3, 30);
    const kind = k % 8;
    let z: Impedance;
    let name: string;
    switch (kind) {
      case 0: {
        z = series(resistor(r0), rc(scale, tauIn()));
        name = 'R-RC';
        break;
      }
      case 1: {
        const [t1, t2] = [tauIn(), tauIn()].sort((a, b) => a - b);
        z = series(resistor(r0), rc(scale, t1!), rc(scale * logUniform(0.3, 3), t2! * 10));
        name = 'R-RC-RC';
        break;
      }
      case 2: {
        const taus = [tauIn(), tauIn(), tauIn()].sort((a, b) => a - b);
        z = series(
          resistor(r0),
          ...taus.map((t, i) => zarc(scale * logUniform(0.3, 3), t * 3 ** i, random.uniform(0.7, 1))),
        );
        name = 'R-ZARC-ZARC-ZARC';
        break;
      }
      case 3: {
        z = series(
          resistor(r0),
          zarc(scale, tauIn(), random.uniform(0.6, 0.95)),
          cpe(1 / (scale * logUniform(0.1, 10) * 2 * Math.PI * fMin), random.uniform(0.5, 0.95)),
        );
        name = 'R-ZARC-CPE';
        break;
      }
      case 4: {
        const t = tauIn();
        z = series(
          resistor(r0),
          parallel(
            series(resistor(scale), warburg(scale * logUniform(0.01, 1) * Math.sqrt(1 / t))),
            capacitor(t / scale),
          ),
        );
        name = 'Randles with W';
        break;
      }
      case 5: {
        z = series(resistor(r0), rc(scale, tauIn()), warburgShort(scale * logUniform(0.3, 3), tauIn() * 10));
        name = 'R-RC-Ws';
        break;
      }
      case 6: {
        z = series(resistor(r0), rc(scale, tauIn()), warburgOpen(scale * logUniform(0.3, 3), tauIn() * 10));
        name = 'R-RC-Wo';
        break;
      }
      default: {
        const l = (r0 / (2 * Math.PI * fMax)) * logUniform(0.1, 3);
        z = series(
          inductor(l),
          resistor(r0),
          zarc(scale, tauIn(), random.uniform(0.7, 1)),
          rc(scale * 3, tauIn()),
        );
        name = 'L-R-ZARC-RC';
      }
    }
    out.push(measure(`${name}, ${decades} decades, ${perDecade}/decade`, z, fHz));
  }
  return out;
}

/** The imaginary part alone scaled (a wrong phase calibration): Re and Im no longer belong together. */
export function imaginaryScaled(s: GeneratedSpectrum, factor: number): GeneratedSpectrum {
  return { ...s, name: `${s.name}, Im x ${factor}`, im: s.im.map((v) => v * factor) };
}

/**
 * A cell whose resistance drifts during the sweep: each point is measured over three periods (at least a
 * second), and the series resistance grows by driftOhm over the whole sweep, in proportion to time.
 * Most of the time is spent at the lowest frequencies, so most of the drift lands there.
 */
export function drifting(s: GeneratedSpectrum, driftOhm: number): GeneratedSpectrum {
  const dt = s.fHz.map((f) => Math.max(1, 3 / f));
  const total = dt.reduce((a, b) => a + b, 0);
  let t = 0;
  const re = s.re.map((v, i) => {
    t += dt[i]!;
    return v + (driftOhm * t) / total;
  });
  return { ...s, name: `${s.name}, drift ${driftOhm.toPrecision(2)} Ohm`, re };
}

/**
 * A sign error: the imaginary part's sign wrong from the point of largest |Im Z| on (a -Im column read
 * as Im part-way through a file), or, with from = 0, throughout.
 */
export function signError(s: GeneratedSpectrum, fromApex = true): GeneratedSpectrum {
  let apex = 0;
  for (let i = 1; i < s.im.length; i++) if (Math.abs(s.im[i]!) > Math.abs(s.im[apex]!)) apex = i;
  const from = fromApex ? apex : 0;
  return {
    ...s,
    name: `${s.name}, Im sign wrong from point ${from}`,
    im: s.im.map((v, i) => (i >= from ? -v : v)),
  };
}
