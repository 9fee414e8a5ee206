/**
 * The publisher's on-disk journal: every sample is appended here before it is sent, so a broker, a
 * network or a power cut loses nothing but the last fsync window. Segments of framed records
 * (`seg-<first index>.crj`: length and CRC-32 per record, services/record-framing.ts), fsynced every
 * `fsyncMs`; a small state file keeps the send cursor and the next seq per stream, so sequence numbers
 * continue across restarts even after old segments are gone. Recovery skips a damaged record, keeps
 * every intact one after it and reports what it skipped. A short or failed write is cut off at once and
 * the sample refused, so nothing is ever appended behind torn bytes. Segments of the old JSON-lines
 * format (`seg-*.jsonl`) are still read, line by line, and never appended to.
 * A segment is deleted only when it has been sent and the writer has acknowledged every seq in it, or
 * when it is older than the retention period, or, with an alarm, when the disk budget is exhausted.
 *
 * The periodic fsync runs on libuv's thread pool, not on the calling thread: this journal lives in the
 * process that runs the control loops, and an fsync takes milliseconds on a VM's disk (2.5 ms median,
 * 14 ms p99 measured) and far longer on an SD card, 5 times a second. Only the rare calls (a segment
 * roll, a deleted segment, close, an explicit sync()) still fsync in place.
 */
import { EventEmitter } from 'node:events';
import * as nodeFs from 'node:fs';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../src/clock';
import { frame, unframe } from './record-framing';

export type JournalRecord = { index: number; key: string; seq: number; topic: string; payload: string };

/**
 * The file calls that put bytes on the disk: node:fs by default, a fault-injecting wrapper in tests
 * (a full disk, a short write), which is where such faults surface.
 */
export type JournalFs = Pick<
  typeof nodeFs,
  'openSync' | 'writeSync' | 'fsyncSync' | 'fsync' | 'ftruncateSync' | 'fstatSync' | 'closeSync'
>;

export type JournalOptions = {
  dir: string;
  clock: Clock;
  fs?: JournalFs;
  /** The power-cut loss window. */
  fsyncMs?: number;
  segmentRecords?: number;
  maxBytes?: number;
  retentionMs?: number;
};

