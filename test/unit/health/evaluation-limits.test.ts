/** The evaluation's size and the docs' detection limits are what the evaluation tests assert. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parameterTable } from '../../../devices/sim/models/cell-params';
import { LIMITS, renderLimits } from '../../support/review-cells/limits';
import {
  GROWTH_CONDITIONS,
  HEALTHY_CONDITIONS,
  MILD_SHORT_CONDITIONS,
  SHORT_CONDITIONS,
} from '../../support/review-cells/matrix';

const readme = readFileSync(join(__dirname, '../../../docs/cell-health.md'), 'utf8');
const between = (tag: string) =>
  new RegExp(`<!-- ${tag}:start -->\\n([\\s\\S]*?)\\n<!-- ${tag}:end -->`).exec(readme)?.[1];

describe('evaluation size and docs/cell-health.md', () => {
  it(`runs at least ${LIMITS.minCells} cells of the confounder matrix`, () => {
    const n = [
      ...HEALTHY_CONDITIONS,
      ...SHORT_CONDITIONS,
      ...MILD_SHORT_CONDITIONS,
      ...GROWTH_CONDITIONS,
    ].reduce((k, c) => k + c.count, 0);
    expect(n).toBeGreaterThanOrEqual(LIMITS.minCells);
  });

  it('states exactly the detection limits the evaluation asserts', () => {
    expect(between('detection-limits')).toBe(renderLimits());
  });

  it("holds the simulator's parameter table as the code has it", () => {
    expect(between('sim-parameters')).toBe(parameterTable());
  });
});
