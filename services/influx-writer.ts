/**
 * MQTT to InfluxDB, losing nothing. Subscribes (QoS 1, fixed client id, persistent session) to the
 * rig's topics, validates every sample against its stream's declared schema, and writes batches of line
 * protocol. A payload that fails validation, or a line InfluxDB refuses (a 400 is halved until only the
 * refused lines remain), goes to the dead-letter store on disk (services/dead-letter-store.ts), is
 * counted, raises an alarm and is announced on the rig's dead-letter topic; everything else is written.
 * 5xx, refusals, timeouts and a 400 that names no refused point keep the batch and retry with capped
 * backoff; 401/403 raise an alarm and hold. Settled seqs (written or safely dead-lettered) advance the
 * per-series watermark (src/telemetry/watermark.ts), which is saved to disk and then published, retained,
 * on cellrig/v1/<rig>/ack: publishers keep their journal until it covers them and replay what it shows
 * missing. A hole that stays open while the writer is healthy is passed as a gap after `gapAfterMs`,
 * unless the writer holds one of its seqs itself (waiting for InfluxDB or being written): slow, not lost.
 * On start the watermarks come from the saved file and from InfluxDB itself, whichever is further.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../src/clock';
import { idSchema } from '../src/rig/config';
import { lineFromSample } from '../src/telemetry/line-protocol';
import { type Ack, type DeadLetter, decodeSamples, MAX_STREAMS_PER_RIG } from '../src/telemetry/schemas';
import { parseTopic, rigTopic } from '../src/telemetry/topics';
import { ContiguousWatermark, type SeqRange, type WatermarkState } from '../src/telemetry/watermark';
import type { WriterConfig } from '../src/telemetry/writer-config';
import { DeadLetterStore } from './dead-letter-store';
import { InfluxHttp } from './influx-http';
import { reconcileWatermarks } from './influx-reconcile';
import { endClient } from './mqtt-end';
import { batchBody, countPoints, type PointRun, pointRun, runText, takePoints } from './point-runs';
import { loadWriterMarks, saveWriterMarks, type WriterMarks } from './writer-state';

export type WriterStats = {
  received: number;
  written: number;
  duplicates: number;
  deadLettered: number;
  /** Letters that could not be kept (store full or disk failing): their seqs are not settled. */
  deadLetterFailures: number;
  /** Holes passed as lost: each range of seqs that never arrived, once. */
  gaps: number;
  pending: number;
  retries: number;
  lastError: string | undefined;
};

export type WriterCredentials = {
  username?: string;
  password?: string;
  /** The InfluxDB login for writes: write-only is enough. */
  influxUser?: string;
  influxPassword?: string;
  /** A read-only InfluxDB login, for reading the watermarks back on start (defaults to the write login). */
  influxReadUser?: string;
  influxReadPassword?: string;
};

export type WriterStorage = {
  /** The writer's folder: its saved watermarks and its dead-letter store (`deadletters/`). */
  dir: string;
  deadLetterMaxBytes?: number;
  /**
   * How long a hole may stay open while the writer is healthy before it is passed as lost (a hole with a
   * seq the writer still holds waits on).
   */
  gapAfterMs?: number;
  /** Series tracked at most, over all rigs (each rig at most MAX_STREAMS_PER_RIG). */
  maxStreams?: number;
};

/** A stream topic that passed validation, with its series' watermark: topics repeat, checks need not. */
type StreamTopic = { rig: string; channel: string; stream: string; wm: ContiguousWatermark };
const TOPIC_CACHE_LIMIT = 10_000;

