/**
 * Instrument files in: the format is told from the content (never the name), read whole, and turned
 * into cellrig's terms (run.ts). Today: BioLogic EC-Lab, binary (.mpr) and text export (.mpt).
 */
import { isMpr, readMpr } from './eclab-mpr';
import { isMpt, readMpt } from './eclab-mpt';
import { InstrumentFileError } from './errors';
import { type InstrumentRun, runFromTable } from './run';
import type { EcLabTable } from './table';

export { InstrumentFileError } from './errors';
export type { InstrumentRun, RunSample, RunSpectrum } from './run';

export type ReadOptions = {
  /** The file may still be growing: a text export's half-written last line is left for later. */
  readonly growing?: boolean;
};

export function isInstrumentFile(content: Uint8Array): boolean {
  return isMpr(content) || isMpt(content);
}

export function readInstrumentTable(
  fileName: string,
  content: Uint8Array,
  options: ReadOptions = {},
): EcLabTable {
  if (content.length === 0) throw new InstrumentFileError(fileName, null, 'empty file');
  if (isMpr(content)) return readMpr(fileName, content);
  if (isMpt(content)) return readMpt(fileName, content, options);
  throw new InstrumentFileError(
    fileName,
    null,
    'not an instrument file cellrig reads (expected an EC-Lab .mpr or its .mpt text export)',
  );
}

export function readInstrumentRun(
  fileName: string,
  content: Uint8Array,
  options: ReadOptions = {},
): InstrumentRun {
  return runFromTable(readInstrumentTable(fileName, content, options));
}
