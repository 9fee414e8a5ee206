import { describe, expect, it } from 'vitest';
import { cellBatch } from '../../../devices/sim/models/cell-batch';
import { studyProtocol } from '../../../devices/sim/models/cell-params';
import { assessCell } from '../../../src/health/assess';
import { simulatedInput } from './sim-cells';

/**
 * 200 seeded cells: noise 0.5-3x, fade and R_CAT growth varied, every other one shorting at a random
 * cycle 10-90 with a random severity. The cycler logs every 300 s here (120 s in the study) to keep
 * the test under half a minute; the detectors' thresholds do not depend on the interval.
 */
describe('detectors over a batch of 200 simulated cells', () => {
  it('detects >= 99 % of soft shorts at most one cycle late, <= 1 % false alarms, and judges R_CAT growth', () => {
    const protocol = { ...studyProtocol, sampleIntervalS: 300 };
    let shorted = 0;
    let detected = 0;
    let falseAlarms = 0;
    let healthy = 0;
    let growthWrong = 0;
    let growthJudged = 0;
    const delays: number[] = [];
    for (const cell of cellBatch(2026, 200)) {
      const onset = cell.params.softShort?.onsetCycle;
      const health = assessCell(simulatedInput(cell.params, cell.seed, cell.cycles, protocol));
      const found = health.softShort.onsetCycle;
      if (cell.cycles === 100) {
        growthJudged++;
        const growing = cell.params.rCatGrowthOhmPerCycle > 0;
        if (growing !== health.alerts.some((a) => a.kind === 'resistance-growth')) growthWrong++;
      }
      if (onset === undefined) {
        healthy++;
        if (found !== null) falseAlarms++;
        continue;
      }
      shorted++;
      if (found !== null && found < onset) falseAlarms++;
      else if (found !== null && found - onset <= 1) {
        detected++;
        delays.push(found - onset);
      }
    }
    delays.sort((a, b) => a - b);
    const median = delays[delays.length >> 1];
    console.log(
      `batch: ${detected}/${shorted} shorts detected, ${falseAlarms} false alarms in ${healthy + shorted} cells, median delay ${median} cycles; resistance growth misjudged in ${growthWrong}/${growthJudged}`,
    );
    expect(shorted).toBe(100);
    expect(detected / shorted).toBeGreaterThanOrEqual(0.99);
    expect(falseAlarms / (healthy + shorted)).toBeLessThanOrEqual(0.01);
    expect(growthWrong / growthJudged).toBeLessThanOrEqual(0.01);
  }, 120_000);
});
