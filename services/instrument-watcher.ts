/**
 * Follows a folder where an instrument PC drops or grows its files (usually a network share) and hands
 * every completed cycle and spectrum of one cell on, once, in order.
 *
 * Polling, not file-system events: inotify does not fire for changes made by another machine on an SMB
 * or NFS mount, so the folder is listed and each file stat'ed every `pollMs`. A file is read only once
 * its size and modification time have not changed for `settleMs` (EC-Lab writes in bursts), and then
 * only what is over in it is taken (cell-ledger.ts 'completed': cycles a later cycle has followed,
 * spectra rows have followed), so a half-written cycle or sweep is never judged. A file is final, and
 * its last cycle handed on, when a later file of the pattern has appeared or it has not changed for
 * `finishAfterMs`.
 *
 * State (the ledger, what was delivered, what each file looked like when read) is saved after every
 * delivery, so a restart re-reads what changed and hands on nothing twice: a batch interrupted half-way
 * is taken again from the ledger saved before it, and the items already delivered are skipped.
 * A file that cannot be read is a warning naming it and the reason (once per version of the file); the
 * other files go on.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../src/clock';
import {
  CellLedger,
  type CellSpectrum,
  ledgerStateSchema,
  type TakeMode,
} from '../src/instruments/cell-ledger';
import { InstrumentFileError } from '../src/instruments/errors';
import { readInstrumentRun } from '../src/instruments/index';

export type SpectrumData = { fHz: number[]; reOhm: number[]; imOhm: number[] };

/** What cell-health takes (src/health/cell-monitor.ts): a cycle with its main spectrum, or a spectrum. */
export type WatchItem =
  | {
      kind: 'cycle';
      file: string;
      cycle: number;
      /** The cell's own cycle number, which never restarts: a repeat of it is ignored downstream. */
      cellNumbered: true;
      timeS: number[];
      voltageV: number[];
      currentA: number[];
      sweep?: number;
      spectrum?: SpectrumData;
    }
  | { kind: 'spectrum'; file: string; cycle: number; sweep: number; spectrum: SpectrumData };

export type StateStore = { load(): unknown; save(state: unknown): void };

export type WatcherOptions = {
  readonly dir: string;
  /** Which files in the folder belong to this cell (default: every .mpr and .mpt). */
  readonly pattern?: RegExp;
  readonly pollMs?: number;
  readonly settleMs?: number;
  readonly finishAfterMs?: number;
  readonly clock: Clock;
  readonly store: StateStore;
  /** Hands one item on; the watcher waits for it (a publish to the journal) before marking it done. */
  readonly deliver: (item: WatchItem) => void | Promise<void>;
  readonly warn: (message: string) => void;
  /** Each file read, for a status line. */
  readonly onRead?: (info: { file: string; rows: number; final: boolean; items: number }) => void;
};

export const WATCH_DEFAULTS = { pollMs: 5000, settleMs: 10_000, finishAfterMs: 3_600_000 } as const;

const fileStateSchema = z.object({
  readSize: z.number(),
  readMtimeMs: z.number(),
  final: z.boolean(),
});
const stateSchema = z.object({
  version: z.literal(1),
  ledger: ledgerStateSchema,
  /** Cycles and (cycle, sweep) spectra already handed on, recent ones (for a batch cut by a restart). */
  deliveredCycles: z.array(z.number().int()),
  deliveredSpectra: z.array(z.tuple([z.number().int(), z.number().int()])),
  files: z.record(z.string(), fileStateSchema),
  /**
   * The last poll that handed items on: the ledger before it, the files it read and the items. Node-RED
   * delivers messages asynchronously, so items sent just before a restart may never have arrived; after
   * a restart that poll is read again and its items sent again (cell-health ignores those it has).
   */
  lastPoll: z
    .object({
      ledgerBefore: ledgerStateSchema,
      files: z.array(z.string()),
      cycles: z.array(z.number().int()),
      spectra: z.array(z.tuple([z.number().int(), z.number().int()])),
    })
    .nullable()
    .default(null),
});
type WatchState = z.infer<typeof stateSchema>;
type FileSeen = { size: number; mtimeMs: number; changedAtMs: number; warnedKey: string | null };

const RECENT = 500;

export class InstrumentWatcher {
  private state: WatchState;
  private ledger: CellLedger;
  private readonly seen = new Map<string, FileSeen>();
  private timer: TimerHandle | undefined;
  private stopped = true;
  /** Set by stop(): a poll under way finishes the file it is on and reads no more. */
  private halted = false;
  private polling: Promise<void> | null = null;
  private dirWarned: string | null = null;
  /** What this poll has sent so far (becomes state.lastPoll). */
  private pollRecord: NonNullable<WatchState['lastPoll']> | null = null;
  private readonly pollMs: number;
  private readonly settleMs: number;
  private readonly finishAfterMs: number;
  private readonly pattern: RegExp;

