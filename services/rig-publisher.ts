/**
 * A rig's MQTT link. Each sample is validated, numbered (per-stream `seq`, continuing across restarts)
 * and appended to the on-disk journal before anything is sent; a sender then publishes from the journal
 * with QoS 1 over a persistent session and advances its cursor on PUBACK. PUBACK only means the broker
 * has it: the durable acknowledgement is the writer's retained watermark (cellrig/v1/<rig>/ack), which
 * lets old segments go and, when a stream's watermark stalls behind what was sent while the writer
 * reports itself healthy, replays that stream from the journal. Re-deliveries are harmless: the
 * writer's points are keyed by seq. The retained rig status carries an `offline` last will.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../src/clock';
import { idSchema } from '../src/rig/config';
import {
  type Ack,
  ackSchema,
  MAX_BATCH,
  MAX_PAYLOAD_BYTES,
  type RigStatus,
  type Sample,
  schemaForStream,
} from '../src/telemetry/schemas';
import { rigTopic, streamTopic } from '../src/telemetry/topics';
import { endClient } from './mqtt-end';
import { type JournalFs, type JournalRecord, TelemetryJournal, UNSYNCED_MAX } from './telemetry-journal';

export type RigPublisherOptions = {
  url: string;
  rigId: string;
  clock: Clock;
  /** Where the journal lives (one folder per rig). */
  journalDir: string;
  username?: string;
  password?: string;
  /** Messages (each up to MAX_SAMPLES samples) awaiting PUBACK at most. */
  window?: number;
  /** How long a stream's watermark may stall behind what was sent before it is replayed. */
  replayAfterMs?: number;
  journal?: {
    fsyncMs?: number;
    maxBytes?: number;
    retentionMs?: number;
    segmentRecords?: number;
    /** The journal's file calls (tests inject a full disk here). */
    fs?: JournalFs;
  };
};

export type PublishInput = { channel: string; stream: string; fields: Record<string, unknown> };

const TICK_MS = 1000;
/** Samples per message at most: well under the writer's batch limit. */
const MAX_SAMPLES = Math.min(200, MAX_BATCH);
/** Bytes per message at most, under the writer's payload limit with room for the array's brackets. */
const MAX_MESSAGE_BYTES = Math.floor(MAX_PAYLOAD_BYTES * 0.75);
/** Samples taken from the journal per round, then grouped per stream. */
const GATHER = 1600;
const STUCK_MS = 30_000;
/** A journal that lost everything continues a stream from the writer's ack, but never past this. */
const MAX_RESUMED_SEQ = 2 ** 40;

export class RigPublisher extends EventEmitter {
  readonly journal: TelemetryJournal;
  readonly stats = { published: 0, acked: 0, replays: 0 };
  private readonly client: MqttClient;
  /** Messages awaiting PUBACK: id -> the lowest journal index in it and when it was sent. */
  private readonly inflight = new Map<number, { minIndex: number; sentAt: number }>();
  private messageIds = 0;
  private sendIndex: number;
  private highWater: number;
  private generation = 0;
  private ack: Ack | undefined;
  private ackAt = 0;
  private readonly sentSeq = new Map<string, number>();
  private readonly lastAdvance = new Map<string, number>();
  private readonly lastReplay = new Map<string, number>();
  /** Holes already reported: stream -> the seq that is gone. */
  private readonly gaps = new Map<string, number>();
  /** Latest retained payload per topic, published again on every (re)connect. */
  private readonly retained = new Map<string, string>();
  private readonly timer: TimerHandle;
  private closing = false;

