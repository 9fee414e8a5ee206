/**
 * R_SE and R_CAT per cycle from the charged-state spectra, each either determined (a value with its
 * standard error) or not determined (with the reason): never a number the data cannot support.
 *
 * Each spectrum (inductive points dropped) is fitted (src/eis/fit, modulus weighting) with
 * R0-p(R1,CPE1)-p(R2,CPE2)-W1;
 * R0 is the separator, and of the two arcs the one with the longer time constant (R Q)^(1/alpha) is
 * the cathode interface (hundreds of Hz), the other the LiIn anode (tens of kHz). When the two apexes lie
 * within a decade of each other, a DRT of the spectrum must show a peak within half a decade of the
 * cathode arc, or the arcs are not told apart. R_CAT is not determined when:
 *  - the fit does not describe the spectrum: its relative residual is over 2.5x this cell's typical one
 *    (the median of its last 20 fits; at least 2 %, at most 8 %; 5 % until 3 fits exist). The typical
 *    residual carries the cell's own noise and the circuit's mismatch; a sweep that drifted, lost
 *    points or caught wild ones stands out against it;
 *  - any parameter is orders of magnitude off the data's scale (a degenerate fit: an element collapsed);
 *  - R_CAT is orders of magnitude past the data's scale (outside 1e-3..10 x the span of Re Z);
 *  - the cathode arc's apex lies outside the measured frequencies, or its CPE exponent is at a bound;
 *  - the fit's own identifiability says R_CAT is not determined (src/eis/identifiability.ts: at a
 *    bound, no finite standard error, standard error over the value, locked to another parameter);
 *  - R_CAT's relative standard error is over 1, or it cannot be computed;
 *  - R_CAT correlates with another parameter beyond |r| = 0.99 (stricter than the fit's own rule).
 * Each fit starts from the previous good fit; a warm fit worse than typical is retried from scratch.
 */
import { parseCircuit } from '../eis/circuit';
import { dropInductive } from '../eis/drop-inductive';
import { type DrtResult, distributionOfRelaxationTimes } from '../eis/drt';
import { type FitResult, fitCircuit } from '../eis/fit';
import type { Spectrum } from '../eis/spectrum';

export const CELL_CIRCUIT = 'R0-p(R1,CPE1)-p(R2,CPE2)-W1';
/**
 * Every decade of |Z| counts alike: with unit weights the large low-frequency points swamp the small
 * anode arc, and the fit may split the cathode arc in two instead of resolving the anode.
 */
const WEIGHTING = 'modulus';
const circuit = parseCircuit(CELL_CIRCUIT);
const names = circuit.parameterNames;

export const RCAT_CRITERIA = {
  /** A fit whose residual is over this many times the cell's typical one does not describe the spectrum. */
  rmsOverTypical: 2.5,
  minRmsLimit: 0.02,
  maxRmsLimit: 0.08,
  /** Until the cell has this many fits, the limit is startRmsLimit. */
  typicalFits: 3,
  startRmsLimit: 0.05,
  /** R_CAT outside [min, max] x the span of Re Z is off the data's scale. */
  minSpanFraction: 1e-3,
  maxSpanFraction: 10,
  maxRelativeStderr: 1,
  maxCorrelation: 0.99,
  /** CPE exponents at or beyond these are at a bound. */
  minAlpha: 0.35,
  maxAlpha: 0.999,
  /** Arcs closer than this (decades) are checked against the DRT. */
  ambiguousDecades: 1,
  drtMatchDecades: 0.5,
  drtLambda: 1e-3,
} as const;

/** The residual a fit may have and still describe the spectrum, given the cell's typical one (or none yet). */
export function rmsLimit(typicalRms: number | null, c = RCAT_CRITERIA): number {
  if (typicalRms === null) return c.startRmsLimit;
  return Math.min(c.maxRmsLimit, Math.max(c.minRmsLimit, c.rmsOverTypical * typicalRms));
}

