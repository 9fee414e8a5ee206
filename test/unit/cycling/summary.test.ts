import { describe, expect, it } from 'vitest';
import { retention } from '../../../src/cycling/retention';
import { type CyclingSample, cleanSamples } from '../../../src/cycling/samples';
import { summarizeCycles } from '../../../src/cycling/summary';
import { seededRandom } from '../../../src/random';

/** One cycle: 1 h charge at +2 mA rising 3.0 -> 3.6 V, 1 h rest, 0.9 h discharge at -2 mA, 1 h rest. */
function cycleSamples(cycle: number, t0: number, restDecayVPerH = 0): CyclingSample[] {
  const out: CyclingSample[] = [];
  const push = (t: number, v: number, i: number) =>
    out.push({ timeS: t0 + t, cycle, voltageV: v, currentA: i });
  for (let k = 0; k <= 60; k++) push(k * 60, 3.0 + 0.01 * k, 0.002);
  for (let k = 1; k <= 60; k++) push(3600 + k * 60, 3.55 - restDecayVPerH * (k / 60), 0);
  for (let k = 0; k <= 54; k++) push(7200 + k * 60, 3.5 - 0.01 * k, -0.002);
  for (let k = 1; k <= 60; k++) push(7200 + 3240 + k * 60, 3.0, 0);
  return out;
}

describe('per-cycle summary', () => {
  const samples = [...cycleSamples(1, 0), ...cycleSamples(2, 20_000, 0.05)];
  const [c1, c2] = summarizeCycles(samples);

  it('integrates 2 mAh of charge and 1.8 mAh of discharge, 90 % coulombic efficiency', () => {
    expect(c1!.chargeAh).toBeCloseTo(0.002, 9);
    expect(c1!.dischargeAh).toBeCloseTo(0.0018, 9);
    expect(c1!.coulombicEfficiency).toBeCloseTo(0.9, 9);
  });

  it('takes time-weighted mean voltages of charge and discharge', () => {
    expect(c1!.meanChargeV).toBeCloseTo(3.3, 9);
    expect(c1!.meanDischargeV).toBeCloseTo(3.23, 9);
  });

  it('measures how the charge ended: its last rise and the absence of a dip', () => {
    expect(c1!.chargeMaxV).toBeCloseTo(3.6, 9);
    expect(c1!.chargeFinalRiseV).toBeCloseTo(0.06, 9);
    expect(c1!.chargeDipV).toBe(0);
  });

  it('measures the voltage decay late in the rest after charge, in V per hour', () => {
    expect(c1!.restAfterCharge!.lateSlopeVPerH).toBeCloseTo(0, 9);
    expect(c2!.restAfterCharge!.lateSlopeVPerH).toBeCloseTo(-0.05, 6);
    expect(c2!.restAfterDischarge!.durationS).toBe(3540);
  });

  it('computes retention against cycle 1 and against a chosen reference cycle', () => {
    const s = summarizeCycles([
      ...cycleSamples(1, 0),
      ...cycleSamples(2, 20_000).map((x) => ({ ...x, currentA: x.currentA * (x.currentA < 0 ? 0.9 : 1) })),
    ]);
    expect(retention(s)[1]!.retention).toBeCloseTo(0.9, 9);
    expect(retention(s, 2)[0]!.retention).toBe(1);
    expect(() => retention(s, 7)).toThrow(/reference cycle 7/);
  });

  it('finds a dip when the charge voltage falls while charging', () => {
    const dipped = cycleSamples(1, 0).map((s, i) => (i === 40 ? { ...s, voltageV: s.voltageV - 0.05 } : s));
    expect(summarizeCycles(dipped)[0]!.chargeDipV).toBeCloseTo(0.04, 9);
  });
});

