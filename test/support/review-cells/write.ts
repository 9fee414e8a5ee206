/**
 * Writes a reviewer's cell to disk in the documented cell format (README "The cell on disk"), with its
 * own code: cell.json (only `id` for some cells, a few optional fields for others), cycling.csv with the
 * temperature_C column (column order varies), one eis/cycle-NNN.csv per cycle. Nothing of the model's
 * inner state is written.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReviewCell } from './model';

export async function writeReviewCell(root: string, cell: ReviewCell): Promise<string> {
  const s = cell.spec;
  const dir = join(root, s.id);
  await mkdir(join(dir, 'eis'), { recursive: true });
  const meta: Record<string, unknown> = { id: s.id };
  if (s.seed % 3 !== 0) Object.assign(meta, { coating: 'NMC811-review', pressureMPa: 150 });
  await writeFile(join(dir, 'cell.json'), `${JSON.stringify(meta)}\n`);
  const tempFirst = s.seed % 2 === 0;
  const header = tempFirst
    ? 'temperature_C,time_s,cycle,voltage_V,current_A'
    : 'time_s,cycle,voltage_V,current_A,temperature_C';
  const rows = cell.samples.map((x) => {
    const core = `${x.t.toFixed(1)},${x.cycle},${x.v.toFixed(5)},${x.i.toPrecision(6)}`;
    return tempFirst ? `${x.temp},${core}` : `${core},${x.temp}`;
  });
  await writeFile(join(dir, 'cycling.csv'), `${header}\n${rows.join('\n')}\n`);
  for (const c of cell.cycles) {
    const z = cell.spectrumOf(c);
    const lines = z.f.map(
      (f, k) => `${f.toPrecision(6)},${z.re[k]!.toPrecision(6)},${z.im[k]!.toPrecision(6)}`,
    );
    await writeFile(
      join(dir, 'eis', `cycle-${String(c.cycle).padStart(3, '0')}.csv`),
      `f_Hz,re_ohm,im_ohm\n${lines.join('\n')}\n`,
    );
  }
  return dir;
}
