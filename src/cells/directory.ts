/**
 * Reads and writes a cell's folder in the on-disk format (format.ts). Reading is forgiving where the
 * data can still be used (a bad row or an unreadable spectrum becomes a warning naming file and line)
 * and strict where it cannot (a missing or invalid cell.json, a wrong cycling.csv header).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CyclingSample } from '../cycling/samples';
import { parseSpectrumFile } from '../eis/readers';
import type { Spectrum } from '../eis/spectrum';
import {
  CELL_JSON,
  CellFileError,
  type CellMeta,
  CYCLING_CSV,
  EIS_DIR,
  formatCyclingCsv,
  formatSpectrumCsv,
  parseCyclingCsv,
  parseSpectrumCsv,
  readCellMeta,
  SPECTRUM_HEADER,
  spectrumCycle,
  spectrumFileName,
} from './format';

export type CycleSpectrum = { readonly cycle: number; readonly spectrum: Spectrum; readonly file?: string };

export type CellData = {
  readonly dir: string;
  readonly meta: CellMeta;
  readonly samples: CyclingSample[];
  readonly spectra: CycleSpectrum[];
  readonly warnings: string[];
};

export async function readCellDir(dir: string): Promise<CellData> {
  const metaFile = join(dir, CELL_JSON);
  const { meta, warnings } = readCellMeta(metaFile, await readText(metaFile));
  const cyclingFile = join(dir, CYCLING_CSV);
  const { samples, badLines, hasTemperature } = parseCyclingCsv(cyclingFile, await readText(cyclingFile));
  // With a temperature column, cell.json's single temperature is not needed: no warning for its absence.
  if (hasTemperature) {
    const i = warnings.findIndex((w) => w.startsWith(`${metaFile}: no temperatureC:`));
    if (i >= 0) warnings.splice(i, 1);
  }
  for (const b of badLines.slice(0, 5))
    warnings.push(
      `${cyclingFile}:${b.line}: ${b.problem}${/kept without/.test(b.problem) ? '' : '; row dropped'}`,
    );
  if (badLines.length > 5) warnings.push(`${cyclingFile}: ${badLines.length - 5} more bad rows dropped`);
  const spectra: CycleSpectrum[] = [];
  const eisDir = join(dir, EIS_DIR);
  const names = await readdir(eisDir).catch(() => null);
  if (names === null) warnings.push(`${eisDir}: no spectra folder; R_CAT cannot be followed`);
  for (const name of (names ?? []).sort()) {
    const cycle = spectrumCycle(name);
    if (cycle === null) continue;
    const file = join(eisDir, name);
    try {
      spectra.push({ cycle, spectrum: readSpectrum(file, await readFile(file)), file });
    } catch (e) {
      warnings.push(`${(e as Error).message}; spectrum of cycle ${cycle} left out`);
    }
  }
  spectra.sort((a, b) => a.cycle - b.cycle);
  return { dir, meta, samples, spectra, warnings };
}

/** The cell folders under `root` (those holding a cell.json), sorted by name. */
export async function listCellDirs(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    throw new CellFileError(root, null, e.code === 'ENOENT' ? 'no such folder' : e.message);
  });
  const dirs: string[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const names = await readdir(join(root, e.name));
    if (names.includes(CELL_JSON)) dirs.push(join(root, e.name));
  }
  return dirs;
}

export async function writeCellDir(
  root: string,
  cell: { meta: CellMeta; samples: readonly CyclingSample[]; spectra: readonly CycleSpectrum[] },
): Promise<string> {
  const dir = join(root, cell.meta.id);
  await mkdir(join(dir, EIS_DIR), { recursive: true });
  await writeFile(join(dir, CELL_JSON), `${JSON.stringify(cell.meta, null, 2)}\n`);
  await writeFile(join(dir, CYCLING_CSV), formatCyclingCsv(cell.samples));
  for (const s of cell.spectra) {
    await writeFile(join(dir, EIS_DIR, spectrumFileName(s.cycle)), formatSpectrumCsv(s.spectrum));
  }
  return dir;
}

/** This format's own CSV, or any instrument export src/eis/readers recognises. */
function readSpectrum(file: string, content: Buffer): Spectrum {
  const text = content.toString('utf8');
  if (text.replace(/^\uFEFF/, '').startsWith(SPECTRUM_HEADER)) return parseSpectrumCsv(file, text);
  return parseSpectrumFile(file, content).spectrum;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CellFileError(file, null, err.code === 'ENOENT' ? 'missing' : err.message);
  }
}
