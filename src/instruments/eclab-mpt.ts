/**
 * EC-Lab's text export (.mpt) as a whole table: every column, not only an impedance spectrum.
 * Line 1 "EC-Lab ASCII FILE", line 2 "Nb header lines : N"; lines 3..N-1 describe the run (line 4 the
 * technique, "Acquisition started on : MM/DD/YYYY HH:MM:SS.sss"); line N names the columns; then one
 * tab-separated row per recorded point, latin-1, with a decimal point or a decimal comma (the Windows
 * locale's). A short export has only the three lines before the rows.
 *
 * A file still being written (`growing`) may end in a half-written line: that line is left for the
 * next read, never parsed. Anything else that is not a number where one belongs is an error naming the
 * line and the column.
 */
import { decodeText, parseNumber, splitFields } from '../eis/readers/tokenizer';
import { InstrumentFileError } from './errors';
import type { EcLabTable } from './table';

export const MPT_MAGIC = 'EC-Lab ASCII FILE';

export function isMpt(content: Uint8Array): boolean {
  const head = Buffer.from(content.buffer, content.byteOffset, Math.min(content.length, 32)).toString(
    'latin1',
  );
  return head.replace(/^\uFEFF|^\xEF\xBB\xBF/, '').startsWith(MPT_MAGIC);
}

export type MptOptions = {
  /** The file is still being written: a last line without its line end is not read yet. */
  readonly growing?: boolean;
};

export function readMpt(fileName: string, content: Uint8Array, options: MptOptions = {}): EcLabTable {
  const fail = (line: number | null, problem: string): never => {
    throw new InstrumentFileError(fileName, line === null ? null : `line ${line}`, problem);
  };
  let text = decodeText(Buffer.from(content.buffer, content.byteOffset, content.byteLength));
  let complete = true;
  // EC-Lab's exports end without a line end after the last row (all eight here), so in a finished file
  // the last line is a row; in a file still being written it may be half of one: left for the next read.
  if (options.growing && !/[\r\n]$/.test(text)) {
    const end = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    text = text.slice(0, end + 1);
    complete = false;
  }
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if ((lines[0] ?? '').trim() !== MPT_MAGIC) fail(1, `expected "${MPT_MAGIC}"`);
  const count = /^Nb header lines\s*:\s*(\d+)\s*$/.exec((lines[1] ?? '').trim());
  if (!count) return fail(2, 'expected "Nb header lines : N"');
  const headerLines = Number(count[1]);
  if (headerLines < 3) fail(2, `header line count ${headerLines}: at least 3 (magic, count, column names)`);
  if (headerLines > lines.length) {
    if (options.growing) return emptyTable(fileName, lines, headerLines);
    fail(2, `header of ${headerLines} lines, but the file has ${lines.length}`);
  }
  let names = uniqueNames(splitFields(lines[headerLines - 1] ?? '', '\t'));
  if (names.length === 0) fail(headerLines, 'no column names');
  names = dropUnfilledNames(names, lines[headerLines]);
  if (names.some((n) => /^[-+]?\d/.test(n) && parseNumber(n, '\t') !== null)) {
    fail(headerLines, 'the column-name line holds numbers: "Nb header lines" does not match the file');
  }

  const values: number[][] = names.map(() => []);
  for (let i = headerLines; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const fields = splitFields(line, '\t');
    if (fields.length !== names.length) {
      fail(i + 1, `${fields.length} fields where the header names ${names.length} columns`);
    }
    for (let c = 0; c < names.length; c++) {
      const v = parseNumber(fields[c]!, '\t');
      if (v === null || !Number.isFinite(v)) {
        fail(i + 1, `"${fields[c]!.slice(0, 40)}" in column '${names[c]}' is not a number`);
      }
      values[c]!.push(v as number);
    }
  }
  if (values[0]!.length === 0 && !options.growing) fail(headerLines, 'no data rows after the column names');
  const header = lines.slice(0, headerLines - 1);
  return {
    fileName,
    format: 'eclab-mpt',
    technique: headerLines >= 5 ? (header[3]?.trim() ?? null) || null : null,
    acquisitionStart: startFrom(header),
    rowCount: values[0]!.length,
    columns: new Map(names.map((n, c) => [n, Float64Array.from(values[c]!)])),
    derived: [],
    complete,
  };
}

/** A growing file whose header is not all written yet: no rows, no columns. */
function emptyTable(fileName: string, lines: string[], headerLines: number): EcLabTable {
  const header = lines.slice(0, headerLines - 1);
  return {
    fileName,
    format: 'eclab-mpt',
    technique: header[3]?.trim() || null,
    acquisitionStart: startFrom(header),
    rowCount: 0,
    columns: new Map(),
    derived: [],
    complete: false,
  };
}

/** "Acquisition started on : 01/10/2024 11:02:29.886" (MM/DD/YYYY) -> "2024-01-10T11:02:29.886". */
function startFrom(header: readonly string[]): string | null {
  for (const line of header) {
    const m =
      /^Acquisition started on\s*:\s*(\d\d)\/(\d\d)\/(\d{4}) (\d\d):(\d\d):(\d\d)(?:[.,](\d{1,3}))?/.exec(
        line.trim(),
      );
    if (m) {
      const ms = (m[7] ?? '0').padEnd(3, '0');
      return `${m[3]}-${m[1]}-${m[2]}T${m[4]}:${m[5]}:${m[6]}.${ms}`;
    }
  }
  return null;
}

/**
 * EC-Lab sometimes names columns that no row fills: peis.issue_225.with_ece's header ends
 * "Rwe-ce/Ohm, (empty), Ewe-Ece/V" while its rows stop after Rwe-ce/Ohm. When the first row is shorter
 * than the header and the header's next name is the empty one, the names from there on are dropped;
 * every row must then have the first row's width.
 */
function dropUnfilledNames(names: string[], firstRow: string | undefined): string[] {
  if (firstRow === undefined || firstRow.trim() === '') return names;
  const width = splitFields(firstRow, '\t').length;
  if (width >= names.length || names[width] !== '') return names;
  return names.slice(0, width);
}

/** A repeated column name (rare, but seen in hand-edited exports) gets " #2", " #3"... */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n} #${k}`;
  });
}
