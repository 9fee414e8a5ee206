import { describe, expect, it } from 'vitest';
import { assessCell } from '../../../src/health/assess';
import { detectCapacityFade } from '../../../src/health/capacity-fade';
import { CeTrend } from '../../../src/health/ce-trend';
import { detectResistanceGrowth, type RcatPoint } from '../../../src/health/resistance-growth';
import { theilSen } from '../../../src/health/stats';
import { estimateActivation, inverseKT, normaliseRcat } from '../../../src/health/temperature';
import { seededRandom } from '../../../src/random';

const rnd = seededRandom(11);
/** R_CAT per cycle with 1 % scatter, a temperature that wanders +-5 C, and Arrhenius at `ev`. */
const series = (n: number, at25: (c: number) => number, ev = 0.5, swingC = 5): RcatPoint[] =>
  Array.from({ length: n }, (_, i) => {
    const cycle = i + 1;
    const temperatureC = 25 + swingC * Math.sin(cycle / 3.7) + (swingC ? 0.3 : 0.02) * rnd.normal();
    const r =
      at25(cycle) * Math.exp(ev * (inverseKT(temperatureC) - inverseKT(25))) * (1 + 0.01 * rnd.normal());
    return { cycle, rCatOhm: r, stderrOhm: 0.01 * r, temperatureC };
  });

describe('R_CAT activation energy and normalisation', () => {
  it("estimates the cell's own activation energy from its logged temperature, not a constant", () => {
    for (const ev of [0.32, 0.48, 0.63]) {
      const a = estimateActivation(series(60, () => 40, ev));
      expect(a.source).toBe('estimated');
      expect(Math.abs(a.ev! - ev)).toBeLessThan(0.03);
    }
  });

  it('estimates it through steady growth too, and says so when the temperature hardly moves', () => {
    const a = estimateActivation(series(60, (c) => 40 * 1.02 ** c, 0.45));
    expect(Math.abs(a.ev! - 0.45)).toBeLessThan(0.03);
    const flat = estimateActivation(series(60, () => 40, 0.45, 0));
    expect(flat.source).toBe('none');
    expect(flat.reason).toMatch(/varied too little/);
    expect(estimateActivation([{ cycle: 1, rCatOhm: 3, temperatureC: null }]).reason).toMatch(
      /no temperature/,
    );
    expect(estimateActivation([], 0.41)).toMatchObject({ ev: 0.41, source: 'cell.json' });
  });

  it('normalises to 25 C and 150 MPa: a warm cell reads lower, so it is raised back', () => {
    expect(normaliseRcat(30, 25, 0.5, 150)).toBeCloseTo(30, 9);
    expect(normaliseRcat(30, 35, 0.5)).toBeGreaterThan(30 * 1.8);
    expect(normaliseRcat(30, 35, null)).toBe(30);
    expect(normaliseRcat(30, null, null, 37.5)).toBeCloseTo(15, 9);
  });
});

describe('resistance growth', () => {
  it('waits for formation and enough determined cycles before deciding', () => {
    expect(detectResistanceGrowth(series(4, () => 30)).verdict).toBe('formation');
    expect(detectResistanceGrowth(series(11, () => 30)).verdict).toBe('insufficient-data');
  });

  it('calls a flat R_CAT stabilised through +-5 C spells, with a growth interval around 0', () => {
    const g = detectResistanceGrowth(series(80, () => 30));
    expect(g.verdict).toBe('stabilised');
    expect(g.alarmCycle).toBeNull();
    expect(g.evidence.growthLower!).toBeLessThan(0);
    expect(g.evidence.growthUpper!).toBeGreaterThan(0);
    expect(g.evidence.activationSource).toBe('estimated');
  });

  it('calls a 1 %/cycle rise growing, with the rate and its interval, within 15 cycles of +10 %', () => {
    const g = detectResistanceGrowth(series(60, (c) => 30 * (c < 20 ? 1 : 1.01 ** (c - 19))));
    expect(g.verdict).toBe('growing');
    expect(g.alarmCycle!).toBeGreaterThan(20);
    expect(g.alarmCycle!).toBeLessThanOrEqual(29 + 15);
    expect(g.evidence.growthLower!).toBeLessThan(0.01);
    expect(g.evidence.growthUpper!).toBeGreaterThan(0.01);
  });

  it('never alarms on one odd cycle, however odd (a fit gone wrong, a spoiled spectrum)', () => {
    for (const odd of [1e-3, 0.2, 5, 1e3, 2.6e27]) {
      const pts = series(60, () => 30).map((p) => (p.cycle === 30 ? { ...p, rCatOhm: p.rCatOhm * odd } : p));
      const g = detectResistanceGrowth(pts);
      expect(g.alarmCycle, String(odd)).toBeNull();
    }
  });

  it('leaves out NaN and duplicate cycles with warnings, and still decides', () => {
    const pts = [...series(40, () => 30), { cycle: 41, rCatOhm: Number.NaN, stderrOhm: 1, temperatureC: 25 }];
    pts.push({ ...pts[6]!, rCatOhm: 99 });
    const g = detectResistanceGrowth(pts);
    expect(g.verdict).toBe('stabilised');
    expect(g.warnings).toHaveLength(2);
    expect(g.warnings.join('\n')).toMatch(/cycle 7: a second R_CAT/);
  });

  it("does not read a 3 C warm spell as healing, nor its end as growth (the issue's 17 % swing)", () => {
    const pts = series(60, () => 30, 0.45, 0).map((p) =>
      p.cycle >= 30 && p.cycle < 38
        ? {
            ...p,
            temperatureC: p.temperatureC! + 3,
            rCatOhm: p.rCatOhm * Math.exp(0.45 * (inverseKT(28) - inverseKT(25))),
          }
        : p,
    );
    expect(detectResistanceGrowth(pts).alarmCycle).toBeNull();
  });
});

