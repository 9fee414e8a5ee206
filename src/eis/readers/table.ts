/**
 * Reads the numeric rows of a table whose columns are known, checking every value, and builds a Spectrum.
 */
import { z } from 'zod';
import { type Spectrum, spectrum } from '../spectrum';
import type { ColumnLayout } from './columns';
import { parseNumber, type Separator, SpectrumFileError, splitFields } from './tokenizer';

// One data row after unit scaling: the single source of truth for what a readable point is.
const pointSchema = z.object({
  fHz: z.number().finite().positive({ message: 'frequency must be positive' }),
  reOhm: z.number().finite(),
  imOhm: z.number().finite(),
  phaseDeg: z.number().finite().nullable(),
});

export type TableOptions = {
  readonly fileName: string;
  readonly lines: readonly string[];
  /** 0-based index of the first data line. */
  readonly start: number;
  readonly layout: ColumnLayout;
  readonly separator: Separator;
  /** Stop before this line (0-based): where a following section begins. Defaults to the end. */
  readonly end?: number;
  /** Names of the columns, for messages. */
  readonly columnNames?: readonly string[];
};

export function readTable(options: TableOptions): Spectrum {
  const { fileName, lines, start, layout, separator } = options;
  const end = options.end ?? lines.length;
  const needed =
    Math.max(layout.frequency.index, layout.real.index, layout.imaginary.index, layout.phase?.index ?? 0) + 1;
  const fHz: number[] = [];
  const reOhm: number[] = [];
  const imRaw: number[] = [];
  const phaseDeg: number[] = [];
  const lineOf: number[] = [];
  for (let i = start; i < end; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    const fields = splitFields(line, separator);
    if (fields.length < needed) {
      throw new SpectrumFileError(
        fileName,
        i + 1,
        `expected at least ${needed} fields, found ${fields.length}`,
      );
    }
    const value = (index: number, scale: number): number => {
      const text = fields[index] ?? '';
      const parsed = parseNumber(text, separator);
      if (parsed === null) {
        const column = options.columnNames?.[index] ?? `${index + 1}`;
        throw new SpectrumFileError(fileName, i + 1, `"${text}" in column ${column} is not a number`);
      }
      return parsed * scale;
    };
    const point = pointSchema.safeParse({
      fHz: value(layout.frequency.index, layout.frequency.scale),
      reOhm: value(layout.real.index, layout.real.scale),
      imOhm: value(layout.imaginary.index, layout.imaginary.scale),
      phaseDeg: layout.phase === null ? null : value(layout.phase.index, layout.phase.scale),
    });
    if (!point.success) {
      const issue = point.error.issues[0];
      throw new SpectrumFileError(fileName, i + 1, `${issue?.path.join('.')}: ${issue?.message}`);
    }
    fHz.push(point.data.fHz);
    reOhm.push(point.data.reOhm);
    imRaw.push(point.data.imOhm);
    phaseDeg.push(point.data.phaseDeg ?? 0);
    lineOf.push(i + 1);
  }
  if (fHz.length === 0) throw new SpectrumFileError(fileName, null, 'no data rows');
  rejectRepeatedFrequencies(fileName, fHz, lineOf);
  const sign = layout.imaginary.sign ?? signFromPhase(fileName, layout, imRaw, phaseDeg);
  return spectrum(fHz, reOhm, sign === 1 ? imRaw : imRaw.map((v) => -v));
}

// A repeated frequency means several sweeps in one file (or a damaged one); analysing them as one
// spectrum would be wrong, so say where.
function rejectRepeatedFrequencies(
  fileName: string,
  fHz: readonly number[],
  lineOf: readonly number[],
): void {
  const seen = new Map<number, number>();
  fHz.forEach((f, k) => {
    const earlier = seen.get(f);
    if (earlier !== undefined) {
      throw new SpectrumFileError(
        fileName,
        lineOf[k] ?? null,
        `frequency ${f} Hz repeats line ${earlier} (several sweeps in one file? export one)`,
      );
    }
    seen.set(f, lineOf[k] ?? 0);
  });
}

/** Phase = atan2(Im, Re): a column holding Im has the sign of the phase, one holding -Im the opposite. */
function signFromPhase(
  fileName: string,
  layout: ColumnLayout,
  imRaw: readonly number[],
  phaseDeg: readonly number[],
): 1 | -1 {
  if (layout.phase === null) {
    throw new SpectrumFileError(
      fileName,
      null,
      'the imaginary column is unnamed and there is no phase column to tell Im from -Im',
    );
  }
  let agree = 0;
  let disagree = 0;
  imRaw.forEach((v, k) => {
    const p = phaseDeg[k] ?? 0;
    if (v * p > 0) agree++;
    else if (v * p < 0) disagree++;
  });
  if (agree === disagree) {
    throw new SpectrumFileError(
      fileName,
      null,
      'cannot tell from the phase column whether the unnamed column holds Im or -Im',
    );
  }
  return agree > disagree ? 1 : -1;
}
