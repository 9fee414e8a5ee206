import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InstrumentWatcher, type WatchItem } from '../../../services/instrument-watcher';
import { VirtualClock } from '../../../src/clock';
import { CellMonitor } from '../../../src/health/cell-monitor';
import { globToRegExp } from '../../../src/instruments/glob';
import { readEclab } from '../../support/eclab-data';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cellrig-watch-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A state store in memory, as the node's file would keep it (a JSON round trip). */
function memoryStore() {
  let saved: string | undefined;
  return {
    load: () => (saved === undefined ? undefined : JSON.parse(saved)),
    save: (s: unknown) => {
      saved = JSON.stringify(s);
    },
  };
}

function watcherFor(
  clock: VirtualClock,
  store: ReturnType<typeof memoryStore>,
  items: WatchItem[],
  warnings: string[],
) {
  return new InstrumentWatcher({
    dir,
    pattern: globToRegExp('*.mpt, *.mpr'),
    settleMs: 10_000,
    finishAfterMs: 3_600_000,
    clock,
    store,
    deliver: (item) => {
      items.push(item);
    },
    warn: (m) => warnings.push(m),
  });
}

/**
 * cell-health's core as the receiving end: what it accepts, in order ("3" a cycle, "3/2" a spectrum on
 * its own), and what it turns away as repeats. Fits are skipped (rCatOhm given) to keep this fast.
 */
function cellHealth() {
  const monitor = new CellMonitor();
  const accepted: string[] = [];
  const repeats: string[] = [];
  const take = (item: WatchItem) => {
    const { kind: _k, file: _f, ...payload } = item;
    const out =
      item.kind === 'cycle'
        ? monitor.addCycle({ ...payload, rCatOhm: 30 }, 0)
        : monitor.addSpectrum(payload, 0);
    if ('rejected' in out) repeats.push(out.rejected);
    else accepted.push(item.kind === 'cycle' ? `${item.cycle}` : `${item.cycle}/${item.sweep}`);
  };
  return { take, accepted, repeats };
}

/** The export's text cut into `n` chunks at arbitrary bytes, as an instrument's writes land on a share. */
function chunks(name: string, n: number): Buffer[] {
  const b = readEclab(name);
  const cuts = Array.from({ length: n - 1 }, (_, k) => Math.round(((k + 1) * b.length) / n) + 17);
  return [0, ...cuts, b.length].slice(1).map((end, k, all) => b.subarray(k === 0 ? 0 : all[k - 1]!, end));
}

