import * as fs from 'node:fs';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HEADER_BYTES, unframe } from '../../../services/record-framing';
import { TelemetryJournal } from '../../../services/telemetry-journal';
import { VirtualClock } from '../../../src/clock';
import { ContiguousWatermark, MAX_GAPS, MAX_HOLES } from '../../../src/telemetry/watermark';
import { FaultyDisk } from '../../support/faulty-disk';

const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cellrig-journal-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fill(j: TelemetryJournal, key: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const seq = j.peekSeq(key);
    j.append(key, seq, `cellrig/v1/r/${key}`, JSON.stringify({ seq }));
  }
}

describe('telemetry journal', () => {
  it('continues every stream seq and the send cursor after a restart', () => {
    const dir = newDir();
    const clock = new VirtualClock();
    const a = new TelemetryJournal({ dir, clock, segmentRecords: 10 });
    fill(a, 'ch1/pressure', 25);
    fill(a, 'ch2/pressure', 3);
    a.cursor = 12;
    a.close();
    const b = new TelemetryJournal({ dir, clock, segmentRecords: 10 });
    expect(b.peekSeq('ch1/pressure')).toBe(25);
    expect(b.peekSeq('ch2/pressure')).toBe(3);
    expect(b.cursor).toBe(12);
    expect(b.read(12)).toMatchObject({ key: 'ch1/pressure', seq: 12 });
    expect(b.read(27)).toMatchObject({ key: 'ch2/pressure', seq: 2 });
    b.close();
  });

  it('cuts off a torn last record (a power cut mid-write), reports it, and appends on good bytes', () => {
    const dir = newDir();
    const clock = new VirtualClock();
    const a = new TelemetryJournal({ dir, clock });
    fill(a, 'ch1/pressure', 5);
    a.close();
    const seg = readdirSync(dir).find((f) => f.startsWith('seg-')) as string;
    const whole = readFileSync(join(dir, seg));
    appendFileSync(join(dir, seg), whole.subarray(0, 20)); // the first 20 bytes of a record
    const b = new TelemetryJournal({ dir, clock });
    expect(b.nextIndex).toBe(5);
    expect(b.problems).toEqual([expect.stringMatching(/skipped 20 bytes at offset \d+/)]);
    fill(b, 'ch1/pressure', 1);
    b.close();
    const c = new TelemetryJournal({ dir, clock });
    expect(c.problems).toEqual([]);
    expect([0, 1, 2, 3, 4, 5].map((i) => c.read(i)?.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    c.close();
  });

  it('skips an overwritten record and keeps every intact one after it', () => {
    const dir = newDir();
    const clock = new VirtualClock();
    const a = new TelemetryJournal({ dir, clock });
    fill(a, 'ch1/pressure', 200);
    a.close();
    const seg = join(dir, readdirSync(dir).find((f) => f.startsWith('seg-')) as string);
    const bytes = readFileSync(seg);
    bytes.fill(0x41, 3000, 3040); // 40 bytes of one record (or two) overwritten
    writeFileSync(seg, bytes);
    const b = new TelemetryJournal({ dir, clock });
    const kept = Array.from({ length: 200 }, (_, i) => b.read(i)?.seq).filter((s) => s !== undefined);
    expect(kept.length).toBeGreaterThanOrEqual(198);
    expect(kept.at(-1)).toBe(199);
    expect(b.problems).toEqual([
      expect.stringMatching(/skipped \d+ bytes at offset \d+.*records after it are kept/),
    ]);
    expect(b.peekSeq('ch1/pressure')).toBe(200);
    b.close();
  });

  it('still reads a journal of the old JSON-lines format, past a damaged line, and appends in the framed one', () => {
    const dir = newDir();
    const lines = Array.from({ length: 6 }, (_, i) =>
      JSON.stringify([i, 'ch1/pressure', i, 'cellrig/v1/r/ch1/pressure', JSON.stringify({ seq: i })]),
    );
    lines[2] = '[2,"ch1/pre'; // damaged in the middle
    writeFileSync(join(dir, 'seg-000000000000.jsonl'), `${lines.join('\n')}\n`);
    writeFileSync(
      join(dir, 'state.json'),
      JSON.stringify({ nextIndex: 6, cursor: 1, nextSeq: { 'ch1/pressure': 6 } }),
    );
    const j = new TelemetryJournal({ dir, clock: new VirtualClock() });
    expect([0, 1, 2, 3, 4, 5].map((i) => j.read(i)?.seq)).toEqual([0, 1, undefined, 3, 4, 5]);
    expect(j.problems).toEqual([expect.stringMatching(/seg-000000000000.jsonl: skipped line at byte/)]);
    expect(j.cursor).toBe(1);
    fill(j, 'ch1/pressure', 2);
    j.close();
    expect(
      readdirSync(dir)
        .filter((f) => f.startsWith('seg-'))
        .sort(),
    ).toEqual(['seg-000000000000.jsonl', 'seg-000000000006.crj']);
    const again = new TelemetryJournal({ dir, clock: new VirtualClock() });
    expect(again.read(7)).toMatchObject({ seq: 7 });
    again.close();
  });

  it('deletes a segment only once it is sent and the writer acknowledged every seq in it', () => {
    const dir = newDir();
    const clock = new VirtualClock();
    const j = new TelemetryJournal({ dir, clock, segmentRecords: 10 });
    fill(j, 'ch1/pressure', 30); // three segments
    j.truncate(() => true);
    expect(j.firstIndex).toBe(0); // nothing sent yet
    j.cursor = 30;
    j.truncate((key, _min, max) => key === 'ch1/pressure' && max <= 14);
    expect(j.firstIndex).toBe(10); // seqs 0..9 acknowledged, 10..19 not all
    expect(j.findSeq('ch1/pressure', 15)).toBe(10);
    expect(j.findSeq('ch1/pressure', 3)).toBeUndefined();
    j.truncate((_key, _min, max) => max <= 29);
    expect(j.firstIndex).toBe(20); // the open segment stays
    j.close();
    // The seqs survive the segments that held them.
    const again = new TelemetryJournal({ dir, clock, segmentRecords: 10 });
    expect(again.peekSeq('ch1/pressure')).toBe(30);
    again.close();
  });

  it('raises an alarm and keeps the newest data when the disk budget is spent', () => {
    const j = new TelemetryJournal({
      dir: newDir(),
      clock: new VirtualClock(),
      segmentRecords: 10,
      maxBytes: 2000,
    });
    const alarms: number[] = [];
    j.on('full', (bytes: number) => alarms.push(bytes));
    fill(j, 'ch1/pressure', 100);
    expect(alarms.length).toBeGreaterThanOrEqual(1);
    expect(j.stats.bytes).toBeLessThanOrEqual(2000 + 100);
    expect(j.stats.dropped).toBeGreaterThan(0);
    expect(j.read(j.nextIndex - 1)).toMatchObject({ seq: 99 });
    j.close();
  });

  it('holds only the unacknowledged records of the open segment, and reads sent ones back from the file', () => {
    const dir = newDir();
    const j = new TelemetryJournal({ dir, clock: new VirtualClock() });
    fill(j, 'ch1/pressure', 5000);
    expect(j.heldRecords).toBe(5000); // nothing acknowledged yet
    j.cursor = 4500;
    expect(j.heldRecords).toBe(500);
    // A replay from an older seq (the writer missed it) reads the file; the records after it still come
    // from memory, and appends go on.
    expect([0, 1, 2499, 4499, 4500, 4999].map((i) => j.read(i)?.seq)).toEqual([0, 1, 2499, 4499, 4500, 4999]);
    fill(j, 'ch1/pressure', 10);
    expect(j.read(4499)).toMatchObject({ seq: 4499, topic: 'cellrig/v1/r/ch1/pressure' });
    expect(j.read(5009)).toMatchObject({ seq: 5009 });
    j.cursor = 4800; // fewer than a batch more acknowledged: held until a batch is
    expect(j.heldRecords).toBe(510);
    j.close();
    const again = new TelemetryJournal({ dir, clock: new VirtualClock() });
    expect(again.cursor).toBe(4800);
    expect([0, 4499, 5009].map((i) => again.read(i)?.seq)).toEqual([0, 4499, 5009]);
    again.close();
  });

  it('reads a segment closed after part of it was read back complete', () => {
    const j = new TelemetryJournal({ dir: newDir(), clock: new VirtualClock(), segmentRecords: 3000 });
    fill(j, 'ch1/pressure', 2000);
    j.cursor = 2000;
    expect(j.read(10)?.seq).toBe(10); // the open segment's file, as it was then
    fill(j, 'ch1/pressure', 1500); // the segment fills up with 1000 more, the next one opens
    j.cursor = 1500;
    expect([2500, 2999, 3000, 3499].map((i) => j.read(i)?.seq)).toEqual([2500, 2999, 3000, 3499]);
    j.close();
  });

  it('refuses a seq out of order', () => {
    const j = new TelemetryJournal({ dir: newDir(), clock: new VirtualClock() });
    expect(() => j.append('k', 3, 't', '{}')).toThrow(/expects seq 0/);
    j.close();
  });
});

describe('contiguous watermark', () => {
  it('advances over a gap only once the gap is filled, and spots duplicates', () => {
    const w = new ContiguousWatermark();
    expect([0, 1, 3, 4].map((s) => w.add(s))).toEqual([true, true, true, true]);
    expect(w.mark).toBe(1);
    expect(w.waiting).toBe(2);
    expect(w.add(1)).toBe(false);
    expect(w.add(2)).toBe(true);
    expect(w.mark).toBe(4);
    expect(w.waiting).toBe(0);
  });
});

describe('telemetry journal after a power cut', () => {
  it('starts a new segment when the saved state is ahead of what reached the disk', () => {
    const dir = newDir();
    const clock = new VirtualClock();
    const a = new TelemetryJournal({ dir, clock });
    fill(a, 'ch1/pressure', 8);
    a.close();
    // The last three records never reached the disk, but state.json (written later) counts them.
    const seg = join(dir, readdirSync(dir).find((f) => f.startsWith('seg-')) as string);
    const { bodies } = unframe(readFileSync(seg));
    const five = bodies.slice(0, 5).reduce((n, b) => n + HEADER_BYTES + b.length, 0);
    writeFileSync(seg, readFileSync(seg).subarray(0, five));
    const b = new TelemetryJournal({ dir, clock });
    expect(b.nextIndex).toBe(8);
    expect(b.peekSeq('ch1/pressure')).toBe(8); // the lost seqs are never issued again
    fill(b, 'ch1/pressure', 2);
    expect(b.read(8)).toMatchObject({ index: 8, seq: 8 });
    expect(b.read(9)).toMatchObject({ index: 9, seq: 9 });
    expect(b.read(4)).toMatchObject({ index: 4, seq: 4 });
    expect(b.read(6)).toBeUndefined();
    expect(b.lastSeqs().get('ch1/pressure')).toBe(9);
    b.close();
  });

  it('never reissues a seq the writer already has, even when its own state was lost', () => {
    const j = new TelemetryJournal({ dir: newDir(), clock: new VirtualClock() });
    expect(j.raiseSeq('ch1/pressure', 41)).toBe(true);
    expect(j.peekSeq('ch1/pressure')).toBe(42);
    expect(j.raiseSeq('ch1/pressure', 10)).toBe(false);
    j.close();
  });
});

/** node:fs with every call counted, and the background fsync able to fail or to be held back. */
class CountingDisk extends FaultyDisk {
  readonly calls = { fsyncSync: 0, fsync: 0 };
  failNextFsync = false;
  held: (() => void)[] = [];
  hold = false;
  override fsyncSync = ((fd: number) => {
    this.calls.fsyncSync++;
    fs.fsyncSync(fd);
  }) as typeof fs.fsyncSync;
  override fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    this.calls.fsync++;
    const run = () => {
      if (this.failNextFsync) {
        this.failNextFsync = false;
        cb(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
      } else fs.fsync(fd, cb);
    };
    if (this.hold) this.held.push(run);
    else run();
  }) as typeof fs.fsync;
}

const synced = (j: TelemetryJournal) => new Promise<number>((resolve) => j.once('synced', resolve));
const savedState = (dir: string) => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));