  constructor(private readonly options: WatcherOptions) {
    this.pollMs = options.pollMs ?? WATCH_DEFAULTS.pollMs;
    this.settleMs = options.settleMs ?? WATCH_DEFAULTS.settleMs;
    this.finishAfterMs = options.finishAfterMs ?? WATCH_DEFAULTS.finishAfterMs;
    this.pattern = options.pattern ?? /\.(mpr|mpt)$/i;
    const saved = options.store.load();
    const restored = stateSchema.safeParse(saved);
    if (!restored.success && saved !== undefined) {
      options.warn(`watch state could not be read (${restored.error.issues[0]?.message}); starting afresh`);
    }
    this.state = restored.success
      ? restored.data
      : {
          version: 1,
          ledger: new CellLedger().toJSON(),
          deliveredCycles: [],
          deliveredSpectra: [],
          files: {},
          lastPoll: null,
        };
    this.replayLastPoll();
    this.ledger = new CellLedger(structuredClone(this.state.ledger));
  }

  /** Rewinds to before the last poll that sent anything, so it is read and sent again (see lastPoll). */
  private replayLastPoll(): void {
    const st = this.state;
    const last = st.lastPoll;
    if (!last) return;
    st.ledger = last.ledgerBefore;
    st.deliveredCycles = st.deliveredCycles.filter((c) => !last.cycles.includes(c));
    st.deliveredSpectra = st.deliveredSpectra.filter(
      ([c, k]) => !last.spectra.some(([lc, lk]) => lc === c && lk === k),
    );
    for (const f of last.files) delete st.files[f];
    st.lastPoll = null;
  }

  /** The cell's last cycle handed on (0 before any). */
  get lastCycle(): number {
    return Math.max(0, ...this.state.deliveredCycles);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.halted = false;
    const loop = () => {
      if (this.stopped) return;
      this.polling = this.pollOnce().finally(() => {
        this.polling = null;
        if (!this.stopped) this.timer = this.options.clock.setTimeout(loop, this.pollMs);
      });
    };
    loop();
  }

