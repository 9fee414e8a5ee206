/**
 * The on-disk format of one cell, as text in and text out (directory.ts does the file I/O):
 *
 *   <cell>/cell.json             id, coating, nominal capacity, pressure, cathode batch (+ drying run)
 *   <cell>/cycling.csv           time_s,cycle,voltage_V,current_A   (current > 0 while charging)
 *   <cell>/eis/cycle-NNN.csv     f_Hz,re_ohm,im_ohm                 (true sign of Im, one per cycle)
 *
 * Spectra may also be instrument exports (any format src/eis/readers detects), named cycle-NNN.<ext>.
 * Errors name the file and the line.
 */
import { z } from 'zod';
import type { CyclingSample } from '../cycling/samples';
import { type Spectrum, spectrum } from '../eis/spectrum';

export const CELL_JSON = 'cell.json';
export const CYCLING_CSV = 'cycling.csv';
export const EIS_DIR = 'eis';
export const CYCLING_HEADER = 'time_s,cycle,voltage_V,current_A';
export const SPECTRUM_HEADER = 'f_Hz,re_ohm,im_ohm';

export const cellMetaSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, _ and - (it names a folder and a topic level)'),
  coating: z.string().min(1).max(64),
  nominalCapacitymAh: z.number().positive(),
  pressureMPa: z.number().positive().max(1000),
  temperatureC: z.number().min(-50).max(200).optional(),
  cathodeBatch: z.object({
    id: z.string().min(1),
    /** The coating-drying run the cathode powder came from (its profile log), or null if not dried. */
    dryingRun: z.string().min(1).nullable(),
  }),
});
export type CellMeta = z.infer<typeof cellMetaSchema>;

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
  return r.data;
}

export type ParsedCycling = {
  readonly samples: CyclingSample[];
  /** Lines (1-based) whose values could not all be read; they are kept as NaN for cleanSamples to drop. */
  readonly badLines: readonly { line: number; problem: string }[];
};

/** Parses cycling.csv. A wrong header is an error; a bad row is kept as NaN and reported by line. */
export function parseCyclingCsv(file: string, text: string): ParsedCycling {
  const lines = text.split(/\r?\n/);
  while (lines.length > 1 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const header = (lines[0] ?? '').trim().replace(/^\uFEFF/, '');
  if (header !== CYCLING_HEADER) {
    throw new CellFileError(file, 1, `expected header '${CYCLING_HEADER}', found '${header}'`);
  }
  const samples: CyclingSample[] = [];
  const badLines: { line: number; problem: string }[] = [];
  for (let i = 1; i < lines.length; i++) {
    // Every line after the header is a sample (a blank one too, as NaN), so sample i is on line i + 2.
    const raw = lines[i]!.trim();
    const fields = raw.split(',');
    const values = fields.map((f) => (f.trim() === '' ? Number.NaN : Number(f)));
    if (fields.length !== 4 || values.some((v) => !Number.isFinite(v))) {
      badLines.push({
        line: i + 1,
        problem:
          fields.length !== 4 ? `expected 4 fields, found ${fields.length}` : `not a number in '${raw}'`,
      });
    }
    samples.push({
      timeS: values[0] ?? Number.NaN,
      cycle: values[1] ?? Number.NaN,
      voltageV: values[2] ?? Number.NaN,
      currentA: values[3] ?? Number.NaN,
    });
  }
  return { samples, badLines };
}

export function formatCyclingCsv(samples: readonly CyclingSample[]): string {
  const rows = samples.map(
    (s) => `${round(s.timeS, 3)},${s.cycle},${round(s.voltageV, 6)},${s.currentA.toPrecision(7)}`,
  );
  return `${CYCLING_HEADER}\n${rows.join('\n')}\n`;
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