describe('steps segmented by what the current does', () => {
  /** Cycle 1 with a 2 h pause half-way through the charge: the voltage relaxes, then charging resumes. */
  function paused(): CyclingSample[] {
    const out: CyclingSample[] = [];
    const push = (t: number, v: number, i: number) =>
      out.push({ timeS: t, cycle: 1, voltageV: v, currentA: i });
    for (let k = 0; k <= 30; k++) push(k * 60, 3.0 + 0.01 * k, 0.002);
    for (let k = 1; k <= 120; k++) push(1800 + k * 60, 3.25 - 0.03 * (1 - Math.exp(-k / 10)), 0);
    for (let k = 0; k <= 30; k++) push(9000 + k * 60, 3.3 + 0.01 * k, 0.002);
    for (let k = 1; k <= 60; k++) push(10_800 + k * 60, 3.55 - 0.05 * (k / 60), 0);
    for (let k = 0; k <= 54; k++) push(14_400 + k * 60, 3.5 - 0.01 * k, -0.002);
    for (let k = 1; k <= 60; k++) push(17_640 + k * 60, 3.0, 0);
    return out;
  }

  it('takes a pause inside a charge as a pause: capacity summed, no dip on resuming, the rest after charge is the one before discharge', () => {
    const [c] = summarizeCycles(paused());
    expect(c!.chargeAh).toBeCloseTo(0.002, 9);
    expect(c!.pauses).toBe(1);
    expect(c!.chargeDurationS).toBe(3600);
    expect(c!.chargeDipV).toBe(0);
    expect(c!.restAfterCharge!.durationS).toBe(3540);
    expect(c!.restAfterCharge!.lateSlopeVPerH).toBeCloseTo(-0.05, 6);
  });

  it('estimates the voltage scatter in constant-current steps from second differences, whatever the slope', () => {
    const rnd = seededRandom(5);
    for (const sigma of [0.0005, 0.003]) {
      const noisy = cycleSamples(1, 0).map((s) =>
        s.currentA !== 0 ? { ...s, voltageV: s.voltageV + sigma * rnd.normal() } : s,
      );
      const [c] = summarizeCycles(noisy);
      expect(c!.voltageNoiseV! / sigma).toBeGreaterThan(0.75);
      expect(c!.voltageNoiseV! / sigma).toBeLessThan(1.3);
    }
  });

  it("reports each rest's design (the spread of its late samples in time), for the slope's standard error", () => {
    const [c] = summarizeCycles(cycleSamples(1, 0));
    // 30 samples a minute apart over the late half hour: sqrt(sum (t - mean)^2) in hours.
    expect(c!.restAfterCharge!.lateSpreadH).toBeCloseTo(Math.sqrt((30 * (30 ** 2 - 1)) / 12) / 60, 2);
  });
});

describe('cleaning cycler samples', () => {
  it('drops rows with NaN and timestamps that go backwards, with a warning naming the sample', () => {
    const s = cycleSamples(1, 0);
    const bad = [
      ...s.slice(0, 10),
      { ...s[10]!, voltageV: Number.NaN },
      { ...s[11]!, timeS: 1 },
      ...s.slice(12),
    ];
    const { samples, warnings } = cleanSamples(bad);
    expect(samples).toHaveLength(s.length - 2);
    expect(warnings.map((w) => w.kind)).toEqual(['not-finite', 'time-backwards']);
    expect(warnings[0]!.message).toMatch(/sample 10/);
  });

  it('continues a cycle counter that restarts, and reports missing cycles', () => {
    const input = [
      ...cycleSamples(1, 0),
      ...cycleSamples(2, 20_000),
      ...cycleSamples(1, 40_000),
      ...cycleSamples(5, 60_000),
    ];
    const { samples, warnings } = cleanSamples(input);
    expect([...new Set(samples.map((s) => s.cycle))]).toEqual([1, 2, 3, 7]);
    expect(warnings.map((w) => w.kind)).toEqual(['counter-restart', 'missing-cycles']);
    expect(warnings[1]!.message).toMatch(/cycles 4\.\.6/);
  });

  it('warns once per kind after five, counting the rest, and says when nothing is usable', () => {
    const nan = Array.from({ length: 8 }, (_, i) => ({
      timeS: i,
      cycle: 1,
      voltageV: Number.NaN,
      currentA: 0,
    }));
    const { warnings } = cleanSamples(nan);
    expect(warnings.filter((w) => w.kind === 'not-finite')).toHaveLength(6);
    expect(warnings.some((w) => /3 more/.test(w.message))).toBe(true);
    expect(warnings[warnings.length - 1]!.kind).toBe('empty');
  });
});
