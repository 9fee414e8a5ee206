/**
 * R_SE and R_CAT per cycle from the charged-state spectra. Each spectrum is fitted (src/eis/fit) with
 * the cell's circuit R0-p(R1,CPE1)-p(R2,CPE2)-W1: R0 is the separator, and of the two arcs the one with
 * the longer time constant tau = (R Q)^(1/alpha) is the cathode interface (hundreds of Hz), the shorter
 * one the LiIn anode (tens of kHz). A DRT of the same spectrum (fixed lambda 1e-3, so cycles compare)
 * confirms the choice: one of its peaks must lie within half a decade of the cathode arc's apex, else
 * the cycle carries a warning. Each fit starts from the previous cycle's result, so a series costs about
 * one fit per cycle; a poor fit falls back to a fresh multistart.
 */
import { parseCircuit } from '../eis/circuit';
import { type DrtResult, distributionOfRelaxationTimes } from '../eis/drt';
import { type FitResult, fitCircuit } from '../eis/fit';
import type { Spectrum } from '../eis/spectrum';

export const CELL_CIRCUIT = 'R0-p(R1,CPE1)-p(R2,CPE2)-W1';
const circuit = parseCircuit(CELL_CIRCUIT);
/** A fit whose residual is above this (relative to |Z|) is retried from scratch, then reported. */
export const GOOD_FIT_RELATIVE = 0.02;

export type RcatFit = {
  readonly cycle: number;
  readonly rSeOhm: number;
  readonly rCatOhm: number;
  readonly rAnodeOhm: number;
  /** Apex frequencies of the two arcs, cathode then anode. */
  readonly cathodeHz: number;
  readonly anodeHz: number;
  readonly rmsRelative: number;
  /** Root mean square of the fit's residuals (Ohm). */
  readonly rmseOhm: number;
  /** The DRT peak nearest the cathode arc's apex (null when the DRT could not be computed). */
  readonly drtCathodeHz: number | null;
  readonly warning?: string;
};

const DRT_LAMBDA = 1e-3;
const DRT_MATCH_DECADES = 0.5;

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
    return distributionOfRelaxationTimes(s, { lambda: DRT_LAMBDA });
  } catch {
    return null;
  }
}

export function fitRcat(
  cycle: number,
  s: Spectrum,
  previous?: FitResult,
): { fit: RcatFit; result: FitResult; drt: DrtResult | null } {
  let result = fitCircuit(
    circuit,
    s,
    previous ? { initialGuess: previous.values, seed: cycle } : { seed: cycle },
  );
  if (previous && !(result.rmsRelative < GOOD_FIT_RELATIVE)) result = fitCircuit(circuit, s, { seed: cycle });
  const v = (name: string) => result.values[circuit.parameterNames.indexOf(name)]!;
  const arc = (r: string, q: string, a: string) => ({
    r: v(r),
    hz: 1 / (2 * Math.PI * (v(r) * v(q)) ** (1 / v(a))),
  });
  const one = arc('R1', 'CPE1_0', 'CPE1_1');
  const two = arc('R2', 'CPE2_0', 'CPE2_1');
  const [cathode, anode] = one.hz < two.hz ? [one, two] : [two, one];
  const drt = cellDrt(s);
  const drtCathodeHz = drtPeakNear(s, cathode.hz, drt);
  const problems: string[] = [];
  if (!(result.rmsRelative < GOOD_FIT_RELATIVE)) {
    problems.push(`fit residual ${(result.rmsRelative * 100).toFixed(1)} % of |Z|`);
  }
  if (drtCathodeHz !== null && Math.abs(Math.log10(drtCathodeHz / cathode.hz)) > DRT_MATCH_DECADES) {
    problems.push(
      `no DRT peak within ${DRT_MATCH_DECADES} decade of the cathode arc at ${cathode.hz.toPrecision(3)} Hz`,
    );
  }
  const fit: RcatFit = {
    cycle,
    rSeOhm: v('R0'),
    rCatOhm: cathode.r,
    rAnodeOhm: anode.r,
    cathodeHz: cathode.hz,
    anodeHz: anode.hz,
    rmsRelative: result.rmsRelative,
    rmseOhm: result.rmse,
    drtCathodeHz,
    ...(problems.length ? { warning: `cycle ${cycle}: ${problems.join('; ')}` } : {}),
  };
  return { fit, result, drt };
}

/** Fits a cell's spectra in cycle order, each from the previous result. */
export function fitRcatSeries(spectra: readonly { cycle: number; spectrum: Spectrum }[]): RcatFit[] {
  const out: RcatFit[] = [];
  let previous: FitResult | undefined;
  for (const { cycle, spectrum } of [...spectra].sort((a, b) => a.cycle - b.cycle)) {
    try {
      const r = fitRcat(cycle, spectrum, previous);
      out.push(r.fit);
      if (r.result.rmsRelative < GOOD_FIT_RELATIVE) previous = r.result;
    } catch (e) {
      out.push({
        cycle,
        rSeOhm: Number.NaN,
        rCatOhm: Number.NaN,
        rAnodeOhm: Number.NaN,
        cathodeHz: Number.NaN,
        anodeHz: Number.NaN,
        rmsRelative: Number.NaN,
        rmseOhm: Number.NaN,
        drtCathodeHz: null,
        warning: `cycle ${cycle}: spectrum not fitted (${(e as Error).message})`,
      });
    }
  }
  return out;
}
