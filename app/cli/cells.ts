/**
 * `cellrig cells import FILE... --cell ID --out DIR`: instrument files (EC-Lab .mpr or .mpt) into the cell
 * folder DIR/ID, created or extended, so that `cellrig health DIR` judges the real cell. Importing a
 * later file continues the cell; a file imported again, or the text export of a run already imported
 * as binary, adds nothing.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { EXIT, numberIn, onRun, subcommand } from './grammar';

type ImportOptions = {
  cell: string;
  out: string;
  coating?: string;
  nominalCapacityMah?: number;
  pressureMpa?: number;
  json?: boolean;
};

const CELL_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function register(program: Command): void {
  const cells = subcommand(program, 'cells', 'cell folders from instrument files: cells import');
  const cmd = subcommand(
    cells,
    'import <files...>',
    'add EC-Lab .mpr or .mpt files to a cell folder (created or extended), for `cellrig health`',
  )
    .requiredOption(
      '--cell <id>',
      'the cell: letters, digits, _ and - (names the folder DIR/ID)',
      (v: string) => {
        if (!CELL_ID.test(v)) throw new InvalidArgumentError('Allowed: 1-64 letters, digits, _ and -.');
        return v;
      },
    )
    .requiredOption('--out <dir>', 'folder of cell folders (DIR/ID is written)')
    .option('--coating <name>', 'coating, for a new cell.json')
    .option(
      '--nominal-capacity-mah <mAh>',
      'nominal capacity, for a new cell.json',
      numberIn({ min: 0, exclusiveMin: true, unit: 'mAh' }),
    )
    .option(
      '--pressure-mpa <MPa>',
      'stack pressure, for a new cell.json',
      numberIn({ min: 0, max: 1000, exclusiveMin: true, unit: 'MPa' }),
    )
    .option('--json', 'print the import report as JSON')
    .addHelpText(
      'after',
      '\nFILE: BioLogic EC-Lab .mpr (binary) or .mpt (text export): GCPL, Modulo Bat, PEIS, GEIS...\n' +
        'Cycles continue across files in acquisition order; sources.json in the cell folder remembers what\n' +
        'each file gave, so a file imported again (or its text export after the binary) adds nothing.\n' +
        'The optional values go into a new cell.json; an existing one is kept as it is.\n' +
        'Exit codes: 0 imported, 1 a file could not be read (nothing written), 2 bad option.',
    );
  onRun(cmd, async (files: string[], opts: ImportOptions) => runImport(files, opts));
}

async function runImport(files: string[], opts: ImportOptions): Promise<number> {
  const { importToCell } = await import('../../src/instruments/import-cell.js');
  const { InstrumentFileError } = await import('../../src/instruments/errors.js');
  const { CellFileError } = await import('../../src/cells/format.js');
  const meta = {
    id: opts.cell,
    ...(opts.coating ? { coating: opts.coating } : {}),
    ...(opts.nominalCapacityMah ? { nominalCapacitymAh: opts.nominalCapacityMah } : {}),
    ...(opts.pressureMpa ? { pressureMPa: opts.pressureMpa } : {}),
  };
  try {
    const report = await importToCell(opts.out, meta, files);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return EXIT.ok;
    }
    const lines = report.files.map(
      (f) =>
        `${f.file}: ${f.format}, ${f.technique ?? 'technique not named'}: ${f.samples} samples, ${f.spectra} spectra added`,
    );
    const c = report.cycles;
    lines.push(
      `${report.dir}: ${c.length ? `cycles ${c[0]}-${c[c.length - 1]}` : 'nothing new'} (${report.samplesAdded} samples, ${report.spectraAdded} spectra)`,
    );
    for (const w of report.warnings.slice(0, 20)) lines.push(`  warning: ${w}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  } catch (e) {
    const known =
      e instanceof InstrumentFileError ||
      e instanceof CellFileError ||
      (e as NodeJS.ErrnoException).code === 'ENOENT';
    if (!known) throw e;
    process.stderr.write(`cellrig cells import: ${(e as Error).message}\n`);
    return EXIT.failure;
  }
}