/** Points waiting for InfluxDB before the writer stops reading from the broker, and resumes. */
const HIGH_WATER = 50_000;
const LOW_WATER = 25_000;
/** Last resort only: backpressure keeps pending near HIGH_WATER. */
const MAX_PENDING = 200_000;
const MAX_BACKOFF_MS = 10_000;
const ACK_EVERY_MS = 1000;
/** Every rig's ack is sent again this often, changed or not: a publisher replays only while it hears one. */
const ACK_REFRESH_MS = 5000;
/** Writes in flight at once (the telemetry bench gives its raw baseline the same). */
export const MAX_WRITES = 4;
const CLOSE_FLUSH_MS = 2000;
const GAP_AFTER_MS = 60_000;
const MAX_STREAMS = 10_000;
/** InfluxDB 1.x names what it refused in a 400 like these; any other 400 is the server's, not a point's. */
const POINT_REFUSAL =
  /unable to parse|partial write|field type conflict|invalid (field|tag|number|boolean|timestamp)|time outside range|max-values-per-tag|beyond retention/i;

export class InfluxWriter extends EventEmitter {
  readonly stats: WriterStats = {
    received: 0,
    written: 0,
    duplicates: 0,
    deadLettered: 0,
    deadLetterFailures: 0,
    gaps: 0,
    pending: 0,
    retries: 0,
    lastError: undefined,
  };
  readonly deadLetters: DeadLetterStore;
  private client: MqttClient | undefined;
  private readonly influx: InfluxHttp;
  /** Oldest first; `pendingPoints` counts their points. */
  private pending: PointRun[] = [];
  private pendingPoints = 0;
  private readonly topics = new Map<string, StreamTopic>();
  private acksCorked = false;
  private flushTimer: TimerHandle | undefined;
  private ackTimer: TimerHandle | undefined;
  private readonly writes = new Set<Promise<void>>();
  /** The batches of those writes: their seqs are the writer's until InfluxDB answers. */
  private readonly inFlight = new Set<PointRun[]>();
  private held: (() => void)[] = [];
  private backoffMs = 0;
  /** While InfluxDB is failing: no write before this time. */
  private retryAt = 0;
  private healthy = true;
  private closed = false;
  /** rig -> `<channel>/<stream>` -> watermark */
  private readonly marks = new Map<string, Map<string, ContiguousWatermark>>();
  private streamCount = 0;
  /** Per watermark: its mark when a hole was last seen to stall, and since when. */
  private readonly stalls = new Map<ContiguousWatermark, { mark: number; since: number }>();
  private readonly changedRigs = new Set<string>();
  private marksChanged = false;
  private lastRefresh = 0;
  private readonly refusedStreams = new Set<string>();
  /** A 400 to an empty write says the server refuses every write, not a point: until then, no letters. */
  private probe: { at: number; ok: boolean } | undefined;
  private readonly mqttCredentials: { username?: string; password?: string };
  private readonly storage: Required<WriterStorage>;

  constructor(
    private readonly config: WriterConfig,
    private readonly clock: Clock,
    credentials: WriterCredentials,
    storage: WriterStorage,
  ) {
    super();
    this.storage = {
      deadLetterMaxBytes: 256 * 1024 ** 2,
      gapAfterMs: GAP_AFTER_MS,
      maxStreams: MAX_STREAMS,
      ...storage,
    };
    this.influx = new InfluxHttp({
      url: config.influxUrl,
      db: config.database,
      username: credentials.influxUser,
      password: credentials.influxPassword,
      readUsername: credentials.influxReadUser || undefined,
      readPassword: credentials.influxReadPassword || undefined,
    });
    this.mqttCredentials = { username: credentials.username, password: credentials.password };
    this.deadLetters = new DeadLetterStore({
      dir: join(this.storage.dir, 'deadletters'),
      maxBytes: this.storage.deadLetterMaxBytes,
    });
    const { marks, problem } = loadWriterMarks(this.storage.dir);
    for (const [rig, byKey] of Object.entries(marks))
      for (const [key, state] of Object.entries(byKey)) this.mark(rig, key, state);
    queueMicrotask(() => {
      if (problem) this.emit('alarm', `writer state: ${problem}; watermarks come from InfluxDB alone`);
      for (const p of this.deadLetters.problems) this.emit('alarm', `dead-letter store: ${p}`);
    });
  }

