/**
 * The writer's dead letters, kept on disk: what it could not write (a payload that fails its stream's
 * schema, or a line InfluxDB refused), with the reason, so nothing it gives up on is gone. Framed
 * records (services/record-framing.ts) in `letters-<n>.crj` files; a replay appends a `replayed`
 * record naming the letters it wrote, so a letter is replayed once. Letters are written and fsynced by
 * sync(), which the writer calls before it acknowledges any seq a letter settled; until a sync succeeds
 * they stay queued (a failed write is cut off and tried again), so a flood of bad messages costs one
 * write a second, not one per letter. A byte budget bounds it: a full store refuses
 * new letters (append returns undefined) and the writer holds instead of giving data up.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { frame, unframe } from './record-framing';

export const deadLetterRecordSchema = z.object({
  id: z.number().int().min(0),
  ts: z.number(),
  /** Where it was refused: by the stream's schema, or by InfluxDB. */
  stage: z.enum(['decode', 'influx']),
  rig: z.string(),
  topic: z.string(),
  error: z.string(),
  /** decode: the MQTT payload (or one sample of a batch); influx: the line of line protocol. */
  payload: z.string(),
  /** The payload was longer than the writer accepts and is kept only in part (never replayable). */
  truncated: z.boolean().optional(),
  seq: z.number().int().optional(),
});
export type DeadLetterRecord = z.infer<typeof deadLetterRecordSchema>;

const replayedSchema = z.object({ replayed: z.array(z.number().int()), ts: z.number() });
const FILE = /^letters-(\d{6})\.crj$/;
const FILE_BYTES = 16 * 1024 * 1024;
/** Payload bytes kept of a letter larger than the writer accepts anyway. */
const KEEP_OF_OVERSIZED = 1024;

export type DeadLetterStoreOptions = { dir: string; maxBytes?: number; maxPayloadBytes?: number };

export class DeadLetterStore {
  private fd: number | undefined;
  private fileNo = 0;
  private fileBytes = 0;
  private nextId = 0;
  private bytes = 0;
  private dirty = false;
  /** Framed letters appended since the last sync. */
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private readonly maxBytes: number;
  private readonly maxPayloadBytes: number;
  /** Letters kept and not yet replayed. */
  private openCount = 0;
  /** What the last open found damaged. */
  readonly problems: string[] = [];

  constructor(private readonly options: DeadLetterStoreOptions) {
    this.maxBytes = options.maxBytes ?? 256 * 1024 ** 2;
    this.maxPayloadBytes = options.maxPayloadBytes ?? 64 * 1024;
    mkdirSync(options.dir, { recursive: true });
    const { letters, replayed } = this.readAll();
    for (const l of letters) this.nextId = Math.max(this.nextId, l.id + 1);
    this.openCount = letters.filter((l) => !replayed.has(l.id)).length;
  }

  /** Letters kept and not replayed. */
  get count(): number {
    return this.openCount;
  }
  get sizeBytes(): number {
    return this.bytes;
  }
  get full(): boolean {
    return this.bytes + this.queuedBytes >= this.maxBytes;
  }

  /** Appends a letter (not yet fsynced: see sync); undefined when the store is full or the disk fails. */
  append(letter: Omit<DeadLetterRecord, 'id' | 'truncated'>): DeadLetterRecord | undefined {
    if (this.full) return undefined;
    const oversized = Buffer.byteLength(letter.payload) > this.maxPayloadBytes;
    const record: DeadLetterRecord = {
      ...letter,
      id: this.nextId,
      ...(oversized ? { payload: letter.payload.slice(0, KEEP_OF_OVERSIZED), truncated: true } : {}),
    };
    const bytes = frame(Buffer.from(JSON.stringify(record)));
    if (this.bytes + this.queuedBytes + bytes.length > this.maxBytes) return undefined;
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    this.nextId++;
    this.openCount++;
    return record;
  }

  /** Marks letters as replayed (written to InfluxDB); fsynced at once. */
  markReplayed(ids: number[]): void {
    if (ids.length === 0) return;
    if (!this.write(frame(Buffer.from(JSON.stringify({ replayed: ids, ts: Date.now() }))), true))
      throw new Error('dead-letter store: cannot record the replay (disk full?)');
    this.openCount -= ids.length;
    this.sync();
  }

  private write(bytes: Buffer, ignoreBudget = false): boolean {
    if (!ignoreBudget && this.bytes + bytes.length > this.maxBytes) return false;
    if (bytes.length === 0) return true;
    try {
      if (this.fd === undefined || this.fileBytes >= FILE_BYTES) this.openNext();
      const fd = this.fd as number;
      const n = writeSync(fd, bytes, 0, bytes.length, this.fileBytes);
      if (n !== bytes.length) {
        ftruncateSync(fd, this.fileBytes);
        return false;
      }
    } catch {
      // A failing disk: never append behind what may be torn bytes.
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
      return false;
    }
    this.fileBytes += bytes.length;
    this.bytes += bytes.length;
    this.dirty = true;
    return true;
  }

  private openNext(): void {
    if (this.fd !== undefined) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
    this.fileNo++;
    const file = join(this.options.dir, `letters-${String(this.fileNo).padStart(6, '0')}.crj`);
    this.fd = openSync(file, 'a');
    this.fileBytes = statSync(file).size;
  }

  /**
   * Writes the queued letters and fsyncs: every appended letter is durable once this returns. Throws
   * when the disk refuses them (they stay queued); the writer acknowledges their seqs only after this.
   */
  sync(): void {
    if (this.queue.length > 0) {
      if (!this.write(Buffer.concat(this.queue, this.queuedBytes), true))
        throw new Error(`dead-letter store: ${this.queue.length} letters not written (disk full or failing)`);
      this.queue = [];
      this.queuedBytes = 0;
    }
    if (!this.dirty || this.fd === undefined) return;
    fsyncSync(this.fd);
    this.dirty = false;
  }

  close(): void {
    try {
      this.sync();
    } catch {
      // reported by the writer's own sync; nothing more to do on the way out
    }
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Every letter on disk, oldest first, and the ids already replayed. */
  readAll(): { letters: DeadLetterRecord[]; replayed: Set<number> } {
    const letters: DeadLetterRecord[] = [];
    const replayed = new Set<number>();
    this.problems.length = 0;
    this.bytes = 0;
    const files = readdirSync(this.options.dir)
      .filter((f) => FILE.test(f))
      .sort();
    for (const name of files) {
      const buf = readFileSync(join(this.options.dir, name));
      this.bytes += buf.length;
      this.fileNo = Math.max(this.fileNo, Number(FILE.exec(name)?.[1]));
      const { bodies, damaged } = unframe(buf);
      for (const d of damaged)
        this.problems.push(`${name}: ${d.bytes} damaged bytes at offset ${d.offset} skipped`);
      for (const body of bodies) {
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          continue;
        }
        const letter = deadLetterRecordSchema.safeParse(json);
        if (letter.success) letters.push(letter.data);
        else {
          const r = replayedSchema.safeParse(json);
          if (r.success) for (const id of r.data.replayed) replayed.add(id);
        }
      }
    }
    return { letters, replayed };
  }
}
