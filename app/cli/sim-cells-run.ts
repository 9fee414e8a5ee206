/**
 * What `cellrig sim cells` runs (app/cli/sim.ts declares the options): the reference study's cells
 * simulated and written in the on-disk cell format (docs/cell-health.md), ready for `cellrig health DIR`.
 * The same seed writes the same files.
 */
import { simulateCycles } from '../../devices/sim/models/cell';
import { nominalCapacityMAh, type SimCellParams } from '../../devices/sim/models/cell-params';
import { writeCellDir } from '../../src/cells/directory';
import type { CellMeta } from '../../src/cells/format';
import type { CyclingSample } from '../../src/cycling/samples';

export function cellMeta(p: SimCellParams): CellMeta {
  return {
    id: p.id,
    coating: p.coating,
    nominalCapacitymAh: nominalCapacityMAh(),
    pressureMPa: p.pressureMPa,
    cathodeBatch: { ...p.cathodeBatch },
  };
}

export async function writeSimulatedCell(
  out: string,
  p: SimCellParams,
  seed: number,
  cycles: number,
): Promise<string> {
  const samples: CyclingSample[] = [];
  const spectra = [];
  for (const c of simulateCycles(p, seed, cycles)) {
    for (let i = 0; i < c.timeS.length; i++) {
      samples.push({
        timeS: c.timeS[i]!,
        cycle: c.cycle,
        voltageV: c.voltageV[i]!,
        currentA: c.currentA[i]!,
        temperatureC: c.temperatureC[i]!,
      });
    }
    spectra.push({ cycle: c.cycle, spectrum: c.spectrum });
  }
  return writeCellDir(out, { meta: cellMeta(p), samples, spectra });
}

export type SimCellsOptions = { seed: number; out: string; cycles: number; cells: SimCellParams[] };

export async function runSimCells(o: SimCellsOptions): Promise<number> {
  for (const p of o.cells) {
    const dir = await writeSimulatedCell(o.out, p, o.seed, o.cycles);
    process.stdout.write(`${dir}: ${p.coating}, ${o.cycles} cycles, seed ${o.seed}\n`);
  }
  return 0;
}
