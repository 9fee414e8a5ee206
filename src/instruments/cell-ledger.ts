/**
 * What a cell has already received from each instrument file, so that files can be fed to it again
 * and again (an import repeated, a file that grew, a binary file and its text export of the same run,
 * a watcher restarted) and every cycle and spectrum reaches the cell once, in order.
 *
 * Each run is recognised by its first row (run.ts `signature`) and its acquisition start. A new run
 * continues the cell: its first cycle follows the cell's last (EC-Lab counts from 0 in every file), and
 * its clock is placed after the cell's by the acquisition starts, or right after the cell's last sample
 * when a file does not say when it started. A run with spectra and no cycling (a PEIS file) gives its
 * spectra to the cell's latest cycle. The state is plain JSON (zod-checked when read back).
 *
 * Three ways to take a run:
 *   'all'        everything not taken yet, partial cycles included (an import of a finished export);
 *   'completed'  only cycles that are over (a later cycle has begun) with their spectra, and spectra
 *                that rows follow: what a file still being written can be trusted for;
 *   'final'      the file will not grow again: whatever 'completed' held back.
 */
import { z } from 'zod';
import type { CyclingSample } from '../cycling/samples';
import type { Spectrum } from '../eis/spectrum';
import { InstrumentFileError } from './errors';
import type { InstrumentRun, RunSpectrum } from './run';

export type TakeMode = 'all' | 'completed' | 'final';

const sourceSchema = z.object({
  name: z.string(),
  signature: z.string(),
  acquisitionStart: z.string().nullable(),
  /** Cell cycle = EC-Lab cycle + offset. */
  cycleOffset: z.number().int(),
  /** A run without cycling gives all its spectra to this cell cycle. */
  attachCycle: z.number().int().nullable(),
  /** Cell time = file time + offset. */
  timeOffsetS: z.number(),
  /** 'all': rows whose samples were taken. */
  rowsDone: z.number().int().min(0),
  /** 'completed'/'final': the last EC-Lab cycle whose samples were taken (-1: none). */
  cyclesDone: z.number().int(),
  /** The last row of the last spectrum taken (-1: none). */
  spectraDone: z.number().int(),
});
type SourceRecord = z.infer<typeof sourceSchema>;

export const ledgerStateSchema = z.object({
  version: z.literal(1),
  /** The cell's last cycle (0 before any). */
  lastCycle: z.number().int().min(0),
  lastTimeS: z.number().nullable(),
  /** The acquisition start of the cell's first run: cell time 0. */
  originStart: z.string().nullable(),
  sources: z.array(sourceSchema),
  /** Spectra taken per cell cycle (recent cycles), and the cycles whose main spectrum is chosen. */
  sweeps: z.array(z.tuple([z.number().int(), z.number().int()])),
  mainChosen: z.array(z.number().int()),
});
export type LedgerState = z.infer<typeof ledgerStateSchema>;

export type CellSpectrum = {
  readonly cycle: number;
  /** 1, 2, ... in the order the cell's cycle got them. */
  readonly sweep: number;
  /** The cycle's spectrum for R_CAT: the first taken after the cycle's charge (else its first). */
  readonly main: boolean;
  readonly afterCharge: boolean;
  /** Cell time at the first point. */
  readonly startTimeS: number;
  readonly source: string;
  readonly spectrum: Spectrum;
};

export type Taken = {
  /** In cell time and cell cycles, current positive while charging. */
  readonly samples: CyclingSample[];
  readonly spectra: CellSpectrum[];
  /** Cell cycles whose last samples are in `samples` and which are over (not for 'all'). */
  readonly closedCycles: number[];
  readonly warnings: string[];
};

const RECENT = 200;
/** Two acquisition starts this close (ms) are the same run: EC-Lab's binary and text round differently. */
const SAME_START_MS = 2000;

export class CellLedger {
  private state: LedgerState;

  /** A fresh ledger, or one read back with parseLedger. */
  constructor(restored?: LedgerState) {
    this.state = restored ?? {
      version: 1,
      lastCycle: 0,
      lastTimeS: null,
      originStart: null,
      sources: [],
      sweeps: [],
      mainChosen: [],
    };
  }

  toJSON(): LedgerState {
    return this.state;
  }

  get lastCycle(): number {
    return this.state.lastCycle;
  }

