/**
 * NEISYS spectrometer text export: line 1 the sample name, then "Fixed value(s): ..." lines, then the
 * header (Freq.[Hz], Zs'[ohm], Zs''[ohm]) and whitespace/tab-separated rows. Zs'' is the true Im(Z).
 */
import type { Spectrum } from '../spectrum';
import { findColumns } from './columns';
import { readTable } from './table';
import { detectSeparator, SpectrumFileError, splitFields } from './tokenizer';

export const neisysFormat = 'neisys-txt';

const TITLE_LINES = 5;

export function isNeisysTxt(lines: readonly string[]): boolean {
  return lines.slice(0, TITLE_LINES).some((l) => /^\s*Fixed value/i.test(l) || /\bZs''/.test(l));
}

export function readNeisysTxt(fileName: string, lines: readonly string[]): Spectrum {
  const header = lines.slice(0, TITLE_LINES + 1).findIndex((l) => /\bfreq/i.test(l) && /Zs'/.test(l));
  if (header < 0)
    throw new SpectrumFileError(fileName, null, "no Freq / Zs' / Zs'' header in the first lines");
  const headerLine = lines[header] ?? '';
  const names = splitFields(headerLine, detectSeparator(headerLine));
  const layout = findColumns(names);
  if (typeof layout === 'string') throw new SpectrumFileError(fileName, header + 1, layout);
  const firstData = lines[header + 1] ?? '';
  return readTable({
    fileName,
    lines,
    start: header + 1,
    layout,
    separator: detectSeparator(firstData),
    columnNames: names,
  });
}