/** The median residual of the last 20 fits (null under 3). */
export function typicalRms(fits: readonly RcatFit[], c = RCAT_CRITERIA): number | null {
  const r = fits
    .slice(-20)
    .map((f) => f.rmsRelative)
    .filter((x): x is number => x !== null && Number.isFinite(x))
    .sort((a, b) => a - b);
  if (r.length < c.typicalFits) return null;
  return r.length % 2 ? r[r.length >> 1]! : (r[(r.length >> 1) - 1]! + r[r.length >> 1]!) / 2;
}

export type RcatFit = {
  readonly cycle: number;
  readonly determined: boolean;
  /** R_CAT and its standard error (Ohm) when determined; null otherwise. */
  readonly rCatOhm: number | null;
  readonly rCatStderrOhm: number | null;
  /** Why R_CAT is not determined; null when it is. */
  readonly reason: string | null;
  /** R_SE (the high-frequency intercept) when the fit describes the spectrum. */
  readonly rSeOhm: number | null;
  /** Apex frequency of the cathode arc. */
  readonly cathodeHz: number | null;
  readonly rmsRelative: number | null;
  /** Root mean square of the fit's residuals (Ohm). */
  readonly rmseOhm: number | null;
};

export function notDetermined(cycle: number, reason: string, fit?: Partial<RcatFit>): RcatFit {
  return {
    cycle,
    rSeOhm: null,
    cathodeHz: null,
    rmsRelative: null,
    rmseOhm: null,
    ...fit,
    determined: false,
    rCatOhm: null,
    rCatStderrOhm: null,
    reason,
  };
}

/** Frequency of the DRT peak nearest `apexHz` (in log frequency), or null. */
export function drtPeakNear(s: Spectrum, apexHz: number, drt = cellDrt(s)): number | null {
  if (!drt) return null;
  let best: number | null = null;
  for (const p of drt.peaks) {
    if (best === null || Math.abs(Math.log10(p.fHz / apexHz)) < Math.abs(Math.log10(best / apexHz)))
      best = p.fHz;
  }
  return best;
}

/** The DRT that confirms the cathode arc (fixed lambda, so cycles compare), or null if it cannot be had. */
export function cellDrt(s: Spectrum): DrtResult | null {
  try {
    return distributionOfRelaxationTimes(s, { lambda: RCAT_CRITERIA.drtLambda });
  } catch {
    return null;
  }
}

/**
 * A fit with a parameter run off by orders of magnitude (R0 of 1e-14 Ohm beside |Z| of 10 Ohm, a CPE
 * of 1e8: an element collapsed or shorted) sits in a degenerate corner; a warm start must not carry it
 * from cycle to cycle, and its R_CAT is not trusted.
 */
export function degenerate(r: FitResult, s: Spectrum): string | null {
  let zMin = Number.POSITIVE_INFINITY;
  let zMax = 0;
  for (let i = 0; i < s.fHz.length; i++) {
    const m = Math.hypot(s.reOhm[i]!, s.imOhm[i]!);
    zMin = Math.min(zMin, m);
    zMax = Math.max(zMax, m);
  }
  for (const p of r.parameters) {
    const v = p.value;
    const off =
      p.unit === 'Ohm'
        ? !(v > 1e-4 * zMin && v < 1e3 * zMax)
        : p.unit.startsWith('Ohm^-1')
          ? !(v > 1e-13 && v < 1e2)
          : p.unit.startsWith('Ohm s')
            ? !(v > 1e-6 * zMin && v < 1e3 * zMax)
            : false;
    if (off) return `${p.name} = ${v.toPrecision(3)} ${p.unit}`;
  }
  return null;
}

