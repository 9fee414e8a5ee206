/** Simulated cells turned into what the detectors take: cycle summaries and R_CAT per cycle. */
import { simulateCell } from '../../../devices/sim/models/cell';
import { type Protocol, type SimCellParams, studyProtocol } from '../../../devices/sim/models/cell-params';
import { cleanSamples } from '../../../src/cycling/samples';
import { type CycleSummary, summarizeCycles } from '../../../src/cycling/summary';
import type { RcatPoint } from '../../../src/health/resistance-growth';
import { lowFrequencyTailSlope } from '../../../src/health/spectrum-tail';

export type DetectorInput = { cycles: CycleSummary[]; rcat: RcatPoint[]; tailSlopes: Map<number, number> };

export function simulatedInput(
  p: SimCellParams,
  seed: number,
  cycles: number,
  protocol: Protocol = studyProtocol,
): DetectorInput {
  const sim = simulateCell(p, seed, cycles, protocol);
  const samples = sim.flatMap((c) =>
    c.timeS.map((t, i) => ({ timeS: t, cycle: c.cycle, voltageV: c.voltageV[i]!, currentA: c.currentA[i]! })),
  );
  return {
    cycles: summarizeCycles(cleanSamples(samples).samples),
    // The model's R_CAT, as an exact fit would give it; the path through the circuit fit is tested separately.
    rcat: sim.map((c) => ({ cycle: c.cycle, rCatOhm: c.truth.rCatOhm, temperatureC: c.temperatureC })),
    tailSlopes: new Map(sim.map((c) => [c.cycle, lowFrequencyTailSlope(c.spectrum)])),
  };
}
