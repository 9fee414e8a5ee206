import { describe, expect, it } from 'vitest';
import { pristineCell, tfaaCell } from '../../../devices/sim/models/cell-params';
import { assessCell } from '../../../src/health/assess';
import { detectCapacityFade } from '../../../src/health/capacity-fade';
import { detectResistanceGrowth, normaliseRcat } from '../../../src/health/resistance-growth';
import { detectSoftShort } from '../../../src/health/soft-short';
import { simulatedInput } from './sim-cells';

const line = (n: number, f: (c: number) => number) =>
  Array.from({ length: n }, (_, i) => ({ cycle: i + 1, rCatOhm: f(i + 1) }));

describe('resistance growth', () => {
  it('waits for formation and a full window before deciding', () => {
    expect(detectResistanceGrowth(line(4, () => 30)).verdict).toBe('formation');
    expect(detectResistanceGrowth(line(12, () => 30)).verdict).toBe('insufficient-data');
  });

  it('calls a flat R_CAT stabilised and a 1 %/cycle rise growing, alarming after 3 decisions', () => {
    expect(detectResistanceGrowth(line(40, () => 30)).verdict).toBe('stabilised');
    const g = detectResistanceGrowth(line(40, (c) => 30 * (1 + 0.01 * c)));
    expect(g.verdict).toBe('growing');
    expect(g.alarm).toBe(true);
    expect(g.alarmCycle).toBe(22);
    expect(g.evidence.window).toHaveLength(15);
  });

  it('alarms when R_CAT passes twice its baseline even in one jump', () => {
    const g = detectResistanceGrowth(line(30, (c) => (c < 30 ? 30 : 70)));
    expect(g.alarm).toBe(true);
    expect(g.evidence.ratioToBaseline!).toBeGreaterThan(2);
  });

  it('leaves out NaN and duplicate cycles with warnings, and still decides', () => {
    const pts = [...line(40, () => 30), { cycle: 41, rCatOhm: Number.NaN }, { cycle: 7, rCatOhm: 99 }];
    const g = detectResistanceGrowth(pts);
    expect(g.verdict).toBe('stabilised');
    expect(g.warnings).toHaveLength(2);
    expect(g.warnings[0]).toMatch(/cycle 7: a second R_CAT/);
  });

  it('normalises to 25 C and 150 MPa: a warmer cell reads lower, so it is raised back', () => {
    expect(normaliseRcat({ cycle: 1, rCatOhm: 30, temperatureC: 25, pressureMPa: 150 })).toBeCloseTo(30, 9);
    expect(normaliseRcat({ cycle: 1, rCatOhm: 30, temperatureC: 35 })).toBeGreaterThan(30 * 1.5);
    expect(normaliseRcat({ cycle: 1, rCatOhm: 30, pressureMPa: 37.5 })).toBeCloseTo(15, 9);
  });
});

describe('capacity fade', () => {
  const pts = (f: (c: number) => number, n = 100) =>
    Array.from({ length: n }, (_, i) => ({ cycle: i + 1, retention: f(i + 1) }));

  it('alarms only after two cycles in a row under 80 %', () => {
    const one = detectCapacityFade(pts((c) => (c === 50 ? 0.79 : 0.9), 60));
    expect(one.alarm).toBe(false);
    const two = detectCapacityFade(pts((c) => 1 - 0.003 * c));
    expect(two.alarmCycle).toBe(68);
    expect(two.evidence.reason).toMatch(/under 80 %/);
  });

  it('finds the knee where the fade rate more than doubles', () => {
    const f = detectCapacityFade(pts((c) => (c <= 60 ? 1 - 0.0005 * c : 0.97 - 0.004 * (c - 60))));
    expect(f.kneeCycle).not.toBeNull();
    expect(f.kneeCycle!).toBeGreaterThan(50);
    expect(f.kneeCycle!).toBeLessThanOrEqual(61);
  });
});

describe('bad input', () => {
  it('stays quiet on a healthy cell with missing cycles, a NaN R_CAT and a channel that went silent mid-charge', () => {
    const input = simulatedInput(tfaaCell, 4, 70);
    const cycles = input.cycles.filter((c) => c.cycle % 7 !== 0);
    // The last cycle stops mid-charge: no discharge, a charge that ended early.
    const last = cycles[cycles.length - 1]!;
    cycles[cycles.length - 1] = { ...last, dischargeAh: 0, coulombicEfficiency: 0, chargeFinalRiseV: 0.001 };
    const rcat = input.rcat.map((r) => (r.cycle === 30 ? { ...r, rCatOhm: Number.NaN } : r));
    const h = assessCell({ cycles, rcat, tailSlopes: input.tailSlopes });
    expect(h.alerts).toEqual([]);
    expect(h.warnings).toContain(`cycle ${last.cycle} has no complete charge and discharge: not evaluated`);
    expect(h.warnings.some((w) => /cycle 30: R_CAT NaN/.test(w))).toBe(true);
  });

  it('says why a cell without a reference cycle has no retention, without throwing', () => {
    const h = assessCell({ cycles: [], rcat: [] });
    expect(h.retention).toEqual([]);
    expect(h.latestCycle).toBeNull();
    expect(h.resistance.verdict).toBe('formation');
  });

  it('keeps flagging a shorted cell after onset, against the baseline from before it', () => {
    const r = detectSoftShort(simulatedInput(pristineCell, 1, 64).cycles);
    expect(r.cycles.filter((c) => c.cycle >= 60).every((c) => c.flagged)).toBe(true);
    expect(r.cycles.find((c) => c.cycle === 64)!.baselineCycles).toEqual([55, 56, 57, 58, 59]);
  });
});
