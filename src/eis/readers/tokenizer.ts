/**
 * Shared text handling for instrument exports: decoding, line splitting, field splitting and strict
 * number parsing. Every reader reports problems through SpectrumFileError so a user sees file and line.
 */

export class SpectrumFileError extends Error {
  constructor(
    readonly fileName: string,
    /** 1-based line number, or null when the problem concerns the whole file. */
    readonly line: number | null,
    readonly problem: string,
  ) {
    super(line === null ? `${fileName}: ${problem}` : `${fileName}, line ${line}: ${problem}`);
    this.name = 'SpectrumFileError';
  }
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Instruments write UTF-8 (Autolab, with a BOM), UTF-16 (some Windows exports) or latin-1 (EC-Lab,
 * Gamry: the micro sign is byte 0xB5). Strict UTF-8 decoding fails on latin-1 bytes, which tells them apart.
 */
export function decodeText(content: Buffer): string {
  if (content.length >= 2 && content[0] === 0xff && content[1] === 0xfe) {
    return content.subarray(2).toString('utf16le');
  }
  if (content.length >= 3 && content[0] === 0xef && content[1] === 0xbb && content[2] === 0xbf) {
    return content.subarray(3).toString('utf8');
  }
  try {
    return utf8Strict.decode(content);
  } catch {
    return content.toString('latin1');
  }
}

export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

export type Separator = '\t' | ',' | ';' | ' ';

/** The separator a data line uses: tab, then semicolon, then comma, else runs of spaces. */
export function detectSeparator(line: string): Separator {
  if (line.includes('\t')) return '\t';
  if (line.includes(';')) return ';';
  if (line.includes(',')) return ',';
  return ' ';
}

/** Fields of one line, trimmed and unquoted; a trailing empty field (EC-Lab ends lines with a tab) is dropped. */
export function splitFields(line: string, separator: Separator): string[] {
  const raw = separator === ' ' ? line.trim().split(/\s+/) : line.split(separator);
  const fields = raw.map((f) => unquote(f.trim()));
  while (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  return fields;
}

function unquote(field: string): string {
  return field.length >= 2 && field.startsWith('"') && field.endsWith('"')
    ? field.slice(1, -1).trim()
    : field;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DECIMAL_COMMA = /^[+-]?\d+,\d+([eE][+-]?\d+)?$/;

/**
 * A decimal number, or null. Stricter than Number(): no empty string, no hex, no NaN or Infinity, so a
 * damaged field can never turn into a silent NaN or 0. A decimal comma is accepted only where the
 * separator is not a comma (European locale exports).
 */
export function parseNumber(field: string, separator: Separator): number | null {
  if (NUMBER.test(field)) return Number(field);
  if (separator !== ',' && DECIMAL_COMMA.test(field)) return Number(field.replace(',', '.'));
  return null;
}

export function isNumericLine(line: string): boolean {
  const separator = detectSeparator(line);
  const fields = splitFields(line, separator);
  return fields.length > 0 && fields.every((f) => parseNumber(f, separator) !== null);
}
