/**
 * `cellrig health DIR`: the verdict for each cell folder under DIR (or DIR itself): retention, R_CAT per
 * cycle and whether it is growing, soft shorts, and every alert with its evidence. The work is in
 * health-run.ts, loaded when the command runs.
 */
import type { Command } from 'commander';
import { onRun, standalone, subcommand } from './grammar';

export function register(program: Command): void {
  const cmd = subcommand(
    program,
    'health <folder>',
    'verdict per cell: retention, R_CAT growth, soft short, alerts',
  )
    .option('--json', 'print the verdicts as JSON')
    .addHelpText(
      'after',
      '\nThe folder holds cell folders (<cell>/cell.json, cycling.csv, eis/cycle-NNN.csv), or is one.\n' +
        'Exit codes: 0 judged, 1 a cell folder could not be read (the file and line named), 2 bad option.',
    );
  onRun(cmd, async (folder: string, o: { json?: boolean }) =>
    (await import('./health-run.js')).runHealth(folder, o),
  );
}

export const main = standalone('health', register);
