/**
 * Runs reviewer cells through `cellrig health --json` (the CLI's own path: files -> cycle summaries and
 * fits -> detectors) and scores each verdict against what the model did. The model's state is used here
 * only, after the verdict: nothing of it is in the files the CLI reads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as health } from '../../../app/cli/health';
import type { CellReport } from '../../../src/cells/analyse';
import { runCli } from '../cli';
import { type Condition, cellsOf } from './matrix';
import { ReviewCell } from './model';
import { writeReviewCell } from './write';

export type Outcome = {
  readonly id: string;
  readonly condition: string;
  readonly kind: Condition['kind'];
  /** Short or growth found in time (shorts: any time from onset; growth: within 15 cycles of +10 %). */
  readonly detected: boolean;
  readonly delay: number | null;
  /** An alert this cell should not have raised (at any time, even if it cleared later). */
  readonly falseAlarm: boolean;
  readonly falseKinds: readonly string[];
  readonly spectra: number;
  readonly notDetermined: number;
  /** R_CAT entries that are neither a finite value with a finite uncertainty nor not-determined with a reason. */
  readonly runaway: number;
};

export const GROWTH_ALLOWANCE_CYCLES = 15;

export async function evaluate(conditions: readonly Condition[], base: number): Promise<Outcome[]> {
  const root = await mkdtemp(join(tmpdir(), 'cellrig-review-'));
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  try {
    const cells = new Map<string, { cell: ReviewCell; condition: Condition }>();
    for (const [k, condition] of conditions.entries()) {
      for (const spec of cellsOf(condition, base + 1000 * k)) {
        const cell = new ReviewCell(spec).run();
        await writeReviewCell(root, cell);
        cells.set(spec.id, { cell, condition });
      }
    }
    const r = await runCli(health, [root, '--json']);
    if (r.code !== 0) throw new Error(`cellrig health exited ${r.code}: ${r.err}`);
    const reports = (JSON.parse(r.out) as { cells: CellReport[] }).cells;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `${reports.length} cells: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU, ${((Date.now() - t0) / 1000).toFixed(1)} s wall`,
    );
    return reports.map((rep) => score(rep, cells.get(rep.id)!.cell, cells.get(rep.id)!.condition));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function score(rep: CellReport, cell: ReviewCell, condition: Condition): Outcome {
  const s = cell.spec;
  const first = (kind: string) => rep.alerts.find((a) => a.kind === kind)?.cycle ?? null;
  const falseKinds: string[] = [];
  let detected = false;
  let delay: number | null = null;
  if (condition.kind === 'healthy') {
    falseKinds.push(...rep.alerts.map((a) => a.kind));
  } else if (condition.kind === 'short') {
    const onset = s.short!.onsetCycle;
    const at = first('soft-short');
    if (at !== null && at < onset) falseKinds.push('soft-short (before onset)');
    if (at !== null && at >= onset) {
      detected = true;
      delay = at - onset;
    }
    for (const a of rep.alerts) if (a.kind === 'resistance-growth') falseKinds.push(a.kind);
  } else {
    const stabilised = cell.rCat25(s.rCat.growthFrom - 1);
    const over = cell.cycles.find((c) => c.rCat25Ohm > 1.1 * stabilised)?.cycle ?? Number.POSITIVE_INFINITY;
    const at = first('resistance-growth');
    if (at !== null && at < s.rCat.growthFrom) falseKinds.push('resistance-growth (before growth)');
    else if (at !== null && at <= over + GROWTH_ALLOWANCE_CYCLES) {
      detected = true;
      delay = at - over;
    }
    for (const a of rep.alerts) if (a.kind === 'soft-short') falseKinds.push(a.kind);
  }
  let runaway = 0;
  let notDetermined = 0;
  for (const e of rep.rcat) {
    if ('notDetermined' in e) {
      notDetermined++;
      if (!(typeof e.notDetermined === 'string' && e.notDetermined.length > 0)) runaway++;
    } else if (
      !(Number.isFinite(e.rCatOhm) && Number.isFinite(e.stderrOhm) && e.rCatOhm > 0 && e.stderrOhm >= 0)
    )
      runaway++;
  }
  return {
    id: rep.id,
    condition: condition.name,
    kind: condition.kind,
    detected,
    delay,
    falseAlarm: falseKinds.length > 0,
    falseKinds,
    spectra: rep.rcat.length,
    notDetermined,
    runaway,
  };
}

export type Row = {
  readonly condition: string;
  readonly cells: number;
  readonly detected: number;
  readonly falseAlarms: number;
  readonly medianDelay: number | null;
  readonly notDeterminedPct: number;
};

export function rows(outcomes: readonly Outcome[]): Row[] {
  const by = new Map<string, Outcome[]>();
  for (const o of outcomes) by.set(o.condition, [...(by.get(o.condition) ?? []), o]);
  return [...by.entries()].map(([condition, os]) => {
    const delays = os.flatMap((o) => (o.delay === null ? [] : [o.delay])).sort((a, b) => a - b);
    const spectra = os.reduce((n, o) => n + o.spectra, 0);
    return {
      condition,
      cells: os.length,
      detected: os.filter((o) => o.detected).length,
      falseAlarms: os.filter((o) => o.falseAlarm).length,
      medianDelay: delays.length ? delays[delays.length >> 1]! : null,
      notDeterminedPct: spectra ? (100 * os.reduce((n, o) => n + o.notDetermined, 0)) / spectra : 0,
    };
  });
}

export function table(rs: readonly Row[]): string {
  const lines = [
    '| condition | cells | detected | false alarms | median delay (cycles) | R_CAT not determined |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rs) {
    const det = r.condition.startsWith('healthy') ? '-' : `${r.detected}/${r.cells}`;
    lines.push(
      `| ${r.condition} | ${r.cells} | ${det} | ${r.falseAlarms}/${r.cells} | ${r.medianDelay ?? '-'} | ${r.notDeterminedPct.toFixed(1)} % |`,
    );
  }
  return lines.join('\n');
}
