/**
 * The evaluation that cannot cheat, part 1 of 3: soft shorts with a coulombic-efficiency drop of 2 % or
 * more, every confounder at once, through `cellrig health` on cells the reviewer's model (test/support/
 * review-cells, its own physics) wrote to disk. Prints the table per condition; asserts LIMITS.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, type Outcome, rows, table } from '../../support/review-cells/evaluate';
import { LIMITS } from '../../support/review-cells/limits';
import { SHORT_CONDITIONS } from '../../support/review-cells/matrix';

describe('evaluation: soft shorts of 2 % CE and more', () => {
  let outcomes: Outcome[];
  it('runs the cells through cellrig health', async () => {
    outcomes = await evaluate(SHORT_CONDITIONS, 7_100);
    console.log(`\n${table(rows(outcomes))}\n`);
    expect(outcomes).toHaveLength(SHORT_CONDITIONS.reduce((n, c) => n + c.count, 0));
  }, 600_000);

  it(`detects at least ${LIMITS.shorts.detected * 100} % with a median delay of at most ${LIMITS.shorts.medianDelayCycles} cycles`, () => {
    const detected = outcomes.filter((o) => o.detected);
    const delays = detected.map((o) => o.delay!).sort((a, b) => a - b);
    expect(detected.length / outcomes.length).toBeGreaterThanOrEqual(LIMITS.shorts.detected);
    expect(delays[delays.length >> 1]!).toBeLessThanOrEqual(LIMITS.shorts.medianDelayCycles);
    expect(outcomes.filter((o) => o.falseAlarm).length / outcomes.length).toBeLessThanOrEqual(
      LIMITS.shorts.falseAlarms,
    );
  });

  it('never shows a runaway R_CAT', () => {
    expect(outcomes.reduce((n, o) => n + o.runaway, 0)).toBe(LIMITS.runaway);
  });
});
