/**
 * The simulated cells against the paper's outcomes, measured on what comes out (the logged samples and
 * spectra; the model's own state only where a mechanism is checked). No parameter is one of these
 * numbers: they emerge from interphase growth, contact loss, the particle's kinetics and the filament.
 */
import { describe, expect, it } from 'vitest';
import { simulateCell, simulateCycles } from '../../devices/sim/models/cell';
import {
  lnoCell,
  nominalCapacityMAh,
  parameterTable,
  pristineCell,
  separatorOhm,
  tfaaCell,
} from '../../devices/sim/models/cell-params';
import { lithiumAtOcv, ocvV } from '../../devices/sim/models/ocv-nmc811-liin';
import { type CycleSummary, summarizeCycles } from '../../src/cycling/summary';
import { fitRcatSeries } from '../../src/health/rcat';

const pristine = simulateCell(pristineCell, 1, 100);
const lno = simulateCell(lnoCell, 1, 100);
const tfaa = simulateCell(tfaaCell, 1, 100);

const summaries = (cycles: typeof pristine): CycleSummary[] =>
  summarizeCycles(
    cycles.flatMap((c) =>
      c.timeS.map((t, i) => ({
        timeS: t,
        cycle: c.cycle,
        voltageV: c.voltageV[i]!,
        currentA: c.currentA[i]!,
        temperatureC: c.temperatureC[i]!,
      })),
    ),
  );
const sums = { pristine: summaries(pristine), lno: summaries(lno), tfaa: summaries(tfaa) };
const retention = (s: CycleSummary[], n: number) => s[n - 1]!.dischargeAh / s[0]!.dischargeAh;
const rCat = (cycles: typeof pristine, n: number) => cycles[n - 1]!.model.rCatOhm;

describe('simulated cells of the reference study (seed 1): outcomes', () => {
  it('keeps about 78 % (pristine) and 95 % (TFAA) of the first discharge capacity at cycle 100', () => {
    expect(retention(sums.pristine, 100)).toBeGreaterThan(0.75);
    expect(retention(sums.pristine, 100)).toBeLessThan(0.81);
    expect(retention(sums.tfaa, 100)).toBeGreaterThan(0.93);
    expect(retention(sums.tfaa, 100)).toBeLessThan(0.97);
    expect(retention(sums.lno, 100)).toBeGreaterThan(retention(sums.pristine, 100));
    expect(retention(sums.lno, 100)).toBeLessThan(retention(sums.tfaa, 100));
  });

  it('never discharges more than the nominal capacity, in any cell or seed', () => {
    const nominalAh = nominalCapacityMAh() / 1000;
    for (const s of Object.values(sums))
      for (const c of s) expect(c.dischargeAh).toBeLessThanOrEqual(nominalAh);
    for (const seed of [2, 3]) {
      for (const c of summaries(simulateCell(tfaaCell, seed, 5)))
        expect(c.dischargeAh).toBeLessThanOrEqual(nominalAh);
    }
  });

  it('shorts the pristine cell near cycle 60, from lost cathode contact crowding the current; not TFAA or LNO', () => {
    const onset = pristine.find((c) => c.model.leakOhm !== null)!.cycle;
    expect(onset).toBeGreaterThanOrEqual(50);
    expect(onset).toBeLessThanOrEqual(70);
    expect(tfaa.some((c) => c.model.leakOhm !== null)).toBe(false);
    expect(lno.some((c) => c.model.leakOhm !== null)).toBe(false);
    // Other seeds: the filament's advance is random, the crowding is not.
    const onsets = [2, 3, 4].map(
      (seed) => simulateCell(pristineCell, seed, 80).find((c) => c.model.leakOhm !== null)?.cycle,
    );
    for (const o of onsets) {
      expect(o).toBeGreaterThanOrEqual(45);
      expect(o).toBeLessThanOrEqual(80);
    }
  }, 60_000);

  it('lets the short cost coulombic efficiency and discharge capacity, and leak in the rest too', () => {
    const onset = pristine.find((c) => c.model.leakOhm !== null)!.cycle;
    const before = sums.pristine.slice(onset - 6, onset - 1);
    const after = sums.pristine.slice(onset - 1, onset + 4);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ce = (s: CycleSummary[]) => mean(s.map((c) => c.coulombicEfficiency!));
    expect(ce(before) - ce(after)).toBeGreaterThan(0.015);
    expect(mean(after.map((c) => c.dischargeAh))).toBeLessThan(mean(before.map((c) => c.dischargeAh)));
    const slope = (s: CycleSummary[]) => mean(s.map((c) => c.restAfterCharge!.lateSlopeVPerH));
    expect(slope(after)).toBeLessThan(slope(before));
  });

  it('ends the discharge kinetically: the core is not full when 1.88 V is reached, and the cell relaxes to about 2.7-2.9 V', () => {
    for (const s of Object.values(sums)) {
      for (const c of [s[0]!, s[49]!]) {
        expect(c.restAfterDischarge!.endV).toBeGreaterThan(2.7);
        expect(c.restAfterDischarge!.endV).toBeLessThan(2.95);
      }
    }
    // Relaxed OCV -> lithium fraction: well short of x = 1.
    expect(lithiumAtOcv(sums.tfaa[9]!.restAfterDischarge!.endV)).toBeLessThan(0.99);
    expect(ocvV(1)).toBeLessThan(1.88);
  });

  it('derives R_SE from the separator: 150 um of 2.88 mS/cm over 0.785 cm2 is 6.6 Ohm, and the spectra show it', () => {
    expect(separatorOhm()).toBeCloseTo(6.63, 1);
    const fits = fitRcatSeries(tfaa.slice(0, 10).map((c) => ({ cycle: c.cycle, spectrum: c.spectrum })));
    for (const f of fits) {
      expect(f.rSeOhm!).toBeGreaterThan(5.5);
      expect(f.rSeOhm!).toBeLessThan(8);
    }
  });

  it("gives R_CAT the paper's course: pristine's rise is largest in cycles 1-5, TFAA's far smaller and flat after, LNO starts lowest and keeps growing", () => {
    const rise = (c: typeof pristine) => rCat(c, 5) - rCat(c, 1);
    expect(rise(pristine)).toBeGreaterThan(3 * rise(tfaa));
    expect(rise(pristine) / rCat(pristine, 1)).toBeGreaterThan(rise(tfaa) / rCat(tfaa, 1));
    expect(Math.abs(rCat(tfaa, 100) / rCat(tfaa, 6) - 1)).toBeLessThan(0.2);
    expect(rCat(lno, 1)).toBeLessThan(rCat(tfaa, 1));
    expect(rCat(lno, 1)).toBeLessThan(rCat(pristine, 1));
    expect(rCat(lno, 100)).toBeGreaterThan(3 * rCat(lno, 10));
    expect(rCat(pristine, 100)).toBeGreaterThan(1.5 * rCat(pristine, 10));
  });

  it('logs the cell temperature with every sample, following the lab', () => {
    const t = pristine.flatMap((c) => c.temperatureC);
    expect(t).toHaveLength(pristine.reduce((n, c) => n + c.timeS.length, 0));
    expect(Math.min(...t)).toBeGreaterThan(23);
    expect(Math.max(...t)).toBeLessThan(27);
    expect(Math.max(...t) - Math.min(...t)).toBeGreaterThan(0.3);
  });

  it('logs current positive while charging and samples in time order', () => {
    const c = pristine[0]!;
    expect(c.currentA[0]!).toBeGreaterThan(0);
    expect(Math.min(...c.currentA)).toBeLessThan(0);
    for (let i = 1; i < c.timeS.length; i++) expect(c.timeS[i]!).toBeGreaterThanOrEqual(c.timeS[i - 1]!);
  });
});