/** A journal syncing every 200 ms on a CountingDisk, with the problems it reports. */
function onCountingDisk() {
  const dir = newDir();
  const clock = new VirtualClock();
  const disk = new CountingDisk();
  const j = new TelemetryJournal({ dir, clock, fs: disk, fsyncMs: 200 });
  const problems: string[] = [];
  j.on('problem', (m: string) => problems.push(m));
  return { dir, clock, disk, j, problems };
}

describe('telemetry journal, periodic fsync off the calling thread', () => {
  it('fsyncs on the thread pool each period, and only then counts the records as synced', async () => {
    const { dir, clock, disk, j } = onCountingDisk();
    for (let period = 1; period <= 5; period++) {
      fill(j, 'ch1/pressure', 7);
      const done = synced(j);
      clock.advance(200);
      expect(j.syncedIndex).toBe(7 * (period - 1)); // not yet: the fsync is still out
      expect(await done).toBe(7 * period);
      expect(j.syncedIndex).toBe(7 * period);
      expect(savedState(dir)).toMatchObject({
        nextIndex: 7 * period,
        nextSeq: { 'ch1/pressure': 7 * period },
      });
    }
    // Segment and state file each period, none of it on this thread.
    expect(disk.calls).toEqual({ fsyncSync: 0, fsync: 10 });
    j.close();
  });

  it('reports a failed fsync, keeps the old synced index, and succeeds on the next period', async () => {
    const { clock, disk, j, problems } = onCountingDisk();
    fill(j, 'ch1/pressure', 5);
    disk.failNextFsync = true;
    clock.advance(200);
    await new Promise((r) => setImmediate(r));
    expect(problems).toEqual([expect.stringMatching(/telemetry journal: EIO/)]);
    expect(j.syncedIndex).toBe(0);
    const done = synced(j);
    clock.advance(200);
    expect(await done).toBe(5);
    j.close();
  });

  it('never puts an older state in place of one a sync() wrote while the background one was out', async () => {
    const { dir, clock, disk, j } = onCountingDisk();
    fill(j, 'ch1/pressure', 3);
    disk.hold = true;
    clock.advance(200); // the background sync takes its snapshot at 3 records and waits on the disk
    fill(j, 'ch1/pressure', 4);
    disk.hold = false;
    j.sync(); // here and now, at 7
    expect(savedState(dir)).toMatchObject({ nextIndex: 7 });
    for (const run of disk.held.splice(0)) run();
    await new Promise((r) => setTimeout(r, 50));
    for (const run of disk.held.splice(0)) run(); // the state file's own fsync, held too
    await new Promise((r) => setTimeout(r, 50));
    expect(savedState(dir)).toMatchObject({ nextIndex: 7, nextSeq: { 'ch1/pressure': 7 } });
    expect(j.syncedIndex).toBe(7);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    j.close();
  });

  it('closes with everything synced while a background fsync is still out, and says nothing after', async () => {
    const { dir, clock, disk, j, problems } = onCountingDisk();
    fill(j, 'ch1/pressure', 3);
    disk.hold = true;
    clock.advance(200);
    fill(j, 'ch1/pressure', 2);
    disk.hold = false;
    j.close();
    rmSync(dir, { recursive: true, force: true }); // the folder gone before the held fsync returns
    disk.failNextFsync = true;
    for (const run of disk.held.splice(0)) run();
    await new Promise((r) => setTimeout(r, 50));
    expect(problems).toEqual([]);
    expect(j.syncedIndex).toBe(5);
  });
});