  constructor(private readonly options: RigPublisherOptions) {
    super();
    this.journal = new TelemetryJournal({
      dir: options.journalDir,
      clock: options.clock,
      ...options.journal,
    });
    this.journal.on('full', (bytes: number) => this.emit('alarm', `telemetry journal full (${bytes} bytes)`));
    this.journal.on('problem', (message: string) => this.emit('alarm', message));
    this.journal.on('synced', () => this.pump());
    this.sendIndex = this.journal.cursor;
    this.highWater = this.journal.nextIndex;
    // What the journal holds counts as sent, so a stream that stays silent after a restart is still
    // replayed if the writer never got it.
    for (const [key, seq] of this.journal.lastSeqs()) {
      this.sentSeq.set(key, seq);
      this.lastAdvance.set(key, options.clock.now());
    }
    const status = (state: RigStatus['state']) => this.statusMessage(state);
    const ackTopic = rigTopic(options.rigId, 'ack');
    this.client = mqtt.connect(options.url, {
      clientId: `cellrig-${options.rigId}-edge`,
      clean: false,
      username: options.username || undefined,
      password: options.password || undefined,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      will: {
        topic: rigTopic(options.rigId, 'status'),
        payload: Buffer.from(status('offline')),
        qos: 1,
        retain: true,
      },
    });
    this.client.on('connect', () =>
      this.guard(() => {
        this.client.publish(rigTopic(options.rigId, 'status'), status('online'), { qos: 1, retain: true });
        this.client.subscribe(ackTopic, { qos: 1 });
        for (const [topic, payload] of this.retained)
          this.client.publish(topic, payload, { qos: 1, retain: true });
        this.emit('connect');
        this.restartFrom(this.journal.cursor);
      }),
    );
    this.client.on('message', (topic, payload) => {
      if (topic === ackTopic) this.guard(() => this.onAck(payload));
    });
    this.client.on('offline', () => this.emit('offline'));
    // Never 'error': an unhandled 'error' event would take the Node-RED process down.
    this.client.on('error', (err) => this.emit('problem', `MQTT: ${err.message}`));
    this.timer = options.clock.setInterval(() => this.guard(() => this.tick()), TICK_MS);
    // After the listeners, so what recovery found damaged is heard.
    queueMicrotask(() => {
      for (const problem of this.journal.problems) this.emit('alarm', problem);
    });
  }

  /** Runs a callback from a timer or the MQTT client: a disk error becomes an alarm, never a crash. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.emit('alarm', `telemetry journal: ${(err as Error).message}`);
    }
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Samples journaled but not yet acknowledged by the broker. */
  get backlog(): number {
    return this.journal.nextIndex - this.journal.cursor;
  }

