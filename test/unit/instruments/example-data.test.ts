/**
 * The example files in examples/data are generated (test/support/eclab-example.ts), never copied from
 * ../shared data. This checks they are what the generator makes (UPDATE_EXAMPLES=1 rewrites them), that
 * the binary file and its text export read to the same table, and that they make a cell cellrig judges.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseCell } from '../../../src/cells/analyse';
import { readCellDir } from '../../../src/cells/directory';
import { readMpr } from '../../../src/instruments/eclab-mpr';
import { readMpt } from '../../../src/instruments/eclab-mpt';
import { importToCell } from '../../../src/instruments/import-cell';
import { runFromTable } from '../../../src/instruments/run';
import { exampleMpr, exampleMpt } from '../../support/eclab-example';

const DIR = path.join(__dirname, '..', '..', '..', 'examples', 'data');
const FILES = { 'cell-07_C01.mpr': exampleMpr(), 'cell-07_C01.mpt': exampleMpt() };

if (process.env.UPDATE_EXAMPLES === '1') {
  for (const [name, bytes] of Object.entries(FILES)) writeFileSync(path.join(DIR, name), bytes);
}

describe('example instrument files', () => {
  it.each(Object.keys(FILES))('%s is what the generator makes', (name) => {
    expect(readFileSync(path.join(DIR, name)).equals(FILES[name as keyof typeof FILES])).toBe(true);
  });

  it('reads to the same table from the binary file and the text export', () => {
    const b = readMpr('cell-07_C01.mpr', FILES['cell-07_C01.mpr']);
    const t = readMpt('cell-07_C01.mpt', FILES['cell-07_C01.mpt']);
    expect(b.rowCount).toBe(t.rowCount);
    expect(b.technique).toBe('Modulo Bat');
    expect(b.acquisitionStart).toBe(t.acquisitionStart);
    for (const [name, values] of b.columns) {
      const other = t.columns.get(name)!;
      values.forEach((v, k) => {
        expect(Math.abs(v - other[k]!)).toBeLessThanOrEqual(Math.abs(other[k]!) * 1e-7);
      });
    }
    const run = runFromTable(b);
    expect(run.spectra.map((s) => [s.ecCycle, s.spectrum.fHz.length, s.afterCharge])).toEqual([
      [0, 22, true],
      [1, 22, true],
      [2, 22, true],
    ]);
  });

  it('imports to a cell whose capacity fades and whose cathode resistance grows', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'cellrig-example-'));
    try {
      await importToCell(root, { id: 'cell-07' }, [path.join(DIR, 'cell-07_C01.mpr')]);
      const a = analyseCell(await readCellDir(path.join(root, 'cell-07')));
      expect(a.cycles.map((c) => c.cycle)).toEqual([1, 2, 3]);
      const d = a.cycles.map((c) => c.dischargeAh * 1000);
      expect(d[0]!).toBeGreaterThan(1.4);
      expect(d[2]!).toBeLessThan(d[0]!);
      expect(a.cycles.every((c) => c.coulombicEfficiency! > 0.9)).toBe(true);
      // Each cycle's R_CAT is determined (a value with its standard error), not a bare number.
      expect(a.fits.map((f) => f.determined)).toEqual([true, true, true]);
      const rcat = a.fits.map((f) => f.rCatOhm!);
      expect(rcat[2]!).toBeGreaterThan(rcat[0]!);
      console.log(
        `example cell: discharge ${d.map((x) => x.toFixed(3)).join(', ')} mAh; R_CAT ${rcat.map((r) => r.toFixed(1)).join(', ')} Ohm`,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
