/**
 * What the evaluation asserts, in one place: docs/cell-health.md's detection-limits block is rendered from this
 * (test/unit/health/evaluation-limits.test.ts checks the README holds exactly it).
 */
export const LIMITS = {
  minCells: 300,
  /** Healthy cells (no short, no growth) that raise no alert of any kind, ever (raised-then-cleared counts). */
  healthyQuiet: 0.99,
  /** Soft shorts with a CE drop of 2 % or more. */
  shorts: { minDrop: 0.02, detected: 0.99, medianDelayCycles: 2, falseAlarms: 0.01 },
  /** Milder shorts: the measured detection limit. */
  mild: [
    { drop: 0.015, detected: 0.95, medianDelayCycles: 2 },
    { drop: 0.01, detected: 0.9, medianDelayCycles: 2 },
    { drop: 0.005, detected: 0.85, medianDelayCycles: 2 },
    { drop: 0.003, detected: 0.8, medianDelayCycles: 2 },
  ],
  /** R_CAT growth of 0.5 %/cycle or more, flagged within this many cycles of R_CAT passing 1.1x its stabilised value. */
  growth: { minPerCycle: 0.005, withinCycles: 15, detected: 1, falseAlarms: 0.01 },
  /** R_CAT entries that are neither a value with its uncertainty nor "not determined" with a reason. */
  runaway: 0,
} as const;

const pct = (x: number) => `${Number((x * 100).toFixed(1))} %`;

/** The docs block. */
export function renderLimits(): string {
  const L = LIMITS;
  return [
    `- At least ${L.minCells} cells of the confounder matrix.`,
    `- Healthy cells raising no alert of any kind (raised-then-cleared counts): at least ${pct(L.healthyQuiet)}.`,
    `- Soft shorts with a coulombic-efficiency drop of ${pct(L.shorts.minDrop)} or more: detected in at least ${pct(L.shorts.detected)}, median delay at most ${L.shorts.medianDelayCycles} cycles, false alarms at most ${pct(L.shorts.falseAlarms)}.`,
    ...L.mild.map(
      (m) =>
        `- Milder shorts, CE drop ${pct(m.drop)}: detected in at least ${pct(m.detected)}, median delay at most ${m.medianDelayCycles} cycles.`,
    ),
    `- R_CAT growth of ${pct(L.growth.minPerCycle)}/cycle or more: flagged in ${pct(L.growth.detected)} of cells within ${L.growth.withinCycles} cycles of R_CAT passing 1.1x its stabilised value; false alarms at most ${pct(L.growth.falseAlarms)}.`,
    `- R_CAT in every verdict a value with its standard error or "not determined" with a reason: ${L.runaway} exceptions.`,
  ].join('\n');
}
