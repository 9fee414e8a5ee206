/**
 * The evaluation that cannot cheat, part 2 of 3: healthy cells (no short, no R_CAT growth) under each
 * confounder alone and all at once, through `cellrig health` on cells the reviewer's model wrote to
 * disk. Any alert, even one raised and cleared again, counts against it.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, type Outcome, rows, table } from '../../support/review-cells/evaluate';
import { LIMITS } from '../../support/review-cells/limits';
import { HEALTHY_CONDITIONS } from '../../support/review-cells/matrix';

describe('evaluation: healthy cells', () => {
  let outcomes: Outcome[];
  it('runs the cells through cellrig health', async () => {
    outcomes = await evaluate(HEALTHY_CONDITIONS, 7_200);
    console.log(`\n${table(rows(outcomes))}\n`);
    for (const o of outcomes.filter((x) => x.falseAlarm))
      console.log(`false alarm: ${o.id} ${o.falseKinds.join(', ')}`);
    expect(outcomes).toHaveLength(HEALTHY_CONDITIONS.reduce((n, c) => n + c.count, 0));
  }, 600_000);

  it(`keeps at least ${LIMITS.healthyQuiet * 100} % of them free of any alert`, () => {
    expect(outcomes.filter((o) => !o.falseAlarm).length / outcomes.length).toBeGreaterThanOrEqual(
      LIMITS.healthyQuiet,
    );
  });

  it('never shows a runaway R_CAT', () => {
    expect(outcomes.reduce((n, o) => n + o.runaway, 0)).toBe(LIMITS.runaway);
  });
});
