/**
 * The on-disk format of one cell, as text in and text out (directory.ts does the file I/O):
 *
 *   <cell>/cell.json             only `id` is required; every other field has a documented default
 *   <cell>/cycling.csv           time_s,cycle,voltage_V,current_A[,temperature_C]   (current > 0 charging)
 *   <cell>/eis/cycle-NNN.csv     f_Hz,re_ohm,im_ohm                 (true sign of Im, one per cycle)
 *
 * Spectra may also be instrument exports (any format src/eis/readers detects), named cycle-NNN.<ext>.
 * Errors name the file and the line; a missing optional field or column is a warning, never an error.
 */
import { z } from 'zod';
import type { CyclingSample } from '../cycling/samples';
import { type Spectrum, spectrum } from '../eis/spectrum';

export const CELL_JSON = 'cell.json';
export const CYCLING_CSV = 'cycling.csv';
export const EIS_DIR = 'eis';
export const CYCLING_COLUMNS = ['time_s', 'cycle', 'voltage_V', 'current_A'] as const;
export const TEMPERATURE_COLUMN = 'temperature_C';
export const CYCLING_HEADER = CYCLING_COLUMNS.join(',');
export const SPECTRUM_HEADER = 'f_Hz,re_ohm,im_ohm';

export const cellMetaSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, _ and - (it names a folder and a topic level)'),
  coating: z.string().min(1).max(64).optional(),
  nominalCapacitymAh: z.number().positive().optional(),
  pressureMPa: z.number().positive().max(1000).optional(),
  /** The cell's temperature when cycling.csv has no temperature_C column. */
  temperatureC: z.number().min(-50).max(200).optional(),
  /** Of R_CAT, for normalising it to 25 C; estimated from the data when absent. */
  activationEnergyEv: z.number().min(0.05).max(2).optional(),
  cathodeBatch: z
    .object({
      id: z.string().min(1),
      /** The coating-drying run the cathode powder came from (its profile log), or null if not dried. */
      dryingRun: z.string().min(1).nullable(),
    })
    .optional(),
});
export type CellMeta = z.infer<typeof cellMetaSchema>;

/**
 * What an absent cell.json field means. Each absence is a warning (readCellMeta), never an error: the
 * verdicts do not need any of them (retention is against the cell's own first cycle).
 */
export const CELL_META_DEFAULTS: Readonly<Record<Exclude<keyof CellMeta, 'id'>, string>> = {
  coating: "'unknown'",
  nominalCapacitymAh: 'not used: retention is against the first cycle, and no capacity check is made',
  pressureMPa: 'R_CAT is not normalised for stack pressure',
  temperatureC: "cycling.csv's temperature_C column; without either, R_CAT is not normalised for temperature",
  activationEnergyEv:
    'estimated from R_CAT against the logged temperature; without enough temperature spread, none',
  cathodeBatch: 'none recorded',
};

export const UNKNOWN_COATING = 'unknown';

export class CellFileError extends Error {
  override name = 'CellFileError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly problem: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${problem}`);
  }
}

export function parseCellMeta(file: string, text: string): CellMeta {
  return readCellMeta(file, text).meta;
}

/** cell.json validated, with a warning for every absent optional field (naming its default) and unknown key. */
export function readCellMeta(file: string, text: string): { meta: CellMeta; warnings: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CellFileError(
      file,
      lineOfJsonError(text, e as Error),
      `not valid JSON: ${(e as Error).message}`,
    );
  }
  const r = cellMetaSchema.safeParse(json);
  if (!r.success) {
    const why = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new CellFileError(file, null, why);
  }
  const warnings: string[] = [];
  for (const [field, meaning] of Object.entries(CELL_META_DEFAULTS)) {
    if (r.data[field as keyof CellMeta] === undefined) warnings.push(`${file}: no ${field}: ${meaning}`);
  }
  const known = new Set(Object.keys(cellMetaSchema.shape));
  for (const key of Object.keys(json as object)) {
    if (!known.has(key)) warnings.push(`${file}: unknown field '${key}' ignored`);
  }
  return { meta: r.data, warnings };
}

export type ParsedCycling = {
  readonly samples: CyclingSample[];
  /** Lines (1-based) whose values could not all be read; they are kept as NaN for cleanSamples to drop. */
  readonly badLines: readonly { line: number; problem: string }[];
  /** Whether the file has the optional temperature_C column. */
  readonly hasTemperature: boolean;
};

/**
 * Parses cycling.csv. The header names the columns: the four of CYCLING_COLUMNS in any order, and
 * optionally temperature_C; a missing required column is an error on line 1. A bad row is kept as NaN
 * and reported by line; a row whose only problem is its temperature keeps its sample without one.
 */