  /** Reconciles from InfluxDB (retrying while it is away), then subscribes. */
  start(): void {
    void this.reconcileThenSubscribe();
  }

  private async reconcileThenSubscribe(): Promise<void> {
    for (let wait = 500; !this.closed; wait = Math.min(MAX_BACKOFF_MS, wait * 2)) {
      try {
        await this.influx.ensureDatabase();
        for (const m of await reconcileWatermarks(this.influx, this.config.rig)) {
          // InfluxDB may know more than the saved state (another writer), never less that counts.
          const wm = this.mark(m.rig, `${m.channel}/${m.stream}`);
          if (wm && m.mark > wm.mark) {
            wm.raiseTo(m.mark);
            this.marksChanged = true;
          }
          this.changedRigs.add(m.rig);
        }
        break;
      } catch (err) {
        const message = (err as Error).message;
        if (/ (401|403)\b/.test(message)) {
          // Without reading its watermarks back the writer cannot promise exactly-once: hold and say so.
          this.emit(
            'alarm',
            `cannot read watermarks back from InfluxDB (${message.slice(0, 120)}): give the writer a read login`,
          );
        }
        this.fail(`InfluxDB not ready: ${message}`);
        await this.clock.sleep(wait);
      }
    }
    if (this.closed) return;
    this.emit('reconciled');
    this.subscribe();
    this.ackTimer = this.clock.setInterval(() => this.tick(), ACK_EVERY_MS);
  }

  private subscribe(): void {
    const client = mqtt.connect(this.config.brokerUrl, {
      clientId: this.config.clientId,
      clean: false,
      username: this.mqttCredentials.username || undefined,
      password: this.mqttCredentials.password || undefined,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
    });
    this.client = client;
    client.on('connect', () => {
      client.subscribe(`cellrig/v1/${this.config.rig || '+'}/#`, { qos: 1 });
      for (const rig of this.marks.keys()) this.changedRigs.add(rig);
      this.emit('connect');
    });
    client.on('offline', () => this.emit('offline'));
    client.on('error', (err) => this.fail(`MQTT: ${err.message}`));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    // Backpressure: MQTT.js reads the next packet only once this callback runs, so while too much waits
    // for InfluxDB the broker keeps the rest (unacknowledged) instead of this process's memory.
    client.handleMessage = (_packet, done) => {
      this.batchAcks(client);
      if (this.pendingPoints < HIGH_WATER) done();
      else this.held.push(done);
    };
    // Held messages of a lost connection are the broker's again (persistent session): forget them.
    client.on('close', () => {
      this.held = [];
    });
  }

  /**
   * MQTT.js writes each PUBACK on its own, a syscall per message: a quarter of the MQTT client's CPU when
   * draining a backlog (measured). Corked until the messages of the current socket read are handled,
   * they leave in one write.
   */
  private batchAcks(client: MqttClient): void {
    if (this.acksCorked) return;
    const stream = client.stream;
    stream.cork();
    this.acksCorked = true;
    setImmediate(() => {
      this.acksCorked = false;
      stream.uncork();
    });
  }

  private fail(message: string): void {
    this.stats.lastError = message;
    this.emit('problem', message);
  }

  /** The series' watermark, or undefined when the writer already tracks as many series as it may. */
  private mark(rig: string, key: string, saved?: WatermarkState): ContiguousWatermark | undefined {
    let byKey = this.marks.get(rig);
    let wm = byKey?.get(key);
    if (wm) return wm;
    if (this.streamCount >= this.storage.maxStreams || (byKey?.size ?? 0) >= MAX_STREAMS_PER_RIG) {
      if (!this.refusedStreams.has(rig)) {
        this.refusedStreams.add(rig);
        this.emit(
          'alarm',
          `rig ${rig}: stream ${key} refused: the writer tracks at most ${MAX_STREAMS_PER_RIG} streams per rig and ${this.storage.maxStreams} in all`,
        );
      }
      return undefined;
    }
    if (!byKey) {
      byKey = new Map();
      this.marks.set(rig, byKey);
    }
    wm = new ContiguousWatermark(saved);
    byKey.set(key, wm);
    this.streamCount++;
    // Remembered even before anything settles: after a restart its publisher still gets an ack.
    this.marksChanged = true;
    this.changedRigs.add(rig);
    return wm;
  }

