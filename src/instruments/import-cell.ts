/**
 * Instrument files into a cell folder (src/cells/format.ts): cycling.csv extended with the new samples,
 * each cycle's spectrum as eis/cycle-NNN.csv, further spectra of a cycle as eis/extra/cycle-NNN-sK.csv
 * (kept, not judged), and sources.json, the ledger (cell-ledger.ts) that makes a repeated or grown file,
 * or a binary file and its text export of the same run, add nothing twice.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CELL_JSON,
  type CellMeta,
  CYCLING_CSV,
  EIS_DIR,
  formatCyclingCsv,
  formatSpectrumCsv,
  parseCyclingCsv,
  readCellMeta,
  spectrumFileName,
} from '../cells/format';
import type { CyclingSample } from '../cycling/samples';
import { CellLedger, parseLedger } from './cell-ledger';
import { readInstrumentRun } from './index';
import type { InstrumentRun } from './run';

export const SOURCES_JSON = 'sources.json';
export const EXTRA_DIR = 'extra';

export type ImportReport = {
  readonly dir: string;
  readonly files: {
    file: string;
    format: string;
    technique: string | null;
    samples: number;
    spectra: number;
  }[];
  /** Cell cycles that got samples or spectra, in order. */
  readonly cycles: number[];
  readonly samplesAdded: number;
  readonly spectraAdded: number;
  readonly warnings: string[];
};

export function extraSpectrumFileName(cycle: number, sweep: number): string {
  return `cycle-${String(cycle).padStart(3, '0')}-s${sweep}.csv`;
}

/**
 * Reads every file (errors name the file and the place), orders the runs by acquisition start where
 * every file gives one, and adds to `<root>/<meta.id>` what the cell has not had. Nothing is written
 * unless every file could be read.
 */
export async function importToCell(
  root: string,
  meta: CellMeta,
  files: readonly string[],
): Promise<ImportReport> {
  const runs: InstrumentRun[] = [];
  for (const file of files) runs.push(readInstrumentRun(file, await readFile(file)));
  if (runs.every((r) => r.acquisitionStart !== null)) {
    runs.sort((a, b) => a.acquisitionStart!.localeCompare(b.acquisitionStart!));
  }

  const dir = join(root, meta.id);
  await mkdir(join(dir, EIS_DIR, EXTRA_DIR), { recursive: true });
  const warnings: string[] = [];
  const existingMeta = await readOptional(join(dir, CELL_JSON));
  const cellMeta = existingMeta === null ? meta : readCellMeta(join(dir, CELL_JSON), existingMeta).meta;
  const ledgerText = await readOptional(join(dir, SOURCES_JSON));
  const ledger = new CellLedger(
    ledgerText === null ? undefined : parseLedger(join(dir, SOURCES_JSON), ledgerText),
  );
  const cyclingText = await readOptional(join(dir, CYCLING_CSV));
  const samples: CyclingSample[] =
    cyclingText === null ? [] : parseCyclingCsv(join(dir, CYCLING_CSV), cyclingText).samples;

  const report: ImportReport['files'] = [];
  const cycles = new Set<number>();
  let samplesAdded = 0;
  let spectraAdded = 0;
  for (const run of runs) {
    const taken = ledger.take(run, 'all');
    warnings.push(...taken.warnings);
    samples.push(...taken.samples);
    for (const s of taken.samples) cycles.add(s.cycle);
    for (const s of taken.spectra) {
      cycles.add(s.cycle);
      const mainFile = join(dir, EIS_DIR, spectrumFileName(s.cycle));
      // A cycle spectrum the folder already had (from elsewhere) is never overwritten.
      const main = s.main && (await readOptional(mainFile)) === null;
      if (s.main && !main)
        warnings.push(`${mainFile} exists: spectrum ${s.sweep} of cycle ${s.cycle} kept as an extra`);
      const file = main ? mainFile : join(dir, EIS_DIR, EXTRA_DIR, extraSpectrumFileName(s.cycle, s.sweep));
      await writeAtomic(file, formatSpectrumCsv(s.spectrum));
    }
    samplesAdded += taken.samples.length;
    spectraAdded += taken.spectra.length;
    report.push({
      file: run.fileName,
      format: run.format,
      technique: run.technique,
      samples: taken.samples.length,
      spectra: taken.spectra.length,
    });
  }
  if (existingMeta === null)
    await writeAtomic(join(dir, CELL_JSON), `${JSON.stringify(cellMeta, null, 2)}\n`);
  await writeAtomic(join(dir, CYCLING_CSV), formatCyclingCsv(samples));
  // The ledger last: should the import stop before, the next one takes the same rows again.
  await writeAtomic(join(dir, SOURCES_JSON), `${JSON.stringify(ledger.toJSON())}\n`);
  return {
    dir,
    files: report,
    cycles: [...cycles].sort((a, b) => a - b),
    samplesAdded,
    spectraAdded,
    warnings,
  };
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}