describe('theil-sen', () => {
  it('ignores a wild point and brackets the true slope', () => {
    const x = Array.from({ length: 20 }, (_, i) => i);
    const y = x.map((v) => 2 + 0.5 * v + (v === 7 ? 100 : 0));
    const t = theilSen(x, y);
    expect(t.slope).toBeCloseTo(0.5, 9);
    expect(t.lower).toBeLessThanOrEqual(0.5);
    expect(t.upper).toBeGreaterThanOrEqual(0.5);
  });
});

describe('coulombic-efficiency trend', () => {
  const healthy = (n: number, sigma = 0.0005) =>
    Array.from({ length: n }, (_, i) => (i < 2 ? 0.85 + 0.07 * i : 0.998 + sigma * rnd.normal()));

  it('keeps quiet over 100 healthy cycles, its threshold scaled to their own scatter', () => {
    const t = new CeTrend();
    const steps = healthy(100).map((ce, i) => t.step(i + 1, ce, false));
    expect(steps.some((s) => s.alarm)).toBe(false);
    const last = steps[steps.length - 1]!;
    expect(last.sigma).toBeGreaterThan(0.0003);
    expect(last.sigma).toBeLessThan(0.0008);
    expect(last.threshold).toBeCloseTo(5 * last.sigma, 9);
  });

  it('catches a 2 % drop within 2 cycles, and a baseline that never follows it down', () => {
    const t = new CeTrend();
    const ce = healthy(80).map((v, i) => (i + 1 >= 40 ? v - 0.02 : v));
    const steps = ce.map((v, i) => t.step(i + 1, v, false));
    const first = steps.find((s) => s.alarm)!;
    expect(first.cycle).toBeGreaterThanOrEqual(40);
    expect(first.cycle).toBeLessThanOrEqual(41);
    expect(steps[79]!.baseline!).toBeGreaterThan(0.995);
    expect(steps[79]!.alarm).toBe(true);
  });

  it("catches the issue's mild persistent short (0.994 -> 0.945 -> 0.925 from cycle 37)", () => {
    const t = new CeTrend();
    const ce = Array.from({ length: 60 }, (_, i) =>
      i < 2 ? 0.85 : i + 1 < 37 ? 0.994 + 0.0005 * rnd.normal() : i + 1 === 37 ? 0.945 : 0.925,
    );
    const first = ce.map((v, i) => t.step(i + 1, v, false)).find((s) => s.alarm)!;
    expect(first.cycle).toBe(37);
  });

  it('finds a short that began in formation by its persistent deficit once formation is over', () => {
    const t = new CeTrend();
    const ce = Array.from({ length: 20 }, (_, i) =>
      i === 0 ? 0.85 : i === 1 ? 0.95 : 0.975 + 0.0005 * rnd.normal(),
    );
    const first = ce.map((v, i) => t.step(i + 1, v, false)).find((s) => s.alarm)!;
    expect(first.deficit).toBe(true);
    expect(first.cycle).toBe(8);
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

describe('assessment', () => {
  it('leaves a cycle cut short out of retention (its missing discharge is no capacity of 0)', () => {
    const cycle = (n: number, chargeAh: number, dischargeAh: number) =>
      ({
        cycle: n,
        chargeAh,
        dischargeAh,
        coulombicEfficiency: chargeAh > 0 ? dischargeAh / chargeAh : null,
      }) as never;
    const h = assessCell({
      cycles: [cycle(1, 2e-3, 1.8e-3), cycle(2, 1.9e-3, 1.79e-3), cycle(3, 1.2e-3, 0)],
      rcat: [],
    });
    expect(h.retention.map((r) => r.cycle)).toEqual([1, 2]);
    expect(h.fade.alarmCycle).toBeNull();
  });

  it('says why a cell without a reference cycle has no retention, without throwing', () => {
    const h = assessCell({ cycles: [], rcat: [] });
    expect(h.retention).toEqual([]);
    expect(h.latestCycle).toBeNull();
    expect(h.resistance.verdict).toBe('formation');
  });

  it('shows every R_CAT as a value with its uncertainty or as not determined with the reason', () => {
    const h = assessCell({
      cycles: [],
      rcat: [
        {
          cycle: 1,
          determined: true,
          rCatOhm: 30,
          rCatStderrOhm: 0.3,
          reason: null,
          rSeOhm: 7,
          cathodeHz: 300,
          rmsRelative: 0.01,
          rmseOhm: 0.1,
        },
        {
          cycle: 2,
          determined: false,
          rCatOhm: null,
          rCatStderrOhm: null,
          reason: 'spoiled',
          rSeOhm: null,
          cathodeHz: null,
          rmsRelative: 0.2,
          rmseOhm: 3,
        },
      ],
      eisTemperatureC: new Map([[1, 24.5]]),
    });
    expect(h.rcat).toEqual([
      { cycle: 1, determined: true, rCatOhm: 30, stderrOhm: 0.3, temperatureC: 24.5 },
      { cycle: 2, determined: false, reason: 'spoiled' },
    ]);
  });
});