  private onMessage(topic: string, payload: Buffer): void {
    let t = this.topics.get(topic);
    if (!t) {
      const parsed = parseTopic(topic);
      if (parsed.kind === 'rig') return; // status, ack and dead letters are not samples
      this.stats.received++;
      if (parsed.kind !== 'stream') {
        this.deadLetter(parsed.rig, topic, 'topic is not cellrig/v1/<rig>/<channel>/<stream>', payload);
        return;
      }
      if (![parsed.rig, parsed.channel, parsed.stream].every((s) => idSchema.safeParse(s).success)) {
        this.deadLetter(parsed.rig, topic, 'rig, channel or stream is not a valid id', payload);
        return;
      }
      const { rig, channel, stream } = parsed;
      const wm = this.mark(rig, `${channel}/${stream}`);
      if (!wm) {
        this.deadLetter(rig, topic, `too many streams (at most ${MAX_STREAMS_PER_RIG} per rig)`, payload);
        return;
      }
      t = { rig, channel, stream, wm };
      if (this.topics.size >= TOPIC_CACHE_LIMIT) this.topics.clear();
      this.topics.set(topic, t);
    } else this.stats.received++;
    const { rig, channel, stream, wm } = t;
    const lines: string[] = [];
    const seqs: number[] = [];
    for (const decoded of decodeSamples(stream, payload)) {
      if (!decoded.ok) {
        const item = decoded.item === undefined ? payload : JSON.stringify(decoded.item);
        // A refused sample with a seq its publisher issued settles that seq once its letter is kept.
        if (this.deadLetter(rig, topic, decoded.error, item, decoded.seq) && decoded.seq !== undefined)
          this.settleSeq(rig, wm, decoded.seq);
        continue;
      }
      if (wm.classify(decoded.sample.seq) === 'duplicate') {
        this.stats.duplicates++; // already settled: a re-delivery
        continue;
      }
      try {
        lines.push(lineFromSample(rig, channel, stream, decoded.sample));
      } catch (err) {
        // The schemas refuse what line protocol cannot carry; this is the last guard, not the rule.
        if (
          this.deadLetter(
            rig,
            topic,
            (err as Error).message,
            JSON.stringify(decoded.sample),
            decoded.sample.seq,
          )
        )
          this.settleSeq(rig, wm, decoded.sample.seq);
        continue;
      }
      seqs.push(decoded.sample.seq);
    }
    if (lines.length > 0) this.enqueue(pointRun(rig, wm, lines, seqs));
  }

  /**
   * Keeps a letter on disk and announces it; false when it could not be kept (store full, disk failing):
   * then the caller must not settle its seq.
   */
  private deadLetter(
    rig: string | undefined,
    topic: string,
    error: string,
    payload: Buffer | string,
    seq?: number,
    stage: 'decode' | 'influx' = 'decode',
  ): boolean {
    const target = rig && idSchema.safeParse(rig).success ? rig : '_invalid';
    const kept = this.deadLetters.append({
      ts: this.clock.now(),
      stage,
      rig: target,
      topic: topic.slice(0, 512),
      error: error.slice(0, 2048),
      payload: payload.toString(),
      ...(seq !== undefined ? { seq } : {}),
    });
    if (!kept) {
      this.stats.deadLetterFailures++;
      this.emit(
        'alarm',
        `dead letter NOT kept (${this.deadLetters.full ? 'store full' : 'disk failing'}): ${topic}: ${error.slice(0, 200)}`,
      );
      return false;
    }
    this.stats.deadLettered++;
    const letter: DeadLetter = {
      ts: kept.ts,
      id: kept.id,
      topic: kept.topic,
      error: kept.error.slice(0, 1024),
      payload: kept.payload.slice(0, 1024),
      count: this.stats.deadLettered,
    };
    this.client?.publish(rigTopic(target, 'deadletter'), JSON.stringify(letter), { qos: 1 });
    this.emit('deadletter', letter);
    return true;
  }

