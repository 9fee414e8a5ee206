/**
 * What `cellrig health DIR` runs (app/cli/health.ts declares the options): the verdict for each cell
 * folder under DIR (or DIR itself when it is a cell folder): retention, R_CAT per cycle and whether it
 * is growing, and every alert with the cycle it was raised at and its evidence.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analyseCell, type CellAnalysis, cellReport } from '../../src/cells/analyse';
import { listCellDirs, readCellDir } from '../../src/cells/directory';
import { CELL_JSON, CellFileError } from '../../src/cells/format';
import type { SoftShortCycle } from '../../src/health/soft-short';

export async function runHealth(root: string, options: { json?: boolean }): Promise<number> {
  try {
    const dirs = existsSync(join(root, CELL_JSON)) ? [root] : await listCellDirs(root);
    if (dirs.length === 0) throw new CellFileError(root, null, `no cell folders (none holds a ${CELL_JSON})`);
    const analyses: CellAnalysis[] = [];
    for (const dir of dirs) analyses.push(analyseCell(await readCellDir(dir)));
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ cells: analyses.map(cellReport) }, null, 2)}\n`);
    } else {
      process.stdout.write(analyses.map(describe).join('\n'));
    }
    return 0;
  } catch (e) {
    if (e instanceof CellFileError) {
      process.stderr.write(`cellrig health: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function describe(a: CellAnalysis): string {
  const h = a.health;
  const r = cellReport(a);
  const lines = [`${r.id} (${r.coating}): ${h.latestCycle ?? 0} cycles`];
  const ret = h.retention;
  if (ret.length)
    lines.push(
      `  retention      ${pct(ret[ret.length - 1]!.retention)} at cycle ${ret[ret.length - 1]!.cycle}`,
    );
  const determined = h.rcat.filter((e) => e.determined);
  const missing = h.rcat.filter((e) => !e.determined);
  if (h.rcat.length) {
    const one = (e: (typeof determined)[number]) =>
      e.determined ? `${e.rCatOhm.toPrecision(3)} +- ${e.stderrOhm.toPrecision(2)}` : '';
    const range = determined.length
      ? `${one(determined[0]!)} -> ${one(determined[determined.length - 1]!)} Ohm`
      : 'no value';
    lines.push(
      `  R_CAT          ${range} (${determined.length} of ${h.rcat.length} spectra determined): ${h.resistance.verdict}`,
    );
    lines.push(`                 ${h.resistance.evidence.reason}`);
    lines.push(`                 activation energy: ${h.resistance.activation.reason}`);
    for (const e of missing.slice(0, 3))
      if (!e.determined) lines.push(`    cycle ${e.cycle} not determined: ${e.reason}`);
    if (missing.length > 3) lines.push(`    ${missing.length - 3} more cycles not determined`);
  }
  const ss = h.softShort.latest;
  if (ss) {
    const v = ss.noise.voltageV === null ? 'unknown' : `${(ss.noise.voltageV * 1000).toPrecision(2)} mV`;
    lines.push(
      `  noise          voltage scatter ${v} in constant-current steps; CE scatter ${(ss.noise.ceSigma * 100).toPrecision(2)} %`,
    );
  }
  if (h.alerts.length === 0) lines.push('  alerts         none');
  for (const x of h.alerts) {
    lines.push(
      `  ALERT ${x.kind} (${x.severity}) from cycle ${x.cycle}${x.active ? '' : ', no longer active'}`,
    );
    if (x.kind === 'soft-short') {
      for (const s of (x.evidence as SoftShortCycle).signals)
        lines.push(`    ${s.present ? '[x]' : '[ ]'} ${s.name}: ${s.detail}`);
    } else {
      lines.push(`    ${(x.evidence as { reason: string }).reason}`);
    }
  }
  if (a.warnings.length) {
    lines.push(`  ${a.warnings.length} warning(s):`);
    for (const w of a.warnings.slice(0, 10)) lines.push(`    ${w}`);
  }
  return `${lines.join('\n')}\n`;
}
