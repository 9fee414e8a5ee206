import { describe, expect, it } from 'vitest';
import { simulateCell } from '../../../devices/sim/models/cell';
import { referenceCells } from '../../../devices/sim/models/cell-params';
import { spectrum } from '../../../src/eis/spectrum';
import { fitRcat, fitRcatSeries, type RcatFit } from '../../../src/health/rcat';
import { seededRandom } from '../../../src/random';
import { cellsOf, MIXED } from '../../support/review-cells/matrix';
import { ReviewCell } from '../../support/review-cells/model';

/** A fit's R_CAT is a value with a finite standard error inside the data's scale, or a reason. */
function sound(f: RcatFit, span: number): boolean {
  if (!f.determined) return typeof f.reason === 'string' && f.reason.length > 10 && f.rCatOhm === null;
  return (
    f.rCatOhm! > 1e-3 * span &&
    f.rCatOhm! < 10 * span &&
    Number.isFinite(f.rCatStderrOhm!) &&
    f.rCatStderrOhm! < f.rCatOhm!
  );
}

const logF = (n: number, hi = 5, lo = -2) =>
  Array.from({ length: n }, (_, i) => 10 ** (hi - ((hi - lo) * i) / (n - 1)));

describe('R_CAT from the charged-state spectra', () => {
  it("recovers the simulator's R_CAT within 3 % on every cycle of the three reference cells", () => {
    const worst: Record<string, number> = {};
    for (const p of referenceCells) {
      const sim = simulateCell(p, 1, 40);
      const fits = fitRcatSeries(sim.map((c) => ({ cycle: c.cycle, spectrum: c.spectrum })));
      expect(fits.every((f) => f.determined)).toBe(true);
      worst[p.id] = Math.max(...fits.map((f, i) => Math.abs(f.rCatOhm! / sim[i]!.model.rCatOhm - 1)));
    }
    console.log(`R_CAT fit error, worst cycle: ${JSON.stringify(worst)}`);
    for (const w of Object.values(worst)) expect(w).toBeLessThan(0.03);
  }, 60_000);

  it("recovers the reviewer model's R_CAT on its spectra (a ZARC cell, finite diffusion, inductance, 0.2-1 % noise)", () => {
    const errors: number[] = [];
    for (const spec of cellsOf({ name: 'fit check', kind: 'healthy', count: 4, confounders: MIXED }, 5150)) {
      const cell = new ReviewCell({
        ...spec,
        cycles: 12,
        spectrum: { ...spec.spectrum, spoiledFraction: 0 },
      }).run();
      const fits = fitRcatSeries(
        cell.cycles.map((c) => {
          const z = cell.spectrumOf(c);
          return { cycle: c.cycle, spectrum: spectrum(z.f, z.re, z.im) };
        }),
      );
      fits.forEach((f, i) => {
        if (f.determined) errors.push(Math.abs(f.rCatOhm! / cell.cycles[i]!.rCatAtEisOhm - 1));
      });
    }
    errors.sort((a, b) => a - b);
    console.log(
      `reviewer spectra: ${errors.length}/48 determined, median error ${(errors[errors.length >> 1]! * 100).toFixed(2)} %, worst ${(errors[errors.length - 1]! * 100).toFixed(2)} %`,
    );
    expect(errors.length).toBeGreaterThanOrEqual(36);
    expect(errors[errors.length >> 1]!).toBeLessThan(0.05);
  }, 60_000);
});

describe('R_CAT that cannot run away', () => {
  const rnd = seededRandom(3);
  const f = logF(36);
  const arc = (r0: number, r: number, tau: number, alpha: number) =>
    f.map((x) => {
      const w = 2 * Math.PI * x;
      const m = (w * tau) ** alpha;
      const re = 1 + m * Math.cos((alpha * Math.PI) / 2);
      const im = m * Math.sin((alpha * Math.PI) / 2);
      const d = re * re + im * im;
      return [r0 + (r * re) / d, (-r * im) / d] as const;
    });
  const cases: Record<string, { re: number[]; im: number[] }> = {
    'noise only': { re: f.map(() => 10 + rnd.normal()), im: f.map(() => rnd.normal()) },
    'one arc, no anode, no tail': (() => {
      const z = arc(5, 50, 1e-3, 0.85);
      return { re: z.map((p) => p[0]), im: z.map((p) => p[1]) };
    })(),
    'a resistor': { re: f.map(() => 12), im: f.map(() => -1e-6) },
    'drifted sweep': (() => {
      const z = arc(5, 50, 1e-3, 0.8);
      return {
        re: z.map((p, i) => p[0] * (1 + 0.6 * (i / 36) ** 3)),
        im: z.map((p, i) => p[1] * (1 - 0.5 * (i / 36) ** 2)),
      };
    })(),
    'wild points': (() => {
      const z = arc(5, 50, 1e-3, 0.8);
      return {
        re: z.map((p, i) => p[0] * (i % 7 === 3 ? 3 : 1)),
        im: z.map((p, i) => p[1] * (i % 5 === 2 ? -4 : 1)),
      };
    })(),
    'capacitor-like tail': { re: f.map(() => 8), im: f.map((x) => -1 / (2 * Math.PI * x * 1e-3)) },
  };

  it('gives a value with an uncertainty inside the data scale, or "not determined" with the reason', () => {
    for (const [name, z] of Object.entries(cases)) {
      const s = spectrum(f, z.re, z.im);
      const span = Math.max(...z.re) - Math.min(...z.re) || 1;
      const r = fitRcat(1, s);
      expect(sound(r.fit, span), `${name}: ${JSON.stringify(r.fit)}`).toBe(true);
    }
  });

  it('says so when too few points are left after the inductive ones are dropped', () => {
    const r = fitRcat(4, spectrum([1e5, 1e4, 1e3, 100, 10], [5, 6, 7, 8, 9], [1, -1, -2, -1, -0.5]));
    expect(r.fit).toMatchObject({ determined: false, rCatOhm: null });
    expect(r.fit.reason).toMatch(/4 capacitive points cannot determine 8 parameters/);
  });
});
