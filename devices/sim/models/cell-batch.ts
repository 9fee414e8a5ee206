/**
 * A seeded batch of simulated cells that fail differently, for judging the detectors: each cell starts
 * from one of the study's three, with its noise scaled 0.5-3x, its capacity fade and R_CAT growth varied,
 * and every other cell given a soft short of random onset (cycles 10-90), severity and growth.
 */
import { type Random, seededRandom } from '../../../src/random';
import { referenceCells, type SimCellParams } from './cell-params';

export type BatchCell = {
  readonly params: SimCellParams;
  readonly seed: number;
  /** Cycles worth simulating: 100, or 10 past a short's onset (nothing later changes the verdict). */
  readonly cycles: number;
};

export const BATCH_SHORT_RANGE = {
  onsetCycles: [10, 90],
  severity: [0.1, 1],
  growthPerCycle: [0, 0.05],
} as const;

export function cellBatch(seed: number, count: number): BatchCell[] {
  const rng = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => batchCell(rng, i));
}

function batchCell(rng: Random, i: number): BatchCell {
  const base = referenceCells[rng.int(0, referenceCells.length - 1)]!;
  const noiseScale = rng.uniform(0.5, 3);
  const shorted = i % 2 === 1;
  const r = BATCH_SHORT_RANGE;
  const softShort = shorted
    ? {
        onsetCycle: rng.int(r.onsetCycles[0], r.onsetCycles[1]),
        severity: rng.uniform(r.severity[0], r.severity[1]),
        growthPerCycle: rng.uniform(r.growthPerCycle[0], r.growthPerCycle[1]),
      }
    : null;
  const params: SimCellParams = {
    ...base,
    id: `batch-${String(i).padStart(3, '0')}`,
    retentionAt100: Math.min(0.99, base.retentionAt100 + rng.uniform(-0.05, 0.03)),
    rCatGrowthOhmPerCycle: base.rCatGrowthOhmPerCycle * rng.uniform(0.5, 1.5),
    softShort,
    noise: {
      voltageV: base.noise.voltageV * noiseScale,
      currentRelative: base.noise.currentRelative * noiseScale,
      eisRelative: base.noise.eisRelative * noiseScale,
      temperatureC: base.noise.temperatureC * noiseScale,
      capacityRelative: base.noise.capacityRelative * noiseScale,
    },
  };
  const seedOut = rng.int(1, 0x7fffffff);
  return { params, seed: seedOut, cycles: softShort ? Math.min(100, softShort.onsetCycle + 10) : 100 };
}