describe('instrument watcher', () => {
  it('reads a growing export only when settled, hands on each cycle once it is over, the last when finished', async () => {
    const clock = new VirtualClock();
    const items: WatchItem[] = [];
    const warnings: string[] = [];
    const w = watcherFor(clock, memoryStore(), items, warnings);
    const file = join(dir, 'gcpl.pr_182.1.mpt');
    const parts = chunks('gcpl.pr_182.1.mpt', 12);
    const seenAfter: number[][] = [];
    for (const part of parts) {
      await appendFile(file, part);
      await w.pollOnce(); // sees the change
      clock.advance(9_000);
      await w.pollOnce(); // not settled yet: nothing read
      expect(items.length).toBe(seenAfter.flat().length);
      clock.advance(1_000);
      await w.pollOnce(); // settled: read
      seenAfter.push(items.filter((i) => !seenAfter.flat().includes(i.cycle)).map((i) => i.cycle));
    }
    expect(items.map((i) => i.cycle)).toEqual([1, 2, 3, 4]);
    clock.advance(3_600_000);
    await w.pollOnce();
    expect(items.map((i) => i.cycle)).toEqual([1, 2, 3, 4, 5]);
    // Every row of the file in exactly one cycle message (minus nothing: the file has no impedance rows).
    expect(items.reduce((n, i) => n + (i.kind === 'cycle' ? i.timeS.length : 0), 0)).toBe(2533);
    expect(warnings).toEqual([]);
  });

  it('after restarts in the middle, cell-health gets every cycle and spectrum once, in order', async () => {
    const clock = new VirtualClock();
    const store = memoryStore();
    const health = cellHealth();
    const items: WatchItem[] = [];
    const deliver = (item: WatchItem) => {
      items.push(item);
      health.take(item);
    };
    const make = () =>
      new InstrumentWatcher({
        dir,
        settleMs: 10_000,
        finishAfterMs: 3_600_000,
        clock,
        store,
        deliver,
        warn: () => {},
      });
    let w = make();
    const files = [
      { name: 'a_gcpl.pr_182.1.mpt', parts: chunks('gcpl.pr_182.1.mpt', 8) },
      { name: 'b_mb.issue_149.mpt', parts: chunks('mb.issue_149.mpt', 7) },
    ];
    for (const f of files) {
      for (let k = 0; k < f.parts.length; k++) {
        await appendFile(join(dir, f.name), f.parts[k]!);
        if (k === 4) w = make(); // the process restarts (after the poll that sent cycles 1-3 of the first file)
        await w.pollOnce();
        clock.advance(10_000);
        await w.pollOnce();
      }
    }
    clock.advance(3_600_000);
    await w.pollOnce();
    // Five GCPL cycles, then the Modulo Bat cycle with its first charged-state sweep and 15 on their own.
    expect(health.accepted).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      ...Array.from({ length: 15 }, (_, k) => `6/${k + 2}`),
    ]);
    // What the restarts sent again was turned away, nothing else.
    expect(items.length - health.accepted.length).toBe(health.repeats.length);
    expect(health.repeats.every((r) => /duplicate ignored/.test(r))).toBe(true);
    const sweeps = items.flatMap((i) =>
      i.kind === 'cycle' ? (i.spectrum ? [i.spectrum] : []) : [i.spectrum],
    );
    expect(sweeps.every((s) => s.fHz.length === 13 && s.imOhm.every((v) => v < 0))).toBe(true);
    console.log(`restarts: ${health.repeats.length} items sent again and turned away`);
  });

  it('continues a cell from one file to the next, the earlier finished when the later appears', async () => {
    const clock = new VirtualClock();
    const items: WatchItem[] = [];
    const w = watcherFor(clock, memoryStore(), items, []);
    await writeFile(join(dir, 'a_gcpl.mpr'), readEclab('gcpl.issue_149.mpr'));
    await w.pollOnce();
    clock.advance(10_000);
    await w.pollOnce();
    expect(items.map((i) => i.cycle)).toEqual([1, 2, 3]);
    await writeFile(join(dir, 'b_gcpl.mpr'), readEclab('gcpl.pr_182.1.mpr'));
    await w.pollOnce();
    clock.advance(10_000);
    await w.pollOnce();
    expect(items.map((i) => i.cycle)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('warns once, by name and reason, about a file it cannot read, and goes on with the others', async () => {
    const clock = new VirtualClock();
    const items: WatchItem[] = [];
    const warnings: string[] = [];
    const w = watcherFor(clock, memoryStore(), items, warnings);
    await writeFile(join(dir, 'a_broken.mpr'), readEclab('gcpl.issue_149.mpr').subarray(0, 9000));
    await writeFile(join(dir, 'b_good.mpr'), readEclab('gcpl.pr_182.1.mpr'));
    for (let k = 0; k < 3; k++) {
      await w.pollOnce();
      clock.advance(10_000);
    }
    await w.pollOnce();
    expect(warnings).toEqual([
      "a_broken.mpr, byte 7070: module 'VMP data' declares 8003 bytes but only 1865 remain (file truncated or damaged); left out until the file changes",
    ]);
    expect(items.map((i) => `${i.file} ${i.cycle}`)).toEqual([1, 2, 3, 4].map((c) => `b_good.mpr ${c}`));
  });

  it('a batch cut by a crash is finished after the restart without repeating what went out', async () => {
    const clock = new VirtualClock();
    const store = memoryStore();
    const items: WatchItem[] = [];
    const health = cellHealth();
    let crashAfter = 2;
    const crashing = new InstrumentWatcher({
      dir,
      settleMs: 0,
      clock,
      store,
      deliver: (item) => {
        if (crashAfter-- === 0) throw new Error('power cut');
        health.take(item);
      },
      warn: () => {},
    });
    await writeFile(join(dir, 'run.mpr'), readEclab('gcpl.pr_182.1.mpr'));
    await expect(crashing.pollOnce()).rejects.toThrow(/power cut/);
    expect(health.accepted).toEqual(['1', '2']);
    const w = watcherFor(clock, store, items, []);
    await w.pollOnce();
    clock.advance(10_000);
    await w.pollOnce();
    // The interrupted poll is sent again whole; cell-health turns away what it has.
    for (const item of items) health.take(item);
    expect(health.accepted).toEqual(['1', '2', '3', '4']);
    expect(health.repeats).toEqual([
      'cycle 1 again (already past cycle 2): duplicate ignored',
      'cycle 2 again: duplicate ignored',
    ]);
  });
});