  private enqueue(run: PointRun): void {
    while (this.pending.length > 0 && this.pendingPoints + run.seqs.length > MAX_PENDING) {
      // Bounded memory: the oldest points leave; the publisher's journal still has them, and the stalled
      // watermark makes the publisher replay them once InfluxDB is back.
      this.pendingPoints -= (this.pending.shift() as PointRun).seqs.length;
    }
    this.pending.push(run);
    this.pendingPoints += run.seqs.length;
    this.stats.pending = this.pendingPoints;
    if (this.pendingPoints >= this.config.batchSize) this.kick();
    else if (!this.flushTimer)
      this.flushTimer = this.clock.setTimeout(() => this.kick(), this.config.flushMs);
  }

  /**
   * Starts writes of pending batches, up to MAX_WRITES at once, so decoding the next batch overlaps
   * InfluxDB's answer to the last (order does not matter: points are keyed by seq).
   */
  private kick(): void {
    this.clock.clearTimer(this.flushTimer);
    this.flushTimer = undefined;
    if (this.clock.now() < this.retryAt) {
      this.flushTimer = this.clock.setTimeout(() => this.kick(), this.retryAt - this.clock.now());
      return;
    }
    while (this.writes.size < MAX_WRITES && this.pending.length > 0) {
      const [batch, rest] = takePoints(this.pending, this.config.batchSize);
      this.pending = rest;
      const n = countPoints(batch);
      this.pendingPoints -= n;
      const write: Promise<void> = this.writeBatch(batch, n).finally(() => {
        this.writes.delete(write);
        this.inFlight.delete(batch);
        this.stats.pending = this.pendingPoints;
        if (this.pendingPoints < LOW_WATER) this.release();
        if (this.closed || this.pending.length === 0 || this.flushTimer) return;
        if (this.pendingPoints >= this.config.batchSize || this.retryAt > 0) this.kick();
        else this.flushTimer = this.clock.setTimeout(() => this.kick(), this.config.flushMs);
      });
      this.writes.add(write);
      this.inFlight.add(batch);
    }
  }

  private release(): void {
    const held = this.held;
    this.held = [];
    for (const done of held) done();
  }

  /** Writes everything pending now; resolves when InfluxDB has answered these writes. */
  async flush(): Promise<void> {
    this.retryAt = 0;
    this.kick();
    await Promise.all([...this.writes]);
  }

  /** `n`: the points in `batch`. */
  private async writeBatch(batch: PointRun[], n: number): Promise<void> {
    let res: { status: number; body: string };
    try {
      res = await this.influx.writeBody(batchBody(batch));
    } catch (err) {
      this.requeue(batch, n);
      this.retryLater(`InfluxDB unreachable: ${(err as Error).message}`);
      return;
    }
    if (res.status === 204) {
      this.settle(batch);
      this.stats.written += n;
      this.backoffMs = 0;
      this.retryAt = 0;
      this.setHealthy(true);
      this.emit('written', n, batch); // the batch, for latency measurements
      return;
    }
    if (res.status === 400 && POINT_REFUSAL.test(res.body)) {
      // Halve until the refused points stand alone: one bad point must not cost its batch-mates.
      if (n > 1) {
        const half = Math.ceil(n / 2);
        const [first, second] = takePoints(batch, half);
        await this.writeBatch(first, half);
        await this.writeBatch(second, n - half);
        return;
      }
      if (await this.serverRefusesEverything()) {
        this.requeue(batch, n);
        this.retryLater(`InfluxDB refuses every write (400 to an empty one): ${res.body.slice(0, 200)}`);
        this.emit(
          'alarm',
          'InfluxDB answers 400 to every write, even an empty one: holding, nothing dead-lettered',
        );
        return;
      }
      for (const r of batch) {
        if (
          this.deadLetter(
            r.rig,
            'influxdb/write',
            `InfluxDB 400: ${res.body}`,
            runText(r),
            r.seqs[0],
            'influx',
          )
        )
          this.settle([r]); // kept on disk: the watermark must not wait for it
        else this.holdForever(r);
      }
      return;
    }
    this.requeue(batch, n); // kept, to be retried
    if (res.status === 404) await this.influx.ensureDatabase().catch(() => undefined);
    const alarm = res.status === 401 || res.status === 403;
    this.retryLater(
      `${alarm ? 'ALARM: InfluxDB refuses the writer' : 'InfluxDB'} ${res.status}: ${res.body.slice(0, 200)}`,
    );
    if (alarm) this.emit('alarm', `InfluxDB ${res.status}: check the writer's InfluxDB user and its rights`);
    else if (res.status === 400)
      this.emit('alarm', `InfluxDB 400 that names no refused point: holding (${res.body.slice(0, 160)})`);
  }