function fitSpectrum(
  s: Spectrum,
  cycle: number,
  previous: FitResult | undefined,
  typical: number | null,
): FitResult {
  if (previous) {
    // Retried only after a runaway, with 12 starts: a cold search follows below when the warm start lands
    // badly, so the fit's wider retry (48 starts whenever a parameter is not determined) would double the
    // cost of every cycle for nothing.
    const warm = fitCircuit(circuit, s, {
      initialGuess: previous.values,
      seed: cycle,
      weighting: WEIGHTING,
      retry: 'runaway',
      starts: 12,
    });
    // A warm start that lands no worse than usual, in a sound corner, is the minimum a cold search finds.
    const usual = Math.max(previous.rmsRelative, typical ?? 0) * 1.3;
    if (warm.rmsRelative <= usual && !degenerate(warm, s)) return warm;
    const cold = fitCircuit(circuit, s, { seed: cycle, weighting: WEIGHTING });
    const dw = degenerate(warm, s) !== null;
    const dc = degenerate(cold, s) !== null;
    if (dw !== dc) return dc ? warm : cold;
    return cold.rmsRelative < warm.rmsRelative ? cold : warm;
  }
  return fitCircuit(circuit, s, { seed: cycle, weighting: WEIGHTING });
}

/**
 * R_CAT of one cycle's spectrum. `previous`: a fit to start from; `typical`: the cell's typical relative
 * residual (typicalRms of its earlier fits). `result` is the fit, to seed the next cycle when it is good.
 */
export function fitRcat(
  cycle: number,
  raw: Spectrum,
  previous?: FitResult,
  typical: number | null = null,
  options: { withDrt?: boolean } = {},
): RcatOutcome {
  const out = judge(cycle, raw, previous, typical);
  if (!options.withDrt) return out;
  // The live panel shows the spectrum's DRT beside the fit: computed once here when asked for.
  const drt = out.drt ?? cellDrt(dropInductive(raw));
  return { ...out, drt };
}

export type RcatOutcome = { fit: RcatFit; result: FitResult | null; drt: DrtResult | null };

