import { describe, expect, it } from 'vitest';
import { simulateCell } from '../../../devices/sim/models/cell';
import { pristineCell, tfaaCell } from '../../../devices/sim/models/cell-params';
import { incrementalCapacityPeaks, peakShift, voltammogramPeaks } from '../../../src/cycling/peaks';

describe('voltammogram peaks', () => {
  it('finds the anodic and cathodic peak of a sweep 3.0 -> 4.0 -> 3.0 V and their separation', () => {
    const v: number[] = [];
    const i: number[] = [];
    for (let k = 0; k <= 200; k++) {
      const up = k <= 100;
      const volt = up ? 3 + k / 100 : 4 - (k - 100) / 100;
      v.push(volt);
      i.push(
        up ? 1e-3 * Math.exp(-(((volt - 3.7) / 0.05) ** 2)) : -8e-4 * Math.exp(-(((volt - 3.6) / 0.05) ** 2)),
      );
    }
    const p = voltammogramPeaks(v, i);
    expect(p.anodic!.voltageV).toBeCloseTo(3.7, 2);
    expect(p.cathodic!.voltageV).toBeCloseTo(3.6, 2);
    expect(p.separationV!).toBeCloseTo(0.1, 2);
  });
});

describe('incremental capacity peaks and their shift per cycle', () => {
  /** The first cycle's largest discharge peak, followed from cycle to cycle (the nearest peak each time). */
  const dischargePeakV = (p: typeof pristineCell, cycles: number[]) => {
    const sim = simulateCell(p, 1, Math.max(...cycles));
    let followed: number | null = null;
    return cycles.map((cycle) => {
      const c = sim[cycle - 1]!;
      const samples = c.timeS
        .map((t, k) => ({ timeS: t, cycle, voltageV: c.voltageV[k]!, currentA: c.currentA[k]! }))
        .filter((s) => s.currentA < 0);
      const peaks = incrementalCapacityPeaks(samples).map((x) => x.voltageV);
      const at = followed;
      followed =
        at === null
          ? peaks[0]!
          : peaks.reduce((best, v) => (Math.abs(v - at) < Math.abs(best - at) ? v : best));
      return { cycle, voltageV: followed };
    });
  };

  it('moves the pristine discharge peak down as its resistance grows, and leaves the TFAA one nearly still', () => {
    const cycles = [10, 20, 30, 40, 50];
    const pristine = peakShift(dischargePeakV(pristineCell, cycles))!;
    const tfaa = peakShift(dischargePeakV(tfaaCell, cycles))!;
    expect(pristine.totalV).toBeLessThan(-0.005);
    expect(-pristine.slopeVPerCycle).toBeGreaterThan(3 * Math.abs(tfaa.slopeVPerCycle));
    expect(pristine.cycles).toBe(5);
  });

  it('has no peak and no shift without enough data', () => {
    expect(incrementalCapacityPeaks([])).toEqual([]);
    expect(peakShift([{ cycle: 1, voltageV: 3.4 }])).toBeNull();
  });
});