  /** A refused line whose letter could not be kept: it waits (and its seq with it) until there is room. */
  private holdForever(r: PointRun): void {
    this.requeue([r], r.seqs.length);
    this.retryLater('a refused line cannot be dead-lettered (store full or disk failing): holding it');
  }

  /** Asks whether a 400 is about the points: an empty write is accepted by any InfluxDB that works. */
  private async serverRefusesEverything(): Promise<boolean> {
    const now = this.clock.now();
    if (this.probe && now - this.probe.at < 1000) return !this.probe.ok;
    let ok = false;
    try {
      ok = (await this.influx.writeBody(Buffer.alloc(0))).status === 204;
    } catch {
      ok = false;
    }
    this.probe = { at: now, ok };
    return !ok;
  }

  private requeue(batch: PointRun[], n: number): void {
    this.pending.unshift(...batch);
    this.pendingPoints += n;
  }

  /** These seqs are done with (written, or dead-lettered for good): the watermarks may pass them. */
  private settle(runs: PointRun[]): void {
    for (const r of runs) for (const seq of r.seqs) this.settleSeq(r.rig, r.wm, seq);
  }

  private settleSeq(rig: string, wm: ContiguousWatermark, seq: number): void {
    const passed = wm.passedGaps;
    wm.add(seq);
    // Too many holes: the lowest were passed to keep memory bounded.
    if (wm.passedGaps !== passed) this.reportGaps(rig, wm, wm.passedGaps - passed, 'too many holes');
    this.changedRigs.add(rig);
    this.marksChanged = true;
  }

  private reportGaps(rig: string, wm: ContiguousWatermark, n: number, why: string): void {
    this.stats.gaps += n;
    const key = this.keyOf(rig, wm);
    const ranges = wm.gaps
      .slice(-n)
      .map(([a, b]) => (a === b ? `${a}` : `${a}..${b}`))
      .join(', ');
    this.emit('alarm', `${rig} ${key}: seq ${ranges} never arrived (${why}): passed as lost`);
  }

  private keyOf(rig: string, wm: ContiguousWatermark): string {
    for (const [key, w] of this.marks.get(rig) ?? []) if (w === wm) return key;
    return '?';
  }