describe('telemetry journal on a full disk', () => {
  it('refuses the sample of a short write, cuts the torn bytes off, and loses nothing before or after', () => {
    const dir = newDir();
    const clock = new VirtualClock();
    const disk = new FaultyDisk();
    const j = new TelemetryJournal({ dir, clock, fs: disk });
    fill(j, 'ch1/pressure', 50);
    j.sync();
    disk.room = 30; // the next record fits only in part
    expect(() => fill(j, 'ch1/pressure', 1)).toThrow(/sample not journaled: short write \(30 of \d+ bytes\)/);
    expect(() => fill(j, 'ch1/pressure', 1)).toThrow(/ENOSPC/);
    expect(disk.shortWrites).toBe(1);
    expect(j.peekSeq('ch1/pressure')).toBe(50); // no seq used up by what was refused
    disk.free();
    fill(j, 'ch1/pressure', 50);
    j.close();
    const again = new TelemetryJournal({ dir, clock });
    expect(again.problems).toEqual([]); // no torn bytes were left behind
    expect(Array.from({ length: 100 }, (_, i) => again.read(i)?.seq)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    again.close();
  });

  it('starts a new segment when the torn bytes cannot even be cut off', () => {
    const dir = newDir();
    const clock = new VirtualClock();
    const disk = new FaultyDisk();
    const j = new TelemetryJournal({ dir, clock, fs: disk });
    fill(j, 'ch1/pressure', 10);
    disk.room = 7;
    const truncate = disk.ftruncateSync;
    disk.ftruncateSync = () => {
      throw Object.assign(new Error('EIO'), { code: 'EIO' });
    };
    expect(() => fill(j, 'ch1/pressure', 1)).toThrow(/short write/);
    disk.ftruncateSync = truncate;
    disk.free();
    fill(j, 'ch1/pressure', 10);
    j.close();
    const again = new TelemetryJournal({ dir, clock });
    // The torn 7 bytes are at the end of the first segment: reported, skipped, nothing lost around them.
    expect(again.problems).toEqual([expect.stringMatching(/skipped 7 bytes/)]);
    expect(Array.from({ length: 20 }, (_, i) => again.read(i)?.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('seg-'))).toHaveLength(2);
    again.close();
  });
});

describe('contiguous watermark, bounded', () => {
  it('holds 5 million seqs above a hole in one range, passes the hole on demand, and never moves back', () => {
    const w = new ContiguousWatermark();
    w.add(0);
    for (let s = 2; s <= 5_000_001; s++) w.add(s);
    expect(w.mark).toBe(0);
    expect(w.holes).toBe(1);
    expect(w.waiting).toBe(5_000_000);
    expect(w.passHole()).toEqual([1, 1]);
    expect(w.mark).toBe(5_000_001);
    expect(w.gaps).toEqual([[1, 1]]);
    expect(w.classify(1)).toBe('late');
    expect(w.add(1)).toBe(true); // a late sample fills the gap
    expect(w.gaps).toEqual([]);
    w.raiseTo(10);
    expect(w.mark).toBe(5_000_001);
  });

  it('passes the lowest hole when there are more than MAX_HOLES, so memory stays bounded', () => {
    const w = new ContiguousWatermark();
    for (let s = 1; s <= 2 * (MAX_HOLES + 10); s += 2) w.add(s); // every other seq missing
    expect(w.holes).toBe(MAX_HOLES);
    expect(w.passedGaps).toBe(10);
    expect(w.gaps.length).toBeLessThanOrEqual(MAX_GAPS);
    const again = new ContiguousWatermark(w.state);
    expect(again.state).toEqual(w.state);
  });
});
