/**
 * `cellrig sim cells --seed N --out DIR [--cycles N] [--cells pristine,lno,tfaa]`: simulates the
 * reference study's cells and writes each in the on-disk cell format (README "Cell health"), ready for
 * `cellrig health DIR`. The same seed writes the same files.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { simulateCycles } from '../../devices/sim/models/cell';
import { nominalCapacityMAh, referenceCells, type SimCellParams } from '../../devices/sim/models/cell-params';
import { writeCellDir } from '../../src/cells/directory';
import type { CellMeta } from '../../src/cells/format';
import type { CyclingSample } from '../../src/cycling/samples';

const USAGE = `usage: cellrig sim cells --seed N --out DIR [--cycles N] [--cells ${referenceCells.map((c) => c.id).join(',')}]
Writes DIR/<cell>/cell.json, cycling.csv (with temperature_C) and eis/cycle-NNN.csv for the reference study's cells.
`;

const argsSchema = z.object({
  seed: z.coerce.number().int().min(0),
  out: z.string().min(1),
  cycles: z.coerce.number().int().min(1).max(1000).default(100),
  cells: z
    .string()
    .default(referenceCells.map((c) => c.id).join(','))
    .transform((s, ctx) => {
      const ids = s.split(',').map((x) => x.trim());
      const cells = ids.map((id) => referenceCells.find((c) => c.id === id));
      const unknown = ids.filter((_, i) => !cells[i]);
      if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown cell(s) ${unknown.join(', ')}` });
      return cells.filter((c): c is SimCellParams => c !== undefined);
    }),
});

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

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        seed: { type: 'string' },
        out: { type: 'string' },
        cycles: { type: 'string' },
        cells: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`cellrig sim cells: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ');
    process.stderr.write(`cellrig sim cells: ${why}\n${USAGE}`);
    return 2;
  }
  const { seed, out, cycles, cells } = parsed.data;
  for (const p of cells) {
    const dir = await writeSimulatedCell(out, p, seed, cycles);
    process.stdout.write(`${dir}: ${p.coating}, ${cycles} cycles, seed ${seed}\n`);
  }
  return 0;
}
