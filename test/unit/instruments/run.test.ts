import { describe, expect, it } from 'vitest';
import { CellLedger } from '../../../src/instruments/cell-ledger';
import { readMpt } from '../../../src/instruments/eclab-mpt';
import { readInstrumentRun } from '../../../src/instruments/index';
import { type InstrumentRun, runFromTable } from '../../../src/instruments/run';
import { PAIRS, readEclab } from '../../support/eclab-data';

const run = (name: string) => readInstrumentRun(name, readEclab(name));

describe("EC-Lab's conventions mapped to cellrig's", () => {
  it.each(PAIRS)('%s: the binary file and its export give the same run', (pair) => {
    const a = run(`${pair}.mpr`);
    const b = run(`${pair}.mpt`);
    expect(a.samples.length).toBe(b.samples.length);
    expect(a.spectra.map((s) => [s.ecCycle, s.firstRow, s.lastRow])).toEqual(
      b.spectra.map((s) => [s.ecCycle, s.firstRow, s.lastRow]),
    );
    expect(a.signature).toBe(b.signature);
  });

  it('current in A, positive while charging (EC-Lab counts it as Q charge)', () => {
    const t = readMpt('gcpl.pr_182.1.mpt', readEclab('gcpl.pr_182.1.mpt'));
    const r = runFromTable(t);
    const qCharge = t.columns.get('Q charge/mA.h')!;
    const qDischarge = t.columns.get('Q discharge/mA.h')!;
    for (const s of r.samples) {
      if (Math.abs(s.currentA) < 1e-4 * 0.2217) continue;
      const k = s.row;
      // While the current flows one way, only EC-Lab's matching counter grows.
      if (k > 0 && t.columns.get('half cycle')![k] === t.columns.get('half cycle')![k - 1]) {
        if (s.currentA > 0) expect(qDischarge[k]).toBe(qDischarge[k - 1]);
        else expect(qCharge[k]).toBe(qCharge[k - 1]);
      }
    }
    const charge = r.samples.filter((s) => s.currentA > 0);
    expect(Math.max(...charge.map((s) => s.currentA))).toBeCloseTo(0.2218e-3, 6);
  });

  it('Im(Z) with its true sign: negative on the capacitive arc', () => {
    const r = run('peis.issue_149.mpr');
    expect(r.spectra).toHaveLength(4);
    const s = r.spectra[0]!.spectrum;
    const low = s.imOhm[s.imOhm.length - 1]!;
    expect(low).toBeLessThan(0);
    // EC-Lab's -Im(Z) column, negated.
    const t = readMpt('peis.issue_149.mpt', readEclab('peis.issue_149.mpt'));
    expect(low).toBeCloseTo(-t.columns.get('-Im(Z)/Ohm')![20]!, 5);
  });

  it('impedance rows make the spectra and stay out of the time series', () => {
    const mb = run('mb.issue_149.mpr');
    expect(mb.spectra).toHaveLength(16);
    expect(mb.spectra.reduce((n, s) => n + s.spectrum.fHz.length, 0)).toBe(208);
    expect(mb.samples.length).toBe(564 - 208);
    // Each sweep follows a 10 s charge at 100 uA, so the cell is in its charged state.
    expect(mb.spectra.every((s) => s.afterCharge)).toBe(true);
    // A sweep is one sequence step with a falling frequency, even where EC-Lab's z cycle resets inside it.
    expect(mb.spectra.map((s) => s.spectrum.fHz.length)).toEqual(Array(16).fill(13));
    const mixed = run('mb.issue_223.mpr');
    expect(mixed.spectra.reduce((n, s) => n + s.spectrum.fHz.length, 0)).toBe(76);
    // Rest, PEIS, Rest, GEIS, twice over: sequence steps 1, 3, 5 and 7 hold a sweep each.
    expect(mixed.spectra.map((s) => [s.step, s.spectrum.fHz.length])).toEqual([
      [1, 19],
      [3, 19],
      [5, 19],
      [7, 19],
    ]);
  });
});

/** The first `rows` rows of a run, as a file being written holds them. */
function prefix(r: InstrumentRun, rows: number): InstrumentRun {
  return {
    ...r,
    rowCount: rows,
    samples: r.samples.filter((s) => s.row < rows),
    spectra: r.spectra.filter((s) => s.lastRow < rows),
  };
}

describe('the ledger hands a growing file to the cell once, cycle by cycle', () => {
  const full = run('gcpl.pr_182.1.mpt');

  it('gives only finished cycles while the file grows, the rest when it is final, nothing twice', () => {
    const ledger = new CellLedger();
    const seen: number[] = [];
    const counts = new Map<number, number>();
    for (let rows = 1; rows <= full.rowCount; rows += 97) {
      const t = ledger.take(prefix(full, rows), 'completed');
      for (const s of t.samples) counts.set(s.cycle, (counts.get(s.cycle) ?? 0) + 1);
      seen.push(...t.closedCycles);
    }
    expect(seen).toEqual([1, 2, 3, 4]);
    const last = ledger.take(full, 'final');
    expect(last.closedCycles).toEqual([5]);
    for (const s of last.samples) counts.set(s.cycle, (counts.get(s.cycle) ?? 0) + 1);
    const byCycle = new Map<number, number>();
    for (const s of full.samples) byCycle.set(s.ecCycle + 1, (byCycle.get(s.ecCycle + 1) ?? 0) + 1);
    expect(counts).toEqual(byCycle);
    expect(ledger.take(full, 'final').samples).toEqual([]);
  });

  it('gives a PEIS-only file to the cell’s latest cycle, and places it after the cell in time', () => {
    const ledger = new CellLedger();
    ledger.take(run('gcpl.issue_149.mpr'), 'all');
    const t = ledger.take(run('peis.issue_149.mpr'), 'all');
    expect(t.spectra.map((s) => [s.cycle, s.sweep, s.main])).toEqual([
      [4, 1, true],
      [4, 2, false],
      [4, 3, false],
      [4, 4, false],
    ]);
    // Both files started at the same acquisition (the same EC-Lab run, one file per technique).
    expect(t.samples).toEqual([]);
  });
});
