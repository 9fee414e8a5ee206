/**
 * BioLogic EC-Lab ASCII (.mpt): line 1 "EC-Lab ASCII FILE", line 2 "Nb header lines : N"; the column
 * header is line N and data follow, tab-separated, latin-1. EC-Lab stores -Im(Z), which the column
 * name says and columns.ts negates.
 */
import type { Spectrum } from '../spectrum';
import { findColumns } from './columns';
import { readTable } from './table';
import { SpectrumFileError, splitFields } from './tokenizer';

export const biologicMptFormat = 'biologic-mpt';

export function isBiologicMpt(lines: readonly string[]): boolean {
  return (lines[0] ?? '').trim().startsWith('EC-Lab ASCII FILE');
}

export function readBiologicMpt(fileName: string, lines: readonly string[]): Spectrum {
  const count = /^Nb header lines\s*:\s*(\d+)\s*$/.exec((lines[1] ?? '').trim());
  if (count === null) throw new SpectrumFileError(fileName, 2, 'expected "Nb header lines : N"');
  const headerLines = Number(count[1]);
  if (headerLines < 3 || headerLines > lines.length) {
    throw new SpectrumFileError(
      fileName,
      2,
      `header line count ${headerLines} does not fit a file of ${lines.length} lines`,
    );
  }
  const names = splitFields(lines[headerLines - 1] ?? '', '\t');
  const layout = findColumns(names);
  if (typeof layout === 'string') throw new SpectrumFileError(fileName, headerLines, layout);
  return readTable({ fileName, lines, start: headerLines, layout, separator: '\t', columnNames: names });
}
