/**
 * Plain CSV/TXT: three or more numeric columns (f, Re, Im), any separator, with or without a header.
 * With a header, columns are found by name (so "-Im(Z)" or "-Z''" is negated, "#NAME?" is settled by the
 * phase); without one, the columns are f, Re(Z), Im(Z) with the true sign, as impedance.py and
 * pyDRTtools write them.
 */
import type { Spectrum } from '../spectrum';
import { findColumns } from './columns';
import { readTable } from './table';
import { detectSeparator, isNumericLine, SpectrumFileError, splitFields } from './tokenizer';

export const plainFormat = 'csv';

export function readPlain(fileName: string, lines: readonly string[]): Spectrum {
  const firstData = lines.findIndex((l) => l.trim() !== '' && isNumericLine(l));
  if (firstData < 0) {
    const firstText = lines.findIndex((l) => l.trim() !== '');
    throw new SpectrumFileError(fileName, firstText < 0 ? null : firstText + 1, 'no numeric data rows found');
  }
  const separator = detectSeparator(lines[firstData] ?? '');
  let headerIndex = firstData - 1;
  while (headerIndex >= 0 && (lines[headerIndex] ?? '').trim() === '') headerIndex--;
  if (headerIndex < 0) {
    const width = splitFields(lines[firstData] ?? '', separator).length;
    if (width < 3) {
      throw new SpectrumFileError(fileName, firstData + 1, `expected 3 columns (f, Re, Im), found ${width}`);
    }
    const layout = {
      frequency: { index: 0, scale: 1 },
      real: { index: 1, scale: 1 },
      imaginary: { index: 2, scale: 1, sign: 1 as const },
      phase: null,
    };
    return readTable({ fileName, lines, start: firstData, layout, separator });
  }
  const headerLine = lines[headerIndex] ?? '';
  const names = splitFields(headerLine, detectSeparator(headerLine));
  const layout = findColumns(names);
  if (typeof layout === 'string') throw new SpectrumFileError(fileName, headerIndex + 1, layout);
  return readTable({ fileName, lines, start: firstData, layout, separator, columnNames: names });
}
