import { describe, expect, it } from 'vitest';
import { simulateCell, simulateCycles } from '../../devices/sim/models/cell';
import { lnoCell, pristineCell, tfaaCell } from '../../devices/sim/models/cell-params';
import { ocvV, socAtOcv } from '../../devices/sim/models/ocv-nmc811-liin';

const pristine = simulateCell(pristineCell, 1, 100);
const lno = simulateCell(lnoCell, 1, 100);
const tfaa = simulateCell(tfaaCell, 1, 100);

const retention = (cycles: typeof pristine, n: number) =>
  cycles[n - 1]!.truth.dischargeAh / cycles[0]!.truth.dischargeAh;
const rCat = (cycles: typeof pristine, n: number) => cycles[n - 1]!.truth.rCatOhm;
const maxChargeV = (c: (typeof pristine)[number]) =>
  Math.max(...c.voltageV.filter((_, i) => c.currentA[i]! > 0));

describe('simulated cells of the reference study (seed 1)', () => {
  it('keeps 78 % (pristine) and 95 % (TFAA) of the first discharge capacity at cycle 100, within 1 %', () => {
    expect(Math.abs(retention(pristine, 100) - 0.78)).toBeLessThan(0.01);
    expect(Math.abs(retention(tfaa, 100) - 0.95)).toBeLessThan(0.01);
    expect(retention(lno, 100)).toBeGreaterThan(retention(pristine, 100));
    expect(retention(lno, 100)).toBeLessThan(retention(tfaa, 100));
  });

  it('gives the pristine and LNO cells an R_CAT that keeps growing, the LNO one starting lowest', () => {
    expect(rCat(pristine, 100)).toBeGreaterThan(rCat(pristine, 10) * 2.5);
    expect(rCat(lno, 100)).toBeGreaterThan(rCat(lno, 10) * 2.5);
    expect(rCat(lno, 1)).toBeLessThan(rCat(tfaa, 1));
    expect(rCat(lno, 1)).toBeLessThan(rCat(pristine, 1));
  });

  it('lets the TFAA cell R_CAT rise during about 5 formation cycles and then stay flat', () => {
    expect(rCat(tfaa, 6)).toBeGreaterThan(rCat(tfaa, 1) * 1.6);
    const after = tfaa.slice(6).map((c) => c.truth.rCatOhm);
    expect(Math.max(...after) - Math.min(...after)).toBeLessThan(0.1 * rCat(tfaa, 6));
  });

  it('shorts the pristine cell from cycle 60: the charge stalls below cut-off and its charge never returns', () => {
    for (const c of pristine.slice(0, 59)) {
      expect(c.truth.leakOhm).toBeNull();
      expect(maxChargeV(c)).toBeGreaterThan(3.67);
    }
    const c60 = pristine[59]!;
    expect(c60.truth.leakOhm).not.toBeNull();
    expect(maxChargeV(c60)).toBeLessThan(3.6);
    expect(c60.truth.dischargeAh / c60.truth.chargeAh).toBeLessThan(0.7);
    expect(c60.truth.chargeAh).toBeGreaterThan(1.5 * pristine[58]!.truth.chargeAh);
  });

  it('never shorts the LNO and TFAA cells and keeps their coulombic efficiency above 99 % after formation', () => {
    for (const c of [...lno.slice(5), ...tfaa.slice(5)]) {
      expect(c.truth.leakOhm).toBeNull();
      expect(c.truth.dischargeAh / c.truth.chargeAh).toBeGreaterThan(0.99);
    }
  });

  it('puts the parallel leakage path into the shorted spectrum, which bends the low-frequency tail down', () => {
    const last = (c: (typeof pristine)[number]) => {
      const n = c.spectrum.fHz.length - 1;
      return -c.spectrum.imOhm[n]! / c.spectrum.reOhm[n]!;
    };
    // A pure diffusion tail sits near 45 degrees; the leak pulls the lowest point toward the real axis.
    expect(last(pristine[99]!)).toBeLessThan(last(lno[99]!));
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
  it('is monotone over the state of charge and inverts back to it', () => {
    let prev = -Infinity;
    for (let s = 0; s <= 1.0001; s += 0.01) {
      const v = ocvV(s);
      expect(v).toBeGreaterThan(prev);
      prev = v;
    }
    expect(socAtOcv(ocvV(0.42))).toBeCloseTo(0.42, 6);
  });
});
