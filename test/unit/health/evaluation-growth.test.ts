/**
 * The evaluation that cannot cheat, part 3 of 3: R_CAT growth of 0.5-3 %/cycle, and the milder shorts
 * that measure the detection limit, every confounder at once, through `cellrig health` on cells the
 * reviewer's model wrote to disk. Cells whose two arcs overlap are run and reported, not asserted.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, type Outcome, rows, table } from '../../support/review-cells/evaluate';
import { LIMITS } from '../../support/review-cells/limits';
import {
  GROWTH_CONDITIONS,
  MILD_SHORT_CONDITIONS,
  OVERLAP_CONDITIONS,
} from '../../support/review-cells/matrix';

describe('evaluation: R_CAT growth and mild shorts', () => {
  let outcomes: Outcome[];
  it('runs the cells through cellrig health', async () => {
    outcomes = await evaluate([...GROWTH_CONDITIONS, ...MILD_SHORT_CONDITIONS, ...OVERLAP_CONDITIONS], 7_300);
    console.log(`\n${table(rows(outcomes))}\n`);
    for (const o of outcomes.filter((x) => x.falseAlarm || !x.detected))
      console.log(`${o.id}: ${JSON.stringify(o)}`);
  }, 600_000);

  it(`flags growth of ${LIMITS.growth.minPerCycle * 100} %/cycle and more within ${LIMITS.growth.withinCycles} cycles of +10 %`, () => {
    const growth = outcomes.filter((o) => GROWTH_CONDITIONS.some((c) => c.name === o.condition));
    expect(growth.length).toBe(GROWTH_CONDITIONS.reduce((n, c) => n + c.count, 0));
    expect(growth.filter((o) => o.detected).length / growth.length).toBeGreaterThanOrEqual(
      LIMITS.growth.detected,
    );
    expect(growth.filter((o) => o.falseAlarm).length / growth.length).toBeLessThanOrEqual(
      LIMITS.growth.falseAlarms,
    );
  });

  it('measures the detection limit for milder shorts', () => {
    for (const m of LIMITS.mild) {
      const cond = MILD_SHORT_CONDITIONS.find((c) => c.ceDrop![0] === m.drop)!;
      const os = outcomes.filter((o) => o.condition === cond.name);
      const delays = os.flatMap((o) => (o.detected ? [o.delay!] : [])).sort((a, b) => a - b);
      expect(os.filter((o) => o.detected).length / os.length, cond.name).toBeGreaterThanOrEqual(m.detected);
      expect(delays[delays.length >> 1]!, cond.name).toBeLessThanOrEqual(m.medianDelayCycles);
    }
  });

  it('never shows a runaway R_CAT, even where the arcs overlap', () => {
    expect(outcomes.reduce((n, o) => n + o.runaway, 0)).toBe(LIMITS.runaway);
  });
});
