/**
 * BioLogic EC-Lab binary (.mpr): read whole by src/instruments (its layout is in
 * src/instruments/eclab-mpr.md); here the one impedance sweep it must hold to be a spectrum. A file with
 * several sweeps (a Modulo Bat run, a PEIS with repeats) is refused with the count: `cellrig cells
 * import` takes every sweep with the cycle it belongs to.
 */
import { readMpr } from '../../instruments/eclab-mpr';
import { InstrumentFileError } from '../../instruments/errors';
import { runFromTable } from '../../instruments/run';
import type { Spectrum } from '../spectrum';
import { SpectrumFileError } from './tokenizer';

export const biologicMprFormat = 'biologic-mpr';

export function readBiologicMpr(fileName: string, content: Uint8Array): Spectrum {
  let spectra: Spectrum[];
  try {
    spectra = runFromTable(readMpr(fileName, content)).spectra.map((s) => s.spectrum);
  } catch (e) {
    if (e instanceof InstrumentFileError) {
      throw new SpectrumFileError(fileName, null, e.where ? `${e.where}: ${e.problem}` : e.problem);
    }
    throw e;
  }
  if (spectra.length === 1) return spectra[0]!;
  throw new SpectrumFileError(
    fileName,
    null,
    spectra.length === 0
      ? 'no impedance sweep in this .mpr (no rows with a frequency)'
      : `${spectra.length} impedance sweeps in this .mpr: \`cellrig cells import\` takes them all, each with its cycle`,
  );
}