  /** Stops polling; resolves when a poll under way has finished (and saved). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    this.options.clock.clearTimer(this.timer);
    await this.polling;
  }

  /** One look at the folder: stat every file, read the settled ones that changed, finish the old ones. */
  async pollOnce(): Promise<void> {
    const { dir, clock } = this.options;
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => this.pattern.test(n)).sort();
      this.dirWarned = null;
    } catch (e) {
      const why = (e as Error).message;
      if (this.dirWarned !== why) this.options.warn(`cannot list the folder ${dir} (${why}); will retry`);
      this.dirWarned = why;
      return;
    }
    const now = clock.now();
    this.pollRecord = null;
    for (const name of names) {
      try {
        const st = await stat(join(dir, name));
        if (!st.isFile()) continue;
        const prev = this.seen.get(name);
        if (!prev || prev.size !== st.size || prev.mtimeMs !== st.mtimeMs) {
          this.seen.set(name, {
            size: st.size,
            mtimeMs: st.mtimeMs,
            changedAtMs: now,
            warnedKey: prev?.warnedKey ?? null,
          });
        }
      } catch {
        this.seen.delete(name); // gone between the listing and the stat
      }
    }
    for (let k = 0; k < names.length; k++) {
      if (this.halted) return;
      const name = names[k]!;
      const seen = this.seen.get(name);
      if (!seen) continue;
      // Files are the cell's in name order: a later one waits until this one has settled, so its
      // cycles are numbered after this one's.
      const settled = now - seen.changedAtMs >= this.settleMs;
      if (!settled) return;
      const record = this.state.files[name];
      const changed = !record || record.readSize !== seen.size || record.readMtimeMs !== seen.mtimeMs;
      // A later file of the cell means the instrument moved on: this one will not grow again.
      const laterFile = names.slice(k + 1).some((n) => (this.seen.get(n)?.size ?? 0) > 0);
      const final = laterFile || now - seen.changedAtMs >= this.finishAfterMs;
      if (!changed && (record?.final || !final)) continue;
      if (seen.warnedKey === `${seen.size}:${seen.mtimeMs}:${final}`) continue; // unreadable as it is
      if (record?.final && changed) {
        this.options.warn(
          `${name}: grew after it was taken as finished; new cycles are taken, rows added to its last cycle are not`,
        );
      }
      await this.readFile(name, seen, final);
    }
  }

  private async readFile(name: string, seen: FileSeen, final: boolean): Promise<void> {
    const key = `${seen.size}:${seen.mtimeMs}:${final}`;
    let items: WatchItem[];
    let rows = 0;
    const before = structuredClone(this.ledger.toJSON());
    try {
      const bytes = await readFile(join(this.options.dir, name));
      const run = readInstrumentRun(name, bytes, { growing: !final });
      rows = run.rowCount;
      const mode: TakeMode = final ? 'final' : 'completed';
      const taken = this.ledger.take(run, mode);
      for (const w of taken.warnings) this.options.warn(w);
      items = itemsOf(name, taken.closedCycles, taken.samples, taken.spectra);
    } catch (e) {
      this.ledger = new CellLedger(before);
      if (seen.warnedKey !== key) {
        const why = e instanceof InstrumentFileError ? e.message : `${name}: ${(e as Error).message}`;
        this.options.warn(`${why}; left out until the file changes`);
        seen.warnedKey = key;
      }
      return;
    }
    // Hand each item on, remembering it at once; the ledger is saved only when all are on their way.
    let delivered = 0;
    if (items.length > 0) {
      this.pollRecord ??= { ledgerBefore: before, files: [], cycles: [], spectra: [] };
      this.pollRecord.files.push(name);
      for (const item of items) {
        if (item.kind === 'cycle') this.pollRecord.cycles.push(item.cycle);
        if (item.kind === 'spectrum' || item.sweep !== undefined)
          this.pollRecord.spectra.push([item.cycle, item.sweep!]);
      }
      this.state.lastPoll = this.pollRecord;
    }
    for (const item of items) {
      if (this.wasDelivered(item)) continue;
      await this.options.deliver(item);
      this.markDelivered(item);
      this.save();
      delivered++;
    }
    this.state.ledger = structuredClone(this.ledger.toJSON());
    this.state.files[name] = { readSize: seen.size, readMtimeMs: seen.mtimeMs, final };
    this.save();
    this.options.onRead?.({ file: name, rows, final, items: delivered });
  }

  private wasDelivered(item: WatchItem): boolean {
    if (item.kind === 'cycle') return this.state.deliveredCycles.includes(item.cycle);
    return this.state.deliveredSpectra.some(([c, s]) => c === item.cycle && s === item.sweep);
  }

  private markDelivered(item: WatchItem): void {
    const st = this.state;
    if (item.kind === 'cycle') {
      st.deliveredCycles.push(item.cycle);
      if (item.sweep !== undefined) st.deliveredSpectra.push([item.cycle, item.sweep]);
    } else st.deliveredSpectra.push([item.cycle, item.sweep]);
    if (st.deliveredCycles.length > RECENT) st.deliveredCycles.splice(0, st.deliveredCycles.length - RECENT);
    if (st.deliveredSpectra.length > RECENT)
      st.deliveredSpectra.splice(0, st.deliveredSpectra.length - RECENT);
  }

  private save(): void {
    this.options.store.save(this.state);
  }
}

const plain = (s: CellSpectrum['spectrum']): SpectrumData => ({
  fHz: Array.from(s.fHz),
  reOhm: Array.from(s.reOhm),
  imOhm: Array.from(s.imOhm),
});

/** Cycles in order, each with its main spectrum, then that cycle's other spectra; lone spectra by cycle. */
function itemsOf(
  file: string,
  closed: readonly number[],
  samples: readonly { cycle: number; timeS: number; voltageV: number; currentA: number }[],
  spectra: readonly CellSpectrum[],
): WatchItem[] {
  const cycles = [...new Set([...closed, ...spectra.map((s) => s.cycle)])].sort((a, b) => a - b);
  const items: WatchItem[] = [];
  for (const cycle of cycles) {
    const ofCycle = spectra.filter((s) => s.cycle === cycle);
    const main = closed.includes(cycle) ? ofCycle.find((s) => s.main) : undefined;
    if (closed.includes(cycle)) {
      const own = samples.filter((s) => s.cycle === cycle);
      items.push({
        kind: 'cycle',
        file,
        cycle,
        cellNumbered: true,
        timeS: own.map((s) => s.timeS),
        voltageV: own.map((s) => s.voltageV),
        currentA: own.map((s) => s.currentA),
        ...(main ? { sweep: main.sweep, spectrum: plain(main.spectrum) } : {}),
      });
    }
    for (const s of ofCycle) {
      if (s === main) continue;
      items.push({ kind: 'spectrum', file, cycle, sweep: s.sweep, spectrum: plain(s.spectrum) });
    }
  }
  return items;
}