  /** Validates, numbers and journals one sample (sending follows); rejects with the failing field. */
  publish({ channel, stream, fields }: PublishInput): Promise<Sample> {
    for (const [which, value] of [
      ['channel', channel],
      ['stream', stream],
    ] as const) {
      if (!idSchema.safeParse(value).success)
        return Promise.reject(new Error(`${which} '${value}' is not a valid topic level`));
    }
    if (this.closing) return Promise.reject(new Error('publisher is closed'));
    const key = `${channel}/${stream}`;
    const seq = this.journal.peekSeq(key);
    const ts = typeof fields.ts === 'number' ? fields.ts : this.options.clock.now();
    const parsed = schemaForStream(stream).safeParse({ ...fields, ts, seq });
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
      return Promise.reject(new Error(`${stream} sample rejected: ${why}`));
    }
    const topic = streamTopic(this.options.rigId, channel, stream);
    const payload = JSON.stringify(parsed.data);
    // A sample the writer would refuse must not take a seq: it would leave a gap nothing can fill.
    if (Buffer.byteLength(payload) > MAX_MESSAGE_BYTES)
      return Promise.reject(new Error(`${stream} sample rejected: ${Buffer.byteLength(payload)} bytes`));
    try {
      this.journal.append(key, seq, topic, payload);
    } catch (err) {
      return Promise.reject(new Error(`telemetry journal: ${(err as Error).message}`));
    }
    this.guard(() => this.pump());
    return Promise.resolve(parsed.data);
  }

  /**
   * As publish (journaled, so it reaches the database), and also kept by the broker as the topic's
   * retained message, so a late subscriber sees the current state (a channel's alert state). The
   * retained copy has the same seq, so the writer stores it once; it is re-sent on every reconnect.
   */
  async publishRetained(input: PublishInput): Promise<Sample> {
    const sample = await this.publish(input);
    const topic = streamTopic(this.options.rigId, input.channel, input.stream);
    const payload = JSON.stringify(sample);
    this.retained.set(topic, payload);
    if (this.client.connected) this.client.publish(topic, payload, { qos: 1, retain: true });
    return sample;
  }

  private restartFrom(index: number): void {
    this.generation++; // PUBACKs of the abandoned attempt no longer count
    this.inflight.clear();
    this.sendIndex = index;
    this.pump();
  }

  /**
   * Sends from the journal: what is waiting goes out grouped per stream, one message per group (an
   * array of samples), so a backlog after an outage drains in few messages; in steady state each
   * sample goes out on its own at once.
   */
  private pump(): void {
    if (this.closing) return;
    const window = this.options.window ?? 64;
    // Never more than UNSYNCED_MAX records beyond the last fsync: after a power cut the writer can hold
    // at most that many seqs this journal no longer knows, which bounds what an ack may claim (onAck).
    // (On the thread pool: the control loops share this thread. Sending resumes when it is `synced`.)
    if (this.journal.nextIndex > this.journal.syncedIndex + UNSYNCED_MAX) this.journal.syncInBackground();
    const end = () => Math.min(this.journal.nextIndex, this.journal.syncedIndex + UNSYNCED_MAX);
    while (this.client.connected && this.inflight.size < window && this.sendIndex < end()) {
      const groups = new Map<string, JournalRecord[]>();
      let taken = 0;
      while (this.sendIndex < end() && taken < GATHER) {
        const index = this.sendIndex++;
        const rec = this.journal.read(index);
        if (!rec) {
          this.sendIndex = Math.max(this.sendIndex, this.journal.firstIndex);
          continue;
        }
        // Re-sending (after a reconnect or for a replay): skip what the writer already has.
        if (index < this.highWater && this.has(rec.key, rec.seq)) continue;
        this.highWater = Math.max(this.highWater, index + 1);
        const group = groups.get(rec.key);
        if (group) group.push(rec);
        else groups.set(rec.key, [rec]);
        taken++;
      }
      for (const group of groups.values()) for (const chunk of byteChunks(group)) this.send(chunk);
    }
    this.advanceCursor();
  }

  /** The journal resumes (after a restart) at the lowest index the broker has not acknowledged. */
  private advanceCursor(): void {
    let lowest = this.sendIndex;
    for (const m of this.inflight.values()) lowest = Math.min(lowest, m.minIndex);
    this.journal.cursor = lowest;
  }

  private send(records: JournalRecord[]): void {
    const now = this.options.clock.now();
    const first = records[0] as JournalRecord;
    const last = records[records.length - 1] as JournalRecord;
    const id = this.messageIds++;
    this.inflight.set(id, { minIndex: first.index, sentAt: now });
    // A stream that was caught up starts its stall clock now, not when it last advanced.
    if ((this.sentSeq.get(first.key) ?? -1) <= this.acked(first.key)) this.lastAdvance.set(first.key, now);
    const payload = records.length === 1 ? first.payload : `[${records.map((r) => r.payload).join(',')}]`;
    const gen = this.generation;
    this.client.publish(first.topic, payload, { qos: 1 }, (err) => {
      if (err || gen !== this.generation) return;
      this.inflight.delete(id);
      this.stats.acked += records.length;
      this.sentSeq.set(first.key, Math.max(this.sentSeq.get(first.key) ?? -1, last.seq));
      this.guard(() => this.pump());
    });
    this.stats.published++;
  }

  private acked(key: string): number {
    return this.ack?.streams[key] ?? -1;
  }

  /** Does the writer have `seq` of `key` (under its mark and not in a gap it passed)? */
  private has(key: string, seq: number): boolean {
    if (seq > this.acked(key)) return false;
    return !(this.ack?.gaps?.[key] ?? []).some(([a, b]) => seq >= a && seq <= b);
  }

  /** Does the writer have every seq of `key` from min to max? */
  private hasAll(key: string, min: number, max: number): boolean {
    if (max > this.acked(key)) return false;
    return !(this.ack?.gaps?.[key] ?? []).some(([a, b]) => a <= max && b >= min);
  }

  /**
   * Why this ack cannot be the writer's, or undefined. A genuine writer never acknowledges a seq this
   * rig has not issued, except the few a power cut can take from the journal after they were sent
   * (UNSYNCED_MAX), or when the whole journal was lost (a new SD card).
   */
  private forged(ack: Ack): string | undefined {
    for (const [key, seq] of Object.entries(ack.streams)) {
      const issued = this.journal.peekSeq(key) - 1;
      if (seq <= issued) continue;
      if (issued >= 0 && seq <= issued + UNSYNCED_MAX) continue;
      if (issued < 0 && this.journal.isFresh && seq <= MAX_RESUMED_SEQ) continue;
      return `${key} acknowledged up to ${seq}, but this rig has issued only up to ${issued}`;
    }
    return undefined;
  }

  private onAck(payload: Buffer): void {
    const parsed = ackSchema.safeParse(safeJson(payload));
    if (!parsed.success) {
      this.emit('alarm', `ack refused: not an ack (${parsed.error.issues[0]?.message ?? 'bad JSON'})`);
      return;
    }
    const ack = parsed.data;
    const forged = this.forged(ack);
    if (forged) {
      this.emit('alarm', `ack refused (forged, or from another writer): ${forged}`);
      return;
    }
    const now = this.options.clock.now();
    for (const [key, seq] of Object.entries(ack.streams)) {
      if (seq > this.acked(key)) this.lastAdvance.set(key, now);
      // The writer has seqs this journal has not issued: its state was lost. Never issue them twice.
      if (this.journal.raiseSeq(key, seq))
        this.emit('alarm', `${key}: journal state behind the writer; seq continues at ${seq + 1}`);
    }
    this.ack = ack;
    this.ackAt = now;
  }

  private tick(): void {
    const now = this.options.clock.now();
    if (this.client.connected) {
      // Insertion order is send order: the first message is the oldest.
      const oldest = this.inflight.values().next().value?.sentAt ?? now;
      if (now - oldest > STUCK_MS) this.restartFrom(this.journal.cursor);
      else this.replayStalled(now);
    }
    if (this.ack) this.journal.truncate((key, min, max) => this.hasAll(key, min, max));
  }

  /** Replays streams whose watermark stalls behind what the broker took, while the writer is healthy. */
  private replayStalled(now: number): void {
    const after = this.options.replayAfterMs ?? 10_000;
    if (!this.ack?.ok || now - this.ackAt > 3 * after) return;
    let from = Number.POSITIVE_INFINITY;
    let streams = 0;
    for (const [key, sent] of this.sentSeq) {
      const acked = this.acked(key);
      // A gap the writer passed that this journal still holds is sent again (the oldest first).
      const gap = (this.ack.gaps?.[key] ?? []).find(([a]) => this.journal.findSeq(key, a) !== undefined);
      if (sent <= acked && !gap) continue;
      if (now - (this.lastAdvance.get(key) ?? now) < after || now - (this.lastReplay.get(key) ?? 0) < after)
        continue;
      this.lastReplay.set(key, now);
      const index = this.journal.findSeq(key, gap ? gap[0] : acked + 1);
      if (index === undefined) {
        if (this.gaps.get(key) !== acked + 1) {
          this.gaps.set(key, acked + 1); // said once per hole, not every 10 s
          this.emit(
            'alarm',
            `${key}: seq ${acked + 1} is no longer in the journal; the writer will never have it`,
          );
        }
        continue;
      }
      streams++;
      from = Math.min(from, index);
    }
    if (from < this.sendIndex) {
      this.stats.replays += streams;
      this.restartFrom(from);
    }
  }

  private statusMessage(state: RigStatus['state']): string {
    return JSON.stringify({
      state,
      ts: this.options.clock.now(),
      rig: this.options.rigId,
    } satisfies RigStatus);
  }

  /** Flushes the journal, publishes the retained `offline` status, then disconnects (no last will). */
  async close(): Promise<void> {
    if (this.closing) return;
    // Give the broker a moment to take the backlog; what it does not take waits in the journal.
    const deadline = Date.now() + 2000;
    while (this.client.connected && this.backlog > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    this.closing = true;
    this.options.clock.clearTimer(this.timer);
    this.journal.close();
    if (this.client.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        this.client.publish(
          rigTopic(this.options.rigId, 'status'),
          this.statusMessage('offline'),
          { qos: 1, retain: true },
          () => {
            clearTimeout(t);
            resolve();
          },
        );
      });
    }
    await endClient(this.client);
  }
}

function safeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
}

/** Splits a group so that no message outgrows the writer's payload or batch limit. */
function byteChunks(records: JournalRecord[]): JournalRecord[][] {
  const out: JournalRecord[][] = [];
  let chunk: JournalRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = Buffer.byteLength(r.payload) + 1;
    if (chunk.length > 0 && (bytes + size > MAX_MESSAGE_BYTES || chunk.length >= MAX_SAMPLES)) {
      out.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(r);
    bytes += size;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}