describe('simulated cell determinism', () => {
  it('repeats every sample and spectrum point from the same seed, and differs for another seed', () => {
    const a = simulateCell(pristineCell, 7, 3);
    const b = simulateCell(pristineCell, 7, 3);
    const c = simulateCell(pristineCell, 8, 3);
    expect(a[2]!.voltageV).toEqual(b[2]!.voltageV);
    expect(Array.from(a[2]!.spectrum.reOhm)).toEqual(Array.from(b[2]!.spectrum.reOhm));
    expect(a[2]!.voltageV).not.toEqual(c[2]!.voltageV);
  });

  it('yields the same cycles one at a time as all at once', () => {
    const gen = simulateCycles(tfaaCell, 3, 2);
    const first = gen.next().value!;
    expect(first.voltageV).toEqual(simulateCell(tfaaCell, 3, 1)[0]!.voltageV);
  });
});

describe('NMC811 | LiIn open-circuit voltage', () => {
  it('falls monotonically with lithium content and inverts back to it', () => {
    let prev = Number.POSITIVE_INFINITY;
    for (let x = 0; x <= 1.0001; x += 0.01) {
      const v = ocvV(x);
      expect(v).toBeLessThan(prev);
      prev = v;
    }
    expect(lithiumAtOcv(ocvV(0.42))).toBeCloseTo(0.42, 6);
  });
});

describe('parameter table', () => {
  it('gives every parameter a value, a unit column and a source', () => {
    const rows = parameterTable().split('\n').slice(2);
    expect(rows.length).toBeGreaterThan(40);
    for (const r of rows) {
      const cells = r.split('|').map((x) => x.trim());
      expect(cells[4]!.length, r).toBeGreaterThan(0);
      expect(cells[4]!, r).toMatch(/paper|assumed|et al\.|Santhosha|M\(|F \//);
    }
  });
});
