import { describe, expect, it } from 'vitest';
import { OvenReportCadence, SAVE_EVERY_MS } from '../../../src/control/oven-report-cadence';

describe('oven report cadence', () => {
  it('reports every sample at scale 1, and a sped-up oven once per period of the rig clock or at an event', () => {
    const real = new OvenReportCadence(1000, 1);
    expect([0, 10, 20].map((t) => real.report(t, 0))).toEqual([true, true, true]);
    const fast = new OvenReportCadence(1000, 60);
    expect([0, 100, 999, 1000, 1500, 1600, 2000].map((t) => fast.report(t, t === 1600 ? 1 : 0))).toEqual([
      true,
      false,
      false,
      true,
      false,
      true,
      false,
    ]);
  });

  it('saves at every event, and every SAVE_EVERY_MS only while a run is active', () => {
    const c = new OvenReportCadence(1000, 1);
    expect(c.save(1000, 0, true)).toBe(false);
    expect(c.save(SAVE_EVERY_MS, 0, true)).toBe(true);
    expect(c.save(SAVE_EVERY_MS + 1000, 1, false)).toBe(true);
    expect(c.save(3 * SAVE_EVERY_MS, 0, false)).toBe(false);
    expect(c.save(3 * SAVE_EVERY_MS, 0, true)).toBe(true);
  });
});
