/**
 * An EC-Lab table in cellrig's terms: the cycling time series and the impedance spectra, each with the
 * cycle it belongs to. EC-Lab's conventions are mapped here, at the edge, so nothing downstream knows
 * which instrument wrote the file:
 *   current  mA -> A; its sign is kept: EC-Lab's positive current is oxidation at the working
 *            electrode, what EC-Lab itself counts as charge (Q charge), and cellrig's "positive while
 *            charging" for a cell with the cathode on the working electrode, as a battery is wired;
 *   voltage  Ewe (or <Ewe>) in V: the cell voltage of a two-electrode cell;
 *   Im(Z)    EC-Lab stores -Im(Z): negated here, so Im is negative for a capacitive arc;
 *   cycle    EC-Lab's cycle number (a charge and the discharge after it, from 0), kept as `ecCycle`;
 *            the cell's own 1-based numbering is the importer's (import.ts), which continues a cell
 *            across files.
 * Impedance rows (those with a frequency) form the spectra and are left out of the time series: their
 * current is the sweep's, not a charge or discharge step's.
 */
import { type Spectrum, spectrum } from '../eis/spectrum';
import { InstrumentFileError } from './errors';
import { column, type EcLabTable } from './table';

export type RunSample = {
  readonly timeS: number;
  readonly voltageV: number;
  /** Positive while charging. */
  readonly currentA: number;
  readonly ecCycle: number;
  /** EC-Lab's sequence (Ns): the step of the technique or Modulo Bat protocol. */
  readonly step: number;
  /** Row in the file (0-based), for messages and for reading a growing file on. */
  readonly row: number;
};

export type RunSpectrum = {
  readonly ecCycle: number;
  readonly step: number;
  readonly firstRow: number;
  readonly lastRow: number;
  readonly startTimeS: number;
  /** Whether a charge step of the same cycle came before it (the cell is then in its charged state). */
  readonly afterCharge: boolean;
  readonly spectrum: Spectrum;
};

export type InstrumentRun = {
  readonly fileName: string;
  readonly format: EcLabTable['format'];
  readonly technique: string | null;
  readonly acquisitionStart: string | null;
  readonly rowCount: number;
  readonly samples: RunSample[];
  readonly spectra: RunSpectrum[];
  /**
   * The run's first row (time to 12 digits, voltage or frequency to 6), which a binary file and its text
   * export share and which does not change as the file grows: it tells a run seen before from a new one.
   * Null while the file has no rows.
   */
  readonly signature: string | null;
  /** About the data (short sweeps dropped...), each naming the file. */
  readonly warnings: string[];
};

/** A sweep needs this many points to say anything about the cell (and to be fitted). */
const MIN_SWEEP_POINTS = 3;

export function runFromTable(table: EcLabTable): InstrumentRun {
  const { fileName, rowCount } = table;
  const need = (what: string, ...names: string[]): Float64Array => {
    const c = column(table, ...names);
    if (c) return c;
    throw new InstrumentFileError(fileName, null, `no ${what} column (${names.join(' or ')})`);
  };
  const time = need('time', 'time/s');
  const freq = column(table, 'freq/Hz');
  const cycle = column(table, 'cycle number');
  const step = column(table, 'Ns');
  const warnings: string[] = [];

  const isImpedance = (k: number) => freq !== null && freq[k]! > 0;
  let hasCycling = false;
  for (let k = 0; k < rowCount && !hasCycling; k++) hasCycling = !isImpedance(k);
  const samples: RunSample[] = [];
  if (hasCycling) {
    const voltage = need('voltage', 'Ewe/V', '<Ewe>/V');
    const current = need('current', 'I/mA', '<I>/mA');
    for (let k = 0; k < rowCount; k++) {
      if (isImpedance(k)) continue;
      samples.push({
        timeS: time[k]!,
        voltageV: voltage[k]!,
        currentA: current[k]! / 1000,
        ecCycle: cycle?.[k] ?? 0,
        step: step?.[k] ?? 0,
        row: k,
      });
    }
  }

  const spectra: RunSpectrum[] = [];
  if (freq) {
    const re = need('real impedance', 'Re(Z)/Ohm');
    const minusIm = need('imaginary impedance', '-Im(Z)/Ohm');
    const charged = new Set<number>(); // cycles in which a charge step has been seen so far
    let k = 0;
    let s = 0;
    while (k < rowCount) {
      // Keep track of charge steps among the cycling rows before this point.
      while (s < samples.length && samples[s]!.row < k) {
        if (samples[s]!.currentA > 0) charged.add(samples[s]!.ecCycle);
        s++;
      }
      if (!isImpedance(k)) {
        k++;
        continue;
      }
      const first = k;
      k = sweepEnd(freq, step, first, rowCount);
      const ecCycle = cycle?.[first] ?? 0;
      const n = k - first;
      if (n < MIN_SWEEP_POINTS) {
        warnings.push(`${fileName}: rows ${first}-${k - 1}: a sweep of ${n} point(s) left out`);
        continue;
      }
      const sl = (a: Float64Array) => a.subarray(first, k);
      spectra.push({
        ecCycle,
        step: step?.[first] ?? 0,
        firstRow: first,
        lastRow: k - 1,
        startTimeS: time[first]!,
        afterCharge: charged.has(ecCycle),
        spectrum: spectrum(
          sl(freq),
          sl(re),
          sl(minusIm).map((v) => -v),
        ),
      });
    }
  }
  const level = column(table, 'Ewe/V', '<Ewe>/V', 'freq/Hz');
  const signature =
    rowCount > 0 ? `${time[0]!.toPrecision(12)}|${level ? level[0]!.toPrecision(6) : '-'}` : null;
  return {
    fileName,
    format: table.format,
    signature,
    technique: table.technique,
    acquisitionStart: table.acquisitionStart,
    rowCount,
    samples,
    spectra,
    warnings,
  };
}

/**
 * One sweep: consecutive impedance rows of one sequence step whose frequency keeps moving the way its
 * first two points set. A repeat of the sweep (EC-Lab's "nr" or a loop) starts over at the first
 * frequency, which breaks the direction. EC-Lab's z cycle is not used: mb.issue_149 resets it in the
 * middle of a sweep.
 */
function sweepEnd(freq: Float64Array, step: Float64Array | null, first: number, rowCount: number): number {
  let k = first + 1;
  let direction = 0;
  while (k < rowCount && freq[k]! > 0 && (step === null || step[k] === step[first])) {
    const d = Math.sign(freq[k]! - freq[k - 1]!);
    if (d === 0 || (direction !== 0 && d !== direction)) break;
    direction = d;
    k++;
  }
  return k;
}