export function parseCyclingCsv(file: string, text: string): ParsedCycling {
  const lines = text.split(/\r?\n/);
  while (lines.length > 1 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const header = (lines[0] ?? '').trim().replace(/^\uFEFF/, '');
  const names = header.split(',').map((h) => h.trim());
  const at = CYCLING_COLUMNS.map((c) => names.indexOf(c));
  const tAt = names.indexOf(TEMPERATURE_COLUMN);
  const unknown = names.filter(
    (n) => !(CYCLING_COLUMNS as readonly string[]).includes(n) && n !== TEMPERATURE_COLUMN,
  );
  if (at.some((i) => i < 0) || unknown.length > 0 || new Set(names).size !== names.length) {
    throw new CellFileError(
      file,
      1,
      `expected header '${CYCLING_HEADER}' (optionally ',${TEMPERATURE_COLUMN}'), found '${header}'`,
    );
  }
  const width = names.length;
  const [iT, iC, iV, iA] = at as [number, number, number, number];
  const samples: CyclingSample[] = new Array(lines.length - 1);
  const badLines: { line: number; problem: string }[] = [];
  const value = (f: string | undefined) => (f === undefined || f.trim() === '' ? Number.NaN : Number(f));
  for (let i = 1; i < lines.length; i++) {
    // Every line after the header is a sample (a blank one too, as NaN), so sample i is on line i + 2.
    const fields = lines[i]!.split(',');
    const t = value(fields[iT]);
    const c = value(fields[iC]);
    const v = value(fields[iV]);
    const a = value(fields[iA]);
    const temp = tAt >= 0 ? value(fields[tAt]) : Number.NaN;
    if (
      fields.length !== width ||
      !(Number.isFinite(t) && Number.isFinite(c) && Number.isFinite(v) && Number.isFinite(a))
    ) {
      const raw = lines[i]!.trim();
      badLines.push({
        line: i + 1,
        problem:
          fields.length !== width
            ? `expected ${width} fields, found ${raw === '' ? 0 : fields.length}`
            : `not a number in '${raw}'`,
      });
    } else if (tAt >= 0 && !Number.isFinite(temp) && fields[tAt]!.trim() !== '') {
      badLines.push({
        line: i + 1,
        problem: `temperature not a number in '${lines[i]!.trim()}'; kept without it`,
      });
    }
    samples[i - 1] = Number.isFinite(temp)
      ? { timeS: t, cycle: c, voltageV: v, currentA: a, temperatureC: temp }
      : { timeS: t, cycle: c, voltageV: v, currentA: a };
  }
  return { samples, badLines, hasTemperature: tAt >= 0 };
}

/** Writes temperature_C when any sample has a temperature (an empty field where one has none). */
export function formatCyclingCsv(samples: readonly CyclingSample[]): string {
  const withT = samples.some((s) => s.temperatureC !== undefined);
  const rows = samples.map((s) => {
    const row = `${round(s.timeS, 3)},${s.cycle},${round(s.voltageV, 6)},${s.currentA.toPrecision(7)}`;
    if (!withT) return row;
    return `${row},${s.temperatureC === undefined ? '' : round(s.temperatureC, 3)}`;
  });
  const header = withT ? `${CYCLING_HEADER},${TEMPERATURE_COLUMN}` : CYCLING_HEADER;
  return `${header}\n${rows.join('\n')}\n`;
}

export function formatSpectrumCsv(s: Spectrum): string {
  const rows: string[] = [];
  for (let i = 0; i < s.fHz.length; i++) {
    rows.push(`${s.fHz[i]!.toPrecision(8)},${s.reOhm[i]!.toPrecision(8)},${s.imOhm[i]!.toPrecision(8)}`);
  }
  return `${SPECTRUM_HEADER}\n${rows.join('\n')}\n`;
}

/** Parses a spectrum in this format's own layout (header f_Hz,re_ohm,im_ohm); errors name file and line. */
export function parseSpectrumCsv(file: string, text: string): Spectrum {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').trim().replace(/^\uFEFF/, '');
  if (header !== SPECTRUM_HEADER) {
    throw new CellFileError(file, 1, `expected header '${SPECTRUM_HEADER}', found '${header}'`);
  }
  const f: number[] = [];
  const re: number[] = [];
  const im: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const v = raw.split(',').map(Number);
    if (v.length !== 3 || !v.every(Number.isFinite) || !(v[0]! > 0)) {
      throw new CellFileError(file, i + 1, `expected three numbers f_Hz > 0, re_ohm, im_ohm; found '${raw}'`);
    }
    f.push(v[0]!);
    re.push(v[1]!);
    im.push(v[2]!);
  }
  if (f.length === 0) throw new CellFileError(file, null, 'no data rows');
  return spectrum(f, re, im);
}

/** cycle-007.csv -> 7; null for a name that is not a cycle spectrum. */
export function spectrumCycle(fileName: string): number | null {
  const m = /^cycle-(\d+)\.[A-Za-z0-9]+$/.exec(fileName);
  return m ? Number(m[1]) : null;
}

export function spectrumFileName(cycle: number): string {
  return `cycle-${String(cycle).padStart(3, '0')}.csv`;
}

function round(x: number, decimals: number): string {
  return Number.isFinite(x) ? String(Number(x.toFixed(decimals))) : 'NaN';
}

function lineOfJsonError(text: string, e: Error): number | null {
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const at = /position (\d+)/.exec(e.message);
  if (at) return lineAt(Number(at[1]));
  // Node 20 names the token and quotes the text around it instead of giving a position.
  const near = /Unexpected token '(.+?)', (?:\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON/.exec(
    e.message,
  );
  if (!near) return null;
  const start = text.indexOf(near[2]!);
  return start < 0 ? null : lineAt(start + Math.max(0, near[2]!.indexOf(near[1]!)));
}
