/**
 * Metrohm Autolab / ZView-style text export ("Z60W Data File"): quoted title and blank lines, a settings
 * line, the point count, one quoted header whose names are separated by runs of spaces, then
 * comma-separated rows. Z''(b) is the true imaginary part. The point count lets a truncated file be caught.
 */
import type { Spectrum } from '../spectrum';
import { findColumns } from './columns';
import { readTable } from './table';
import { parseNumber, SpectrumFileError } from './tokenizer';

export const autolabFormat = 'autolab-txt';

export function isAutolabTxt(lines: readonly string[]): boolean {
  return /^"[^"]*Data File/i.test((lines[0] ?? '').trim());
}

export function readAutolabTxt(fileName: string, lines: readonly string[]): Spectrum {
  const header = lines.findIndex((l) => /^"\s*freq/i.test(l.trim()));
  if (header < 0) throw new SpectrumFileError(fileName, null, 'no quoted column header starting with "Freq"');
  const names = (lines[header] ?? '')
    .trim()
    .replace(/^"|"$/g, '')
    .trim()
    .split(/\s{2,}|\t/);
  const layout = findColumns(names);
  if (typeof layout === 'string') throw new SpectrumFileError(fileName, header + 1, layout);
  const result = readTable({
    fileName,
    lines,
    start: header + 1,
    layout,
    separator: ',',
    columnNames: names,
  });
  const declared = header > 0 ? parseNumber((lines[header - 1] ?? '').trim(), ',') : null;
  if (declared !== null && declared !== result.fHz.length) {
    throw new SpectrumFileError(
      fileName,
      header,
      `the file declares ${declared} points but holds ${result.fHz.length}`,
    );
  }
  return result;
}
