/**
 * R_SE and R_CAT per cycle from the charged-state spectra. Each spectrum is fitted (src/eis/fit) with
 * the cell's circuit R0-p(R1,CPE1)-p(R2,CPE2)-W1: R0 is the separator, and of the two arcs the one with
 * the longer time constant tau = (R Q)^(1/alpha) is the cathode interface (hundreds of Hz), the shorter
 * one the LiIn anode (tens of kHz), the same split a DRT shows as two peaks. Each fit starts from the
 * previous cycle's result, so a series costs about one fit per cycle; a poor fit falls back to a fresh
 * multistart.
 */
import { parseCircuit } from '../eis/circuit';
import { type FitResult, fitCircuit } from '../eis/fit';
import type { Spectrum } from '../eis/spectrum';

export const CELL_CIRCUIT = 'R0-p(R1,CPE1)-p(R2,CPE2)-W1';
const circuit = parseCircuit(CELL_CIRCUIT);
/** A fit whose residual is above this (relative to |Z|) is retried from scratch, then reported. */
const GOOD_FIT_RELATIVE = 0.02;

export type RcatFit = {
  readonly cycle: number;
  readonly rSeOhm: number;
  readonly rCatOhm: number;
  readonly rAnodeOhm: number;
  /** Apex frequencies of the two arcs, cathode then anode. */
  readonly cathodeHz: number;
  readonly anodeHz: number;
  readonly rmsRelative: number;
  readonly warning?: string;
};

export function fitRcat(
  cycle: number,
  s: Spectrum,
  previous?: FitResult,
): { fit: RcatFit; result: FitResult } {
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
  const fit: RcatFit = {
    cycle,
    rSeOhm: v('R0'),
    rCatOhm: cathode.r,
    rAnodeOhm: anode.r,
    cathodeHz: cathode.hz,
    anodeHz: anode.hz,
    rmsRelative: result.rmsRelative,
    ...(result.rmsRelative < GOOD_FIT_RELATIVE
      ? {}
      : { warning: `cycle ${cycle}: fit residual ${(result.rmsRelative * 100).toFixed(1)} % of |Z|` }),
  };
  return { fit, result };
}

/** Fits a cell's spectra in cycle order, each from the previous result. */
export function fitRcatSeries(spectra: readonly { cycle: number; spectrum: Spectrum }[]): RcatFit[] {
  const out: RcatFit[] = [];
  let previous: FitResult | undefined;
  for (const { cycle, spectrum } of [...spectra].sort((a, b) => a.cycle - b.cycle)) {
    try {
      const r = fitRcat(cycle, spectrum, previous);
      out.push(r.fit);
      if (r.fit.warning === undefined) previous = r.result;
    } catch (e) {
      out.push({
        cycle,
        rSeOhm: Number.NaN,
        rCatOhm: Number.NaN,
        rAnodeOhm: Number.NaN,
        cathodeHz: Number.NaN,
        anodeHz: Number.NaN,
        rmsRelative: Number.NaN,
        warning: `cycle ${cycle}: spectrum not fitted (${(e as Error).message})`,
      });
    }
  }
  return out;
}