  /** Takes from `run` what the cell has not had yet, and records it as taken. */
  take(run: InstrumentRun, mode: TakeMode): Taken {
    const warnings = [...run.warnings];
    if (run.signature === null) return { samples: [], spectra: [], closedCycles: [], warnings };
    const src = this.sourceFor(run, warnings);
    const st = this.state;

    // EC-Lab's cycle numbers only go up within a file: a cycle is over once a later one has begun.
    let maxEc = -1;
    for (const s of run.samples) maxEc = Math.max(maxEc, s.ecCycle);
    for (const s of run.spectra) maxEc = Math.max(maxEc, s.ecCycle);
    const over = (ec: number) => mode !== 'completed' || ec < maxEc;

    const picked =
      mode === 'all'
        ? run.samples.filter((s) => s.row >= src.rowsDone)
        : run.samples.filter((s) => s.ecCycle > src.cyclesDone && over(s.ecCycle));
    const samples: CyclingSample[] = picked.map((s) => ({
      timeS: s.timeS + src.timeOffsetS,
      cycle: s.ecCycle + src.cycleOffset,
      voltageV: s.voltageV,
      currentA: s.currentA,
    }));

    const lastRow = run.rowCount - 1;
    const spectrumReady = (s: RunSpectrum) =>
      s.lastRow > src.spectraDone &&
      (mode !== 'completed' || (src.attachCycle === null ? over(s.ecCycle) : s.lastRow < lastRow));
    const spectra = this.number(
      run.spectra.filter(spectrumReady).map((s) => ({
        cycle: src.attachCycle ?? s.ecCycle + src.cycleOffset,
        afterCharge: s.afterCharge,
        startTimeS: s.startTimeS + src.timeOffsetS,
        source: run.fileName,
        spectrum: s.spectrum,
      })),
    );

    const closedCycles =
      mode === 'all'
        ? []
        : [...new Set(picked.map((s) => s.ecCycle + src.cycleOffset))].sort((a, b) => a - b);
    // Record what was taken.
    if (mode === 'all') src.rowsDone = Math.max(src.rowsDone, run.rowCount);
    for (const s of picked) src.cyclesDone = Math.max(src.cyclesDone, s.ecCycle);
    for (const s of run.spectra.filter(spectrumReady)) src.spectraDone = Math.max(src.spectraDone, s.lastRow);
    for (const s of samples) {
      st.lastCycle = Math.max(st.lastCycle, s.cycle);
      st.lastTimeS = Math.max(st.lastTimeS ?? Number.NEGATIVE_INFINITY, s.timeS);
    }
    for (const s of spectra) st.lastCycle = Math.max(st.lastCycle, s.cycle);
    if (st.sources.length > RECENT) st.sources.splice(0, st.sources.length - RECENT);
    return { samples, spectra, closedCycles, warnings };
  }

  /** The record of the run in `run`, made (and placed after the cell's data) on first sight. */
  private sourceFor(run: InstrumentRun, warnings: string[]): SourceRecord {
    const st = this.state;
    const startMs = run.acquisitionStart === null ? null : Date.parse(`${run.acquisitionStart}Z`);
    const known = st.sources.find(
      (s) =>
        s.signature === run.signature &&
        (startMs === null ||
          s.acquisitionStart === null ||
          Math.abs(Date.parse(`${s.acquisitionStart}Z`) - startMs) <= SAME_START_MS),
    );
    if (known) return known;

    const first = [run.samples[0], run.spectra[0]].filter((x) => x !== undefined);
    const firstEc = Math.min(...first.map((x) => x.ecCycle));
    const t0 = Math.min(
      ...[run.samples[0]?.timeS, run.spectra[0]?.startTimeS].filter((t) => t !== undefined),
    );
    const hasCycling = run.samples.length > 0;
    let timeOffsetS: number;
    if (st.lastTimeS === null && st.sources.length === 0) {
      st.originStart = run.acquisitionStart;
      timeOffsetS = 0;
    } else if (st.originStart !== null && startMs !== null) {
      timeOffsetS = (startMs - Date.parse(`${st.originStart}Z`)) / 1000;
      if (st.lastTimeS !== null && t0 + timeOffsetS <= st.lastTimeS) {
        warnings.push(
          `${run.fileName}: starts (${run.acquisitionStart}) before the cell's last sample; placed right after it`,
        );
        timeOffsetS = st.lastTimeS - t0 + 1;
      }
    } else {
      timeOffsetS = (st.lastTimeS ?? 0) - t0 + 1;
    }
    const record: SourceRecord = {
      name: run.fileName,
      signature: run.signature!,
      acquisitionStart: run.acquisitionStart,
      cycleOffset: hasCycling ? st.lastCycle + 1 - firstEc : 0,
      attachCycle: hasCycling ? null : Math.max(st.lastCycle, 1),
      timeOffsetS,
      rowsDone: 0,
      cyclesDone: -1,
      spectraDone: -1,
    };
    st.sources.push(record);
    return record;
  }

  /** Numbers each cycle's spectra in arrival order and picks each cycle's main one once. */
  private number(list: Omit<CellSpectrum, 'sweep' | 'main'>[]): CellSpectrum[] {
    const st = this.state;
    const sweeps = new Map(st.sweeps);
    const chosen = new Set(st.mainChosen);
    const out: CellSpectrum[] = [];
    for (const cycle of [...new Set(list.map((s) => s.cycle))]) {
      const ofCycle = list.filter((s) => s.cycle === cycle);
      const main = chosen.has(cycle) ? null : (ofCycle.find((s) => s.afterCharge) ?? ofCycle[0]);
      for (const s of ofCycle) {
        const sweep = (sweeps.get(cycle) ?? 0) + 1;
        sweeps.set(cycle, sweep);
        out.push({ ...s, sweep, main: s === main });
      }
      if (main) chosen.add(cycle);
    }
    st.sweeps = [...sweeps].sort((a, b) => a[0] - b[0]).slice(-RECENT);
    st.mainChosen = [...chosen].sort((a, b) => a - b).slice(-RECENT);
    return out;
  }
}

/**
 * A saved ledger, checked. A damaged one is an error, never a fresh start: starting afresh would feed
 * the cell every file again.
 */
export function parseLedger(file: string, text: string): LedgerState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InstrumentFileError(file, null, `not valid JSON: ${(e as Error).message}`);
  }
  const r = ledgerStateSchema.safeParse(json);
  if (!r.success) {
    const why = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InstrumentFileError(file, null, `not a cellrig source ledger (${why})`);
  }
  return r.data;
}
