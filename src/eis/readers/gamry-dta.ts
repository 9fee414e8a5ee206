/**
 * Gamry Framework .DTA: tagged header lines, then tables introduced by "NAME<TAB>TABLE". The spectrum
 * is the ZCURVE table: a column-name line, a unit line, then rows that start with a tab. Zimag is the
 * true imaginary part.
 */
import type { Spectrum } from '../spectrum';
import { findColumns } from './columns';
import { readTable } from './table';
import { SpectrumFileError, splitFields } from './tokenizer';

export const gamryDtaFormat = 'gamry-dta';

const ZCURVE = /^ZCURVE\tTABLE\b/;

export function isGamryDta(lines: readonly string[]): boolean {
  return (lines[0] ?? '').trim() === 'EXPLAIN' || lines.some((l) => ZCURVE.test(l));
}

export function readGamryDta(fileName: string, lines: readonly string[]): Spectrum {
  const table = lines.findIndex((l) => ZCURVE.test(l));
  if (table < 0)
    throw new SpectrumFileError(fileName, null, 'no ZCURVE table (not an impedance measurement?)');
  const names = splitFields(lines[table + 1] ?? '', '\t');
  const layout = findColumns(names);
  if (typeof layout === 'string') throw new SpectrumFileError(fileName, table + 2, layout);
  // The table ends at the first line that does not start with a tab (the next tag or section).
  let end = table + 3;
  while (end < lines.length && (lines[end] ?? '').startsWith('\t')) end++;
  return readTable({ fileName, lines, start: table + 3, end, layout, separator: '\t', columnNames: names });
}