function judge(
  cycle: number,
  raw: Spectrum,
  previous: FitResult | undefined,
  typical: number | null,
): RcatOutcome {
  const c = RCAT_CRITERIA;
  const s = dropInductive(raw);
  let drt: DrtResult | null = null;
  if (s.fHz.length < 2 * names.length) {
    return {
      fit: notDetermined(
        cycle,
        `${s.fHz.length} capacitive points cannot determine ${names.length} parameters`,
      ),
      result: null,
      drt,
    };
  }
  let result: FitResult;
  try {
    result = fitSpectrum(s, cycle, previous, typical);
  } catch (e) {
    return { fit: notDetermined(cycle, `spectrum not fitted (${(e as Error).message})`), result: null, drt };
  }
  const v = (name: string) => result.values[names.indexOf(name)]!;
  const arc = (r: string, q: string, a: string) => ({
    r,
    alpha: a,
    rOhm: v(r),
    alphaValue: v(a),
    hz: 1 / (2 * Math.PI * (v(r) * v(q)) ** (1 / v(a))),
  });
  const one = arc('R1', 'CPE1_0', 'CPE1_1');
  const two = arc('R2', 'CPE2_0', 'CPE2_1');
  const [cathode, anode] = one.hz < two.hz ? [one, two] : [two, one];
  const base = {
    rSeOhm: null,
    cathodeHz: Number.isFinite(cathode.hz) ? cathode.hz : null,
    rmsRelative: result.rmsRelative,
    rmseOhm: result.rmse,
  };
  const pct = (x: number) => `${(x * 100).toPrecision(2)} %`;
  const limit = rmsLimit(typical, c);
  if (!(result.rmsRelative <= limit)) {
    return {
      fit: notDetermined(
        cycle,
        `the fit does not describe the spectrum (residual ${pct(result.rmsRelative)} of |Z|, over ${pct(limit)}${typical === null ? '' : `: 2.5x this cell's typical ${pct(typical)}`})`,
        base,
      ),
      result,
      drt,
    };
  }
  const off = degenerate(result, s);
  if (off) {
    return {
      fit: notDetermined(
        cycle,
        `the fit is degenerate: ${off}, orders of magnitude off the data's scale`,
        base,
      ),
      result,
      drt,
    };
  }
  const fitted = { ...base, rSeOhm: v('R0') };
  let reMin = Number.POSITIVE_INFINITY;
  let reMax = Number.NEGATIVE_INFINITY;
  for (const re of s.reOhm) {
    reMin = Math.min(reMin, re);
    reMax = Math.max(reMax, re);
  }
  const span = reMax - reMin;
  const fMin = Math.min(...s.fHz);
  const fMax = Math.max(...s.fHz);
  const why = (reason: string) => ({ fit: notDetermined(cycle, reason, fitted), result, drt });
  if (!(cathode.rOhm >= c.minSpanFraction * span && cathode.rOhm <= c.maxSpanFraction * span)) {
    return why(
      `R_CAT ${cathode.rOhm.toPrecision(3)} Ohm is orders of magnitude past the data's scale (Re Z spans ${span.toPrecision(3)} Ohm)`,
    );
  }
  if (!(cathode.hz >= fMin && cathode.hz <= fMax)) {
    return why(
      `the cathode arc's apex (${cathode.hz.toPrecision(3)} Hz) lies outside the measured ${fMin.toPrecision(3)}-${fMax.toPrecision(3)} Hz`,
    );
  }
  if (!(cathode.alphaValue > c.minAlpha && cathode.alphaValue < c.maxAlpha)) {
    return why(`the cathode arc's CPE exponent ${cathode.alphaValue.toPrecision(3)} is at a bound`);
  }
  const param = result.parameters.find((p) => p.name === cathode.r)!;
  // The fit's own identifiability (src/eis/identifiability.ts): at a bound, no finite standard error,
  // standard error over the value, or locked to another parameter.
  if (!param.determined) return why(`R_CAT is not determined by the data: ${param.reasons.join('; ')}`);
  const stderr = param.stderr;
  if (stderr === null || !Number.isFinite(stderr)) {
    return why('R_CAT is not identifiable (its standard error cannot be computed)');
  }
  if (stderr / cathode.rOhm > c.maxRelativeStderr) {
    return why(
      `R_CAT's relative standard error is ${(stderr / cathode.rOhm).toPrecision(2)} (over ${c.maxRelativeStderr})`,
    );
  }
  // Stricter than the fit's rule (which lets a well-known value through a strong correlation): any
  // correlation over 0.99 with another resistance or the diffusion element leaves R_CAT's split open.
  const free = result.parameters.filter((p) => !p.fixed).map((p) => p.name);
  const k = free.indexOf(cathode.r);
  const row = result.correlation[k] ?? [];
  for (let j = 0; j < row.length; j++) {
    if (j !== k && Math.abs(row[j]!) > c.maxCorrelation) {
      return why(
        `R_CAT correlates with ${free[j]} (r = ${row[j]!.toFixed(3)}): the data cannot separate them`,
      );
    }
  }
  if (Math.abs(Math.log10(cathode.hz / anode.hz)) < c.ambiguousDecades) {
    drt = cellDrt(s);
    const peak = drtPeakNear(s, cathode.hz, drt);
    if (peak === null || Math.abs(Math.log10(peak / cathode.hz)) > c.drtMatchDecades) {
      return why(
        `the two arcs (${cathode.hz.toPrecision(3)} and ${anode.hz.toPrecision(3)} Hz) are not told apart: no DRT peak within ${c.drtMatchDecades} decade of the cathode arc`,
      );
    }
  }
  return {
    fit: {
      cycle,
      determined: true,
      rCatOhm: cathode.rOhm,
      rCatStderrOhm: stderr,
      reason: null,
      ...fitted,
    },
    result,
    drt,
  };
}

/** Whether a fit may seed the next cycle's: it described its spectrum, sound (determined or not). */
export function seedsNext(f: RcatFit): boolean {
  return f.rSeOhm !== null;
}

/** Fits a cell's spectra in cycle order, each from the previous good fit. */
export function fitRcatSeries(spectra: readonly { cycle: number; spectrum: Spectrum }[]): RcatFit[] {
  const out: RcatFit[] = [];
  let previous: FitResult | undefined;
  for (const { cycle, spectrum } of [...spectra].sort((a, b) => a.cycle - b.cycle)) {
    const r = fitRcat(cycle, spectrum, previous, typicalRms(out));
    out.push(r.fit);
    if (seedsNext(r.fit) && r.result) previous = r.result;
  }
  return out;
}