  private retryLater(message: string): void {
    this.stats.retries++;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs ? this.backoffMs * 2 : 250);
    this.retryAt = this.clock.now() + this.backoffMs;
    this.setHealthy(false);
    this.fail(message);
  }

  private setHealthy(ok: boolean): void {
    if (ok === this.healthy) return;
    this.healthy = ok;
    // Holes only count against the publishers while the writer could have written what fills them.
    if (ok) this.stalls.clear();
    for (const rig of this.marks.keys()) this.changedRigs.add(rig);
  }

  /** Once a second: pass holes that stalled too long, then save and publish the acks. */
  private tick(): void {
    this.passStalledHoles();
    if (this.clock.now() - this.lastRefresh >= ACK_REFRESH_MS) {
      this.lastRefresh = this.clock.now();
      for (const rig of this.marks.keys()) this.changedRigs.add(rig);
    }
    this.publishAcks();
  }

  private passStalledHoles(): void {
    const now = this.clock.now();
    if (!this.healthy || !this.client?.connected) {
      this.stalls.clear();
      return;
    }
    let held: Set<ContiguousWatermark> | undefined;
    for (const [rig, byKey] of this.marks) {
      for (const wm of byKey.values()) {
        if (wm.holes === 0) {
          this.stalls.delete(wm);
          continue;
        }
        const s = this.stalls.get(wm);
        if (!s || s.mark !== wm.mark) this.stalls.set(wm, { mark: wm.mark, since: now });
        else if (now - s.since >= this.storage.gapAfterMs) {
          // Writes finish out of order: a later batch settled first leaves a hole the writer is still
          // filling. Passing it would report seqs InfluxDB is about to get as lost, once per such hole.
          held ??= this.heldHoles();
          if (held.has(wm)) continue;
          wm.passHole();
          this.stalls.set(wm, { mark: wm.mark, since: now });
          this.reportGaps(rig, wm, 1, `waited ${Math.round(this.storage.gapAfterMs / 1000)} s`);
          this.changedRigs.add(rig);
          this.marksChanged = true;
        }
      }
    }
  }

  /** The watermarks whose lowest hole has a seq the writer holds: waiting for a write, or in one. */
  private heldHoles(): Set<ContiguousWatermark> {
    const held = new Set<ContiguousWatermark>();
    for (const runs of [this.pending, ...this.inFlight]) {
      for (const r of runs) {
        const hole = held.has(r.wm) ? undefined : r.wm.firstHole;
        if (hole && r.seqs.some((seq) => seq >= hole[0] && seq <= hole[1])) held.add(r.wm);
      }
    }
    return held;
  }

  /**
   * Retained per-rig watermarks; `ok` tells publishers whether replaying would help. The dead letters
   * behind them are fsynced and the marks saved first: an ack never claims what a crash could undo.
   */
  private publishAcks(): void {
    if (!this.client?.connected || this.changedRigs.size === 0) return;
    try {
      this.deadLetters.sync();
      if (this.marksChanged) saveWriterMarks(this.storage.dir, this.snapshot());
      this.marksChanged = false;
    } catch (err) {
      this.emit('alarm', `writer state not saved (${(err as Error).message}): acks held`);
      return;
    }
    for (const rig of this.changedRigs) {
      const streams: Record<string, number> = {};
      const gaps: Record<string, SeqRange[]> = {};
      for (const [key, wm] of this.marks.get(rig) ?? []) {
        streams[key] = wm.mark;
        if (wm.gaps.length > 0) gaps[key] = wm.gaps.map((g) => [...g] as SeqRange);
      }
      const ack: Ack = {
        ts: this.clock.now(),
        ok: this.healthy,
        pending: this.pendingPoints,
        streams,
        ...(Object.keys(gaps).length > 0 ? { gaps } : {}),
      };
      this.client.publish(rigTopic(rig, 'ack'), JSON.stringify(ack), { qos: 1, retain: true });
    }
    this.changedRigs.clear();
  }

  private snapshot(): WriterMarks {
    const out: WriterMarks = {};
    for (const [rig, byKey] of this.marks) {
      const r: WriterMarks[string] = {};
      for (const [key, wm] of byKey) r[key] = wm.state;
      out[rig] = r;
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimer(this.flushTimer);
    this.clock.clearTimer(this.ackTimer);
    // Bounded, so a hanging InfluxDB cannot hold up a shutdown: what is not written now is replayed
    // from the rigs' journals, since the watermark never covered it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush().catch(() => undefined),
      new Promise((r) => {
        timer = setTimeout(r, CLOSE_FLUSH_MS);
      }),
    ]);
    clearTimeout(timer);
    this.publishAcks();
    this.deadLetters.close();
    if (this.client) await endClient(this.client);
  }
}
