/**
 * The publisher's on-disk journal: every sample is appended here before it is sent, so a broker, a
 * network or a power cut loses nothing but the last fsync window. Segments of JSON lines
 * (`seg-<first index>.jsonl`), fsynced every `fsyncMs`; a small state file keeps the send cursor and the
 * next seq per stream, so sequence numbers continue across restarts even after old segments are gone.
 * A segment is deleted only when it has been sent and the writer has acknowledged every seq in it, or
 * when it is older than the retention period, or, with an alarm, when the disk budget is exhausted.
 */
import { EventEmitter } from 'node:events';
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../src/clock';

export type JournalRecord = { index: number; key: string; seq: number; topic: string; payload: string };

export type JournalOptions = {
  dir: string;
  clock: Clock;
  /** The power-cut loss window. */
  fsyncMs?: number;
  segmentRecords?: number;
  maxBytes?: number;
  retentionMs?: number;
};

type SeqRange = { min: number; max: number };
type Segment = {
  first: number;
  count: number;
  bytes: number;
  file: string;
  keys: Map<string, SeqRange>;
  lastWriteMs: number;
};

const stateSchema = z.object({
  nextIndex: z.number().int().min(0),
  cursor: z.number().int().min(0),
  nextSeq: z.record(z.string(), z.number().int().min(0)),
});
const recordSchema = z.tuple([
  z.number().int().min(0),
  z.string(),
  z.number().int().min(0),
  z.string(),
  z.string(),
]);
const SEGMENT = /^seg-(\d{12})\.jsonl$/;

export class TelemetryJournal extends EventEmitter {
  readonly stats = { appended: 0, dropped: 0, bytes: 0, segments: 0, full: false };
  /** What recovery found damaged (besides a torn last line, which is expected after a power cut). */
  readonly problems: string[] = [];
  private readonly segments: Segment[] = [];
  private openRecords: JournalRecord[] = [];
  private cache: { first: number; records: JournalRecord[] } | undefined;
  private fd: number | undefined;
  private nextIndexValue = 0;
  private cursorValue = 0;
  private readonly nextSeq = new Map<string, number>();
  private dirty = false;
  private readonly timer: TimerHandle;
  private readonly opts: Required<JournalOptions>;

  constructor(options: JournalOptions) {
    super();
    this.opts = {
      fsyncMs: 200,
      segmentRecords: 20_000,
      maxBytes: 1024 ** 3,
      retentionMs: 30 * 86_400_000,
      ...options,
    };
    mkdirSync(this.opts.dir, { recursive: true });
    this.recover();
    this.timer = this.opts.clock.setInterval(() => {
      try {
        this.sync();
      } catch (err) {
        // A full or failing disk is an alarm for the rig's operator, never a crash of its process.
        this.emit('problem', `telemetry journal: ${(err as Error).message}`);
      }
    }, this.opts.fsyncMs);
  }

  get nextIndex(): number {
    return this.nextIndexValue;
  }
  get firstIndex(): number {
    return this.segments[0]?.first ?? this.nextIndexValue;
  }
  /** The lowest index not yet acknowledged by the broker: sending resumes here after a restart. */
  get cursor(): number {
    return Math.max(this.cursorValue, this.firstIndex);
  }
  set cursor(index: number) {
    this.cursorValue = index;
  }

  peekSeq(key: string): number {
    return this.nextSeq.get(key) ?? 0;
  }

  /** Never issue `seq` or below again for `key` (the writer has it: a lost state file must not rewind). */
  raiseSeq(key: string, seq: number): boolean {
    if (this.peekSeq(key) > seq) return false;
    this.nextSeq.set(key, seq + 1);
    this.dirty = true;
    return true;
  }

