import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TelemetryJournal } from '../../../services/telemetry-journal';
import { VirtualClock } from '../../../src/clock';
import { ContiguousWatermark } from '../../../src/telemetry/watermark';

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

  it('cuts off a torn last line (a power cut mid-write) and keeps the rest', () => {
    const dir = newDir();
    const clock = new VirtualClock();
    const a = new TelemetryJournal({ dir, clock });
    fill(a, 'ch1/pressure', 5);
    a.close();
    const seg = readdirSync(dir).find((f) => f.startsWith('seg-')) as string;
    appendFileSync(join(dir, seg), '[5,"ch1/pressure",5,"cellrig/v1/r/ch1/pre');
    const b = new TelemetryJournal({ dir, clock });
    expect(b.nextIndex).toBe(5);
    expect(b.peekSeq('ch1/pressure')).toBe(5);
    fill(b, 'ch1/pressure', 1);
    b.close();
    const lines = readFileSync(join(dir, seg), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[5] as string)[2]).toBe(5);
  });

  it('deletes a segment only once it is sent and the writer acknowledged every seq in it', () => {
    const dir = newDir();
    const clock = new VirtualClock();
    const j = new TelemetryJournal({ dir, clock, segmentRecords: 10 });
    fill(j, 'ch1/pressure', 30); // three segments
    j.truncate(() => 100);
    expect(j.firstIndex).toBe(0); // nothing sent yet
    j.cursor = 30;
    j.truncate((key) => (key === 'ch1/pressure' ? 14 : -1));
    expect(j.firstIndex).toBe(10); // seqs 0..9 acknowledged, 10..19 not all
    expect(j.findSeq('ch1/pressure', 15)).toBe(10);
    expect(j.findSeq('ch1/pressure', 3)).toBeUndefined();
    j.truncate(() => 29);
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
    // The last three lines never reached the disk, but state.json (written later) counts them.
    const seg = readdirSync(dir).find((f) => f.startsWith('seg-')) as string;
    const lines = readFileSync(join(dir, seg), 'utf8').split('\n').slice(0, 5);
    writeFileSync(join(dir, seg), `${lines.join('\n')}\n`);
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