type SeqRange = { min: number; max: number };
type Segment = {
  first: number;
  /** Indices first .. first + count - 1 (a damaged record leaves a hole: read() gives undefined). */
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
const SEGMENT = /^seg-(\d{12})\.(jsonl|crj)$/;

/** Records the publisher may send beyond the last fsync: after a power cut the writer may hold at most these. */
export const UNSYNCED_MAX = 1000;
/** Acknowledged records of the open segment let go of at once. */
const FORGET_BATCH = 1000;

export class TelemetryJournal extends EventEmitter {
  readonly stats = { appended: 0, dropped: 0, bytes: 0, segments: 0, full: false, failedWrites: 0 };
  /** What recovery found damaged and skipped (a torn last record after a power cut included). */
  readonly problems: string[] = [];
  private readonly segments: Segment[] = [];
  /**
   * Records of the open segment from index `openFrom` on (holes where recovery skipped a damaged one).
   * Those the broker has acknowledged are let go in batches and read back from the file if a replay asks:
   * a segment holds up to 20,000 records, and keeping them all took the edge process's heap up by about
   * 7 MB in ten minutes of the default flow (bench/panel).
   */
  private openRecords: (JournalRecord | undefined)[] = [];
  private openFrom = 0;
  private cache: { first: number; records: (JournalRecord | undefined)[] } | undefined;
  private fd: number | undefined;
  /** Bytes of the open segment known good: a failed write is cut back to here. */
  private openBytes = 0;
  private nextIndexValue = 0;
  private syncedIndexValue = 0;
  private cursorValue = 0;
  private readonly nextSeq = new Map<string, number>();
  /** Streams whose seq history this journal has (from its state or its segments). */
  private readonly fresh: boolean;
  private dirty = false;
  private closed = false;
  /** A background sync is under way (one at a time). */
  private syncing = false;
  /** Bumped whenever the open segment's fd is closed: a background fsync of it then no longer matters. */
  private fdGeneration = 0;
  /** Each state snapshot's number, and the newest one renamed into place: an older one never follows it. */
  private stateTaken = 0;
  private stateInPlace = 0;
  private readonly timer: TimerHandle;
  private readonly opts: Required<JournalOptions>;
  private readonly fs: JournalFs;

  constructor(options: JournalOptions) {
    super();
    this.opts = {
      fsyncMs: 200,
      segmentRecords: 20_000,
      maxBytes: 1024 ** 3,
      retentionMs: 30 * 86_400_000,
      fs: nodeFs,
      ...options,
    };
    this.fs = this.opts.fs;
    mkdirSync(this.opts.dir, { recursive: true });
    this.fresh = this.recover();
    this.syncedIndexValue = this.nextIndexValue;
    this.timer = this.opts.clock.setInterval(() => this.syncInBackground(), this.opts.fsyncMs);
  }

  get nextIndex(): number {
    return this.nextIndexValue;
  }
  /** Every record below this index is fsynced. */
  get syncedIndex(): number {
    return this.syncedIndexValue;
  }
  get firstIndex(): number {
    return this.segments[0]?.first ?? this.nextIndexValue;
  }
  /** True when recovery found neither a state file nor a segment: a new (or wiped) journal. */
  get isFresh(): boolean {
    return this.fresh;
  }
  /** The lowest index not yet acknowledged by the broker: sending resumes here after a restart. */
  get cursor(): number {
    return Math.max(this.cursorValue, this.firstIndex);
  }
  set cursor(index: number) {
    this.cursorValue = index;
    this.forgetSent();
  }

  /** How many records of the open segment are held in memory (the rest are read from its file). */
  get heldRecords(): number {
    return this.openRecords.length;
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

  /**
   * Appends a record with the stream's next seq (the payload must carry that seq). Throws when the disk
   * refuses it (full, failing, or a short write): then nothing of it stays in the file, no seq or index
   * is used up, and the next append starts on good bytes.
   */
  append(key: string, seq: number, topic: string, payload: string): JournalRecord {
    if (seq !== this.peekSeq(key))
      throw new Error(`journal: ${key} expects seq ${this.peekSeq(key)}, got ${seq}`);
    let seg = this.segments[this.segments.length - 1];
    if (!seg || this.fd === undefined || seg.count >= this.opts.segmentRecords) seg = this.roll();
    const record: JournalRecord = { index: this.nextIndexValue, key, seq, topic, payload };
    const bytes = frame(Buffer.from(JSON.stringify([record.index, key, seq, topic, payload])));
    this.writeRecord(bytes);
    this.nextIndexValue++;
    this.nextSeq.set(key, seq + 1);
    this.openRecords[record.index - this.openFrom] = record;
    seg.count = record.index - seg.first + 1;
    seg.bytes += bytes.length;
    seg.lastWriteMs = this.opts.clock.now();
    extendRange(seg, key, seq);
    this.stats.appended++;
    this.stats.bytes += bytes.length;
    this.dirty = true;
    this.enforceBudget();
    return record;
  }

  /** Writes a whole record at the end of the open segment, or cuts the file back and throws. */
  private writeRecord(bytes: Buffer): void {
    const fd = this.fd as number;
    let written = 0;
    let failure: Error | undefined;
    try {
      written = this.fs.writeSync(fd, bytes, 0, bytes.length, this.openBytes);
      if (written !== bytes.length)
        failure = new Error(`short write (${written} of ${bytes.length} bytes): disk full?`);
    } catch (err) {
      failure = err as Error;
    }
    if (!failure) {
      this.openBytes += bytes.length;
      return;
    }
    this.stats.failedWrites++;
    // Cut the torn bytes off; if even that fails, seal the segment: the next append starts a new one.
    try {
      this.fs.ftruncateSync(fd, this.openBytes);
      if (this.fs.fstatSync(fd).size !== this.openBytes) throw new Error('size after truncate');
    } catch {
      this.seal();
    }
    throw new Error(`sample not journaled: ${failure.message}`);
  }

  /** No more appends to the open segment (its tail may hold torn bytes, which recovery skips). */
  private seal(fsynced = false): void {
    if (this.fd === undefined) return;
    try {
      // The intact records before a failed write still count as synced once a background sync ends.
      if (!fsynced) this.fs.fsyncSync(this.fd);
    } catch {
      // already failing: the segment is given up either way
    }
    try {
      this.fs.closeSync(this.fd);
    } catch {
      // as above
    }
    this.fd = undefined;
    this.fdGeneration++;
    // A copy of this segment read while it was open may lack its last records.
    if (this.cache?.first === this.segments[this.segments.length - 1]?.first) this.cache = undefined;
  }

  /** The record at `index`, or undefined when it was deleted, damaged or not written yet. */
  read(index: number): JournalRecord | undefined {
    const open = this.fd === undefined ? undefined : this.segments[this.segments.length - 1];
    if (open && index >= this.openFrom) {
      // A replay that read the open segment's file has caught up: its copy goes.
      if (this.cache?.first === open.first) this.cache = undefined;
      return this.openRecords[index - this.openFrom];
    }
    const seg = this.segments.find((s) => index >= s.first && index < s.first + s.count);
    if (!seg) return undefined;
    // The open segment's file grows: a copy read before this record was written is read again.
    const stale = seg === open && index - seg.first >= (this.cache?.records.length ?? 0);
    if (this.cache?.first !== seg.first || stale)
      this.cache = { first: seg.first, records: this.load(seg).records };
    return this.cache.records[index - seg.first];
  }

  /** Lets go of the open segment's records below the cursor, a batch at a time (a shift per ack costs more). */
  private forgetSent(): void {
    const sent = Math.min(this.cursor, this.nextIndexValue) - this.openFrom;
    if (sent < FORGET_BATCH) return;
    this.openRecords.splice(0, sent);
    this.openFrom += sent;
  }

  /** First index of the oldest segment still holding seq `seq` of `key`, or undefined if none does. */
  findSeq(key: string, seq: number): number | undefined {
    for (const s of this.segments) {
      const r = s.keys.get(key);
      if (r && r.max >= seq) return r.min <= seq ? s.first : undefined;
    }
    return undefined;
  }

  /**
   * Deletes sent segments whose every seq the writer acknowledged, or that outlived the retention.
   * `acked(key, min, max)`: has the writer every seq of `key` from min to max?
   */
  truncate(acked: (key: string, min: number, max: number) => boolean): void {
    const now = this.opts.clock.now();
    while (this.segments.length > 1) {
      const s = this.segments[0] as Segment;
      const sent = s.first + s.count <= this.cursor;
      const allAcked = [...s.keys].every(([key, r]) => acked(key, r.min, r.max));
      const expired = now - s.lastWriteMs > this.opts.retentionMs;
      if (!sent || !(allAcked || expired)) return;
      this.dropOldest();
    }
  }

  /** fsync the open segment and persist the cursor and seqs, here and now: the end of the loss window. */
  sync(): void {
    if (!this.dirty) return;
    if (this.fd !== undefined) this.fs.fsyncSync(this.fd);
    this.syncedIndexValue = this.nextIndexValue;
    this.writeState();
    this.dirty = false;
  }

  /**
   * What sync() does, on the thread pool: the caller's thread only opens and writes the small state file
   * (page cache) and renames it. Emits `synced` when syncedIndex has moved, `problem` on a disk error
   * (an alarm for the operator, never a crash; the next period tries again).
   */
  syncInBackground(): void {
    if (!this.dirty || this.syncing || this.closed) return;
    const target = this.nextIndexValue;
    const fd = this.fd;
    const fdGeneration = this.fdGeneration;
    const state = this.stateSnapshot();
    this.dirty = false;
    this.syncing = true;
    const finish = (err: Error | null) => {
      this.syncing = false;
      if (err) {
        this.dirty = true;
        if (!this.closed) this.emit('problem', `telemetry journal: ${err.message}`);
        return;
      }
      if (target <= this.syncedIndexValue) return;
      this.syncedIndexValue = target;
      this.emit('synced', target);
    };
    const segmentDone = (err: Error | null) => {
      // An fd closed meanwhile was fsynced as it closed (roll, seal): its records are on the disk.
      if (err && fdGeneration === this.fdGeneration) finish(err);
      else this.writeStateInBackground(state, finish);
    };
    if (fd === undefined) segmentDone(null);
    else this.fs.fsync(fd, segmentDone);
  }

  close(): void {
    this.opts.clock.clearTimer(this.timer);
    this.dirty = true;
    this.sync();
    this.seal();
    this.closed = true;
  }

  private roll(): Segment {
    if (this.fd !== undefined) {
      this.fs.fsyncSync(this.fd); // a failure here refuses the sample that would open the next segment
      this.seal(true);
    }
    const first = this.nextIndexValue;
    const file = join(this.opts.dir, `seg-${String(first).padStart(12, '0')}.crj`);
    this.fd = this.fs.openSync(file, 'a');
    // No record has an index >= nextIndex: any bytes already in this file (a segment sealed by a failed
    // write before its first record) are torn and go.
    if (this.fs.fstatSync(this.fd).size > 0) this.fs.ftruncateSync(this.fd, 0);
    this.openBytes = 0;
    const seg: Segment = {
      first,
      count: 0,
      bytes: 0,
      file,
      keys: new Map(),
      lastWriteMs: this.opts.clock.now(),
    };
    const last = this.segments[this.segments.length - 1];
    // A segment sealed before any record reached it is replaced, not kept as an empty neighbour.
    if (last && last.first === first && last.count === 0) this.segments.pop();
    this.segments.push(seg);
    this.openRecords = [];
    this.openFrom = first;
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
    if (this.fd !== undefined) this.fs.fsyncSync(this.fd);
    this.writeState();
    unlinkSync(s.file);
    this.stats.bytes -= s.bytes;
    this.stats.segments = this.segments.length;
    if (this.cache?.first === s.first) this.cache = undefined;
  }

  private stateSnapshot(): { text: Buffer; number: number } {
    const state = {
      nextIndex: this.nextIndexValue,
      cursor: this.cursor,
      nextSeq: Object.fromEntries(this.nextSeq),
    };
    return { text: Buffer.from(JSON.stringify(state)), number: ++this.stateTaken };
  }

  private writeState(): void {
    const state = this.stateSnapshot();
    const file = join(this.opts.dir, 'state.json');
    const fd = this.writeStateFile(`${file}.tmp`, state.text);
    try {
      this.fs.fsyncSync(fd); // a power cut must not leave an empty state behind the rename
    } finally {
      this.fs.closeSync(fd);
    }
    renameSync(`${file}.tmp`, file);
    this.stateInPlace = state.number;
  }

  /** writeState() with its fsync on the thread pool; a newer state already in place is never replaced. */
  private writeStateInBackground(
    state: { text: Buffer; number: number },
    done: (err: Error | null) => void,
  ): void {
    const file = join(this.opts.dir, 'state.json');
    // Its own temporary name: a sync() meanwhile writes state.json.tmp.
    const tmp = `${file}.bg.tmp`;
    let fd: number;
    try {
      fd = this.writeStateFile(tmp, state.text);
    } catch (err) {
      done(err as Error);
      return;
    }
    this.fs.fsync(fd, (err) => {
      try {
        this.fs.closeSync(fd);
        if (err) throw err;
        if (state.number > this.stateInPlace) {
          renameSync(tmp, file);
          this.stateInPlace = state.number;
        } else unlinkSync(tmp);
      } catch (e) {
        done(e as Error);
        return;
      }
      done(null);
    });
  }

  /** Opens `path` afresh and writes `text` whole into it; the caller fsyncs and closes the fd. */
  private writeStateFile(path: string, text: Buffer): number {
    const fd = this.fs.openSync(path, 'w');
    try {
      if (this.fs.writeSync(fd, text) !== text.length) throw new Error('short write of state.json');
    } catch (err) {
      this.fs.closeSync(fd);
      throw err;
    }
    return fd;
  }

  /** A segment's records by index - first; `damage` describes what was skipped. */
  private load(seg: Segment): {
    records: (JournalRecord | undefined)[];
    goodBytes: number;
    damage: string[];
  } {
    const records: (JournalRecord | undefined)[] = [];
    const damage: string[] = [];
    const keep = (raw: unknown): boolean => {
      const rec = recordSchema.safeParse(raw);
      if (!rec.success || rec.data[0] < seg.first) return false;
      const [index, key, seq, topic, payload] = rec.data;
      records[index - seg.first] = { index, key, seq, topic, payload };
      return true;
    };
    const buf = readFileSync(seg.file);
    if (seg.file.endsWith('.jsonl')) {
      // The old format: one JSON array per line. A bad line is skipped, the lines after it kept.
      let offset = 0;
      for (const line of buf.toString('utf8').split('\n')) {
        let ok = line === '';
        if (!ok) {
          try {
            ok = keep(JSON.parse(line));
          } catch {
            ok = false;
          }
        }
        if (!ok) damage.push(`line at byte ${offset} (${Buffer.byteLength(line)} bytes)`);
        offset += Buffer.byteLength(line) + 1;
      }
      return { records, goodBytes: buf.length, damage };
    }
    const { bodies, damaged, goodEnd } = unframe(buf);
    for (const body of bodies) {
      let ok = false;
      try {
        ok = keep(JSON.parse(body.toString('utf8')));
      } catch {
        ok = false;
      }
      if (!ok) damage.push('a record with a valid checksum but no journal entry in it');
    }
    for (const d of damaged) damage.push(`${d.bytes} bytes at offset ${d.offset}`);
    return { records, goodBytes: goodEnd, damage };
  }

  /** Rebuilds the segments from the disk; true when there was nothing to rebuild from. */
  private recover(): boolean {
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
      const { records, goodBytes, damage } = this.load(seg);
      if (damage.length > 0)
        this.problems.push(
          `telemetry journal ${name}: skipped ${damage.join(', ')}; the records after it are kept`,
        );
      for (const r of records) {
        if (!r) continue;
        extendRange(seg, r.key, r.seq);
        this.nextSeq.set(r.key, Math.max(this.nextSeq.get(r.key) ?? 0, r.seq + 1));
      }
      seg.count = records.length;
      seg.bytes = statSync(seg.file).size;
      this.stats.bytes += seg.bytes;
      this.segments.push(seg);
      const stateAhead = this.nextIndexValue > first + records.length;
      this.nextIndexValue = Math.max(this.nextIndexValue, first + records.length);
      // Append to the last segment only when it is framed and its indices run on; otherwise the next
      // append starts a new one. Damage at its end is cut off first: nothing goes behind torn bytes.
      if (i === files.length - 1 && !stateAhead && name.endsWith('.crj')) {
        this.fd = this.fs.openSync(seg.file, 'r+');
        if (goodBytes < seg.bytes) {
          this.fs.ftruncateSync(this.fd, goodBytes);
          this.stats.bytes -= seg.bytes - goodBytes;
          seg.bytes = goodBytes;
        }
        this.openBytes = goodBytes;
        this.openRecords = records;
        this.openFrom = first;
      }
    }
    this.stats.segments = this.segments.length;
    return state === undefined && files.length === 0;
  }
}

function extendRange(seg: Segment, key: string, seq: number): void {
  const range = seg.keys.get(key);
  if (range) range.max = Math.max(range.max, seq);
  else seg.keys.set(key, { min: seq, max: seq });
}