  /** The highest seq of each stream still in the journal. */
  lastSeqs(): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.segments) for (const [k, r] of s.keys) out.set(k, Math.max(out.get(k) ?? -1, r.max));
    return out;
  }

  /** Appends a record with the stream's next seq (the payload must carry that seq). */
  append(key: string, seq: number, topic: string, payload: string): JournalRecord {
    if (seq !== this.peekSeq(key))
      throw new Error(`journal: ${key} expects seq ${this.peekSeq(key)}, got ${seq}`);
    let seg = this.segments[this.segments.length - 1];
    if (!seg || this.fd === undefined || seg.count >= this.opts.segmentRecords) seg = this.roll();
    const record: JournalRecord = { index: this.nextIndexValue, key, seq, topic, payload };
    const line = `${JSON.stringify([record.index, key, seq, topic, payload])}\n`;
    writeSync(this.fd as number, line);
    this.nextIndexValue++;
    this.nextSeq.set(key, seq + 1);
    this.openRecords.push(record);
    seg.count++;
    seg.bytes += Buffer.byteLength(line);
    seg.lastWriteMs = this.opts.clock.now();
    extendRange(seg, key, seq);
    this.stats.appended++;
    this.stats.bytes += Buffer.byteLength(line);
    this.dirty = true;
    this.enforceBudget();
    return record;
  }

  /** The record at `index`, or undefined when it was deleted (or not written yet). */
  read(index: number): JournalRecord | undefined {
    const open = this.segments[this.segments.length - 1];
    if (open && index >= open.first && this.fd !== undefined) return this.openRecords[index - open.first];
    const seg = this.segments.find((s) => index >= s.first && index < s.first + s.count);
    if (!seg) return undefined;
    if (this.cache?.first !== seg.first) this.cache = { first: seg.first, records: this.load(seg).records };
    return this.cache.records[index - seg.first];
  }

  /** First index of the oldest segment still holding seq `seq` of `key`, or undefined if none does. */
  findSeq(key: string, seq: number): number | undefined {
    for (const s of this.segments) {
      const r = s.keys.get(key);
      if (r && r.max >= seq) return r.min <= seq ? s.first : undefined;
    }
    return undefined;
  }

  /** Deletes sent segments whose every seq the writer acknowledged, or that outlived the retention. */
  truncate(acked: (key: string) => number): void {
    const now = this.opts.clock.now();
    while (this.segments.length > 1) {
      const s = this.segments[0] as Segment;
      const sent = s.first + s.count <= this.cursor;
      const allAcked = [...s.keys].every(([key, r]) => r.max <= acked(key));
      const expired = now - s.lastWriteMs > this.opts.retentionMs;
      if (!sent || !(allAcked || expired)) return;
      this.dropOldest();
    }
  }

  /** fsync the open segment and persist the cursor and seqs: the end of the loss window. */
  sync(): void {
    if (!this.dirty) return;
    if (this.fd !== undefined) fsyncSync(this.fd);
    this.writeState();
    this.dirty = false;
  }

  close(): void {
    this.opts.clock.clearTimer(this.timer);
    this.dirty = true;
    this.sync();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private roll(): Segment {
    if (this.fd !== undefined) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
    const first = this.nextIndexValue;
    const file = join(this.opts.dir, `seg-${String(first).padStart(12, '0')}.jsonl`);
    this.fd = openSync(file, 'a');
    const seg: Segment = {
      first,
      count: 0,
      bytes: 0,
      file,
      keys: new Map(),
      lastWriteMs: this.opts.clock.now(),
    };
    this.segments.push(seg);
    this.openRecords = [];
    this.stats.segments = this.segments.length;
    return seg;
  }

  private enforceBudget(): void {
    const over = this.stats.bytes > this.opts.maxBytes;
    if (over && !this.stats.full) this.emit('full', this.stats.bytes);
    this.stats.full = over;
    // Keep the newest data: a month-long run's latest cycles matter more than its oldest unsent ones.
    while (this.stats.bytes > this.opts.maxBytes && this.segments.length > 1) {
      this.stats.dropped += (this.segments[0] as Segment).count;
      this.dropOldest();
    }
  }

  private dropOldest(): void {
    const s = this.segments.shift() as Segment;
    // The seqs must survive the segment that proved them, and the state must not run ahead of the disk.
    if (this.fd !== undefined) fsyncSync(this.fd);
    this.writeState();
    unlinkSync(s.file);
    this.stats.bytes -= s.bytes;
    this.stats.segments = this.segments.length;
    if (this.cache?.first === s.first) this.cache = undefined;
  }

  private writeState(): void {
    const file = join(this.opts.dir, 'state.json');
    const state = {
      nextIndex: this.nextIndexValue,
      cursor: this.cursor,
      nextSeq: Object.fromEntries(this.nextSeq),
    };
    const fd = openSync(`${file}.tmp`, 'w');
    try {
      writeSync(fd, JSON.stringify(state));
      fsyncSync(fd); // a power cut must not leave an empty state behind the rename
    } finally {
      closeSync(fd);
    }
    renameSync(`${file}.tmp`, file);
  }

  private load(seg: Segment): { records: JournalRecord[]; goodBytes: number; bad?: string } {
    const text = readFileSync(seg.file, 'utf8');
    const records: JournalRecord[] = [];
    let goodBytes = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let rec: z.infer<typeof recordSchema>;
      try {
        rec = recordSchema.parse(JSON.parse(line));
      } catch {
        return { records, goodBytes, bad: `${seg.file}: line ${records.length + 1} is damaged` };
      }
      records.push({ index: rec[0], key: rec[1], seq: rec[2], topic: rec[3], payload: rec[4] });
      goodBytes += Buffer.byteLength(line) + 1;
    }
    return { records, goodBytes };
  }

  private recover(): void {
    let state: z.infer<typeof stateSchema> | undefined;
    try {
      state = stateSchema.parse(JSON.parse(readFileSync(join(this.opts.dir, 'state.json'), 'utf8')));
    } catch {
      state = undefined;
    }
    for (const [k, v] of Object.entries(state?.nextSeq ?? {})) this.nextSeq.set(k, v);
    this.nextIndexValue = state?.nextIndex ?? 0;
    this.cursorValue = state?.cursor ?? 0;
    const files = readdirSync(this.opts.dir)
      .filter((f) => SEGMENT.test(f))
      .sort();
    for (const [i, name] of files.entries()) {
      const first = Number(SEGMENT.exec(name)?.[1]);
      const seg: Segment = {
        first,
        count: 0,
        bytes: 0,
        file: join(this.opts.dir, name),
        keys: new Map(),
        // Age from the file, so restarts do not keep resetting the retention clock.
        lastWriteMs: Math.min(this.opts.clock.now(), statSync(join(this.opts.dir, name)).mtimeMs),
      };
      const { records, goodBytes, bad } = this.load(seg);
      if (bad) {
        // A torn last line is the power cut's signature: cut it off. Damage elsewhere is reported.
        if (i === files.length - 1) {
          const fd = openSync(seg.file, 'r+');
          ftruncateSync(fd, goodBytes);
          closeSync(fd);
        } else this.problems.push(bad);
      }
      for (const r of records) {
        extendRange(seg, r.key, r.seq);
        this.nextSeq.set(r.key, Math.max(this.nextSeq.get(r.key) ?? 0, r.seq + 1));
      }
      seg.count = records.length;
      seg.bytes = goodBytes;
      this.stats.bytes += goodBytes;
      this.segments.push(seg);
      const stateAhead = this.nextIndexValue > first + records.length;
      this.nextIndexValue = Math.max(this.nextIndexValue, first + records.length);
      // Append to the last segment only when its indices run on; otherwise the next append starts one.
      if (i === files.length - 1 && !stateAhead) {
        this.openRecords = records;
        this.fd = openSync(seg.file, 'a');
      }
    }
    this.stats.segments = this.segments.length;
  }
}

function extendRange(seg: Segment, key: string, seq: number): void {
  const range = seg.keys.get(key);
  if (range) range.max = seq;
  else seg.keys.set(key, { min: seq, max: seq });
}
