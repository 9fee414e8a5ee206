/**
 * MQTT to InfluxDB, losing nothing. Subscribes (QoS 1, fixed client id, persistent session) to the
 * rig's topics, validates every sample, and writes batches of line protocol. A payload that fails
 * validation, or a point InfluxDB answers 400 for, is counted and republished on the rig's dead-letter
 * topic, never written. 5xx, refusals and timeouts keep the batch and retry with capped backoff;
 * 401/403 raise an alarm and hold. After each 204 the per-series watermark advances and is published,
 * retained, on cellrig/v1/<rig>/ack: publishers keep their journal until it covers them and replay
 * what it shows missing. On start the watermarks come from InfluxDB itself.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../src/clock';
import { idSchema } from '../src/rig/config';
import { lineFromSample } from '../src/telemetry/line-protocol';
import { type Ack, type DeadLetter, decodeSamples } from '../src/telemetry/schemas';
import { parseTopic, rigTopic } from '../src/telemetry/topics';
import { ContiguousWatermark } from '../src/telemetry/watermark';
import type { WriterConfig } from '../src/telemetry/writer-config';
import { InfluxHttp } from './influx-http';
import { reconcileWatermarks } from './influx-reconcile';
import { endClient } from './mqtt-end';
import { batchBody, countPoints, type PointRun, pointRun, runText, takePoints } from './point-runs';

export type WriterStats = {
  received: number;
  written: number;
  duplicates: number;
  deadLettered: number;
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
/** Writes in flight at once (the telemetry bench gives its raw baseline the same). */
export const MAX_WRITES = 4;
const CLOSE_FLUSH_MS = 2000;

export class InfluxWriter extends EventEmitter {
  readonly stats: WriterStats = {
    received: 0,
    written: 0,
    duplicates: 0,
    deadLettered: 0,
    pending: 0,
    retries: 0,
    lastError: undefined,
  };
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
  private held: (() => void)[] = [];
  private backoffMs = 0;
  /** While InfluxDB is failing: no write before this time. */
  private retryAt = 0;
  private healthy = true;
  private closed = false;
  /** rig -> `<channel>/<stream>` -> watermark */
  private readonly marks = new Map<string, Map<string, ContiguousWatermark>>();
  private readonly changedRigs = new Set<string>();
  private readonly mqttCredentials: { username?: string; password?: string };

  constructor(
    private readonly config: WriterConfig,
    private readonly clock: Clock,
    credentials: WriterCredentials = {},
  ) {
    super();
    this.influx = new InfluxHttp({
      url: config.influxUrl,
      db: config.database,
      username: credentials.influxUser,
      password: credentials.influxPassword,
      readUsername: credentials.influxReadUser || undefined,
      readPassword: credentials.influxReadPassword || undefined,
    });
    this.mqttCredentials = { username: credentials.username, password: credentials.password };
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
          this.mark(m.rig, `${m.channel}/${m.stream}`, m.mark);
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
    this.ackTimer = this.clock.setInterval(() => this.publishAcks(), ACK_EVERY_MS);
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

  private mark(rig: string, key: string, start = -1): ContiguousWatermark {
    let byKey = this.marks.get(rig);
    if (!byKey) {
      byKey = new Map();
      this.marks.set(rig, byKey);
    }
    let wm = byKey.get(key);
    if (!wm) {
      wm = new ContiguousWatermark(start);
      byKey.set(key, wm);
    }
    return wm;
  }

  private onMessage(topic: string, payload: Buffer): void {
    let t = this.topics.get(topic);
    if (!t) {
      const parsed = parseTopic(topic);
      if (parsed.kind === 'rig') return; // status, ack and dead letters are not samples
      if (parsed.kind !== 'stream') {
        this.stats.received++;
        this.deadLetter(parsed.rig, topic, 'topic is not cellrig/v1/<rig>/<channel>/<stream>', payload);
        return;
      }
      if (![parsed.rig, parsed.channel, parsed.stream].every((s) => idSchema.safeParse(s).success)) {
        this.stats.received++;
        this.deadLetter(parsed.rig, topic, 'rig, channel or stream is not a valid id', payload);
        return;
      }
      const { rig, channel, stream } = parsed;
      t = { rig, channel, stream, wm: this.mark(rig, `${channel}/${stream}`) };
      if (this.topics.size >= TOPIC_CACHE_LIMIT) this.topics.clear();
      this.topics.set(topic, t);
    }
    this.stats.received++;
    const { rig, channel, stream, wm } = t;
    const lines: string[] = [];
    const seqs: number[] = [];
    for (const decoded of decodeSamples(stream, payload)) {
      if (!decoded.ok) {
        this.deadLetter(rig, topic, decoded.error, payload);
        continue;
      }
      if (decoded.sample.seq <= wm.mark) {
        this.stats.duplicates++; // already in InfluxDB: a re-delivery
        continue;
      }
      lines.push(lineFromSample(rig, channel, stream, decoded.sample));
      seqs.push(decoded.sample.seq);
    }
    if (lines.length > 0) this.enqueue(pointRun(rig, wm, lines, seqs));
  }

  private deadLetter(rig: string | undefined, topic: string, error: string, payload: Buffer | string): void {
    this.stats.deadLettered++;
    const target = rig && idSchema.safeParse(rig).success ? rig : '_invalid';
    const letter: DeadLetter = {
      ts: this.clock.now(),
      topic: topic.slice(0, 512),
      error: error.slice(0, 1024),
      payload: payload.toString().slice(0, 1024),
      count: this.stats.deadLettered,
    };
    this.client?.publish(rigTopic(target, 'deadletter'), JSON.stringify(letter), { qos: 1 });
    this.emit('deadletter', letter);
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
        this.stats.pending = this.pendingPoints;
        if (this.pendingPoints < LOW_WATER) this.release();
        if (this.closed || this.pending.length === 0 || this.flushTimer) return;
        if (this.pendingPoints >= this.config.batchSize || this.retryAt > 0) this.kick();
        else this.flushTimer = this.clock.setTimeout(() => this.kick(), this.config.flushMs);
      });
      this.writes.add(write);
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
    if (res.status === 400) {
      // Halve until the refused points stand alone: one bad point must not cost its batch-mates.
      if (n > 1) {
        const half = Math.ceil(n / 2);
        const [first, second] = takePoints(batch, half);
        await this.writeBatch(first, half);
        await this.writeBatch(second, n - half);
        return;
      }
      for (const r of batch)
        this.deadLetter(r.rig, 'influxdb/write', `InfluxDB 400: ${res.body}`, runText(r));
      this.settle(batch); // dead-lettered is final: the watermark must not wait for it
      return;
    }
    this.requeue(batch, n); // kept, to be retried
    if (res.status === 404) await this.influx.ensureDatabase().catch(() => undefined);
    const alarm = res.status === 401 || res.status === 403;
    this.retryLater(
      `${alarm ? 'ALARM: InfluxDB refuses the writer' : 'InfluxDB'} ${res.status}: ${res.body.slice(0, 200)}`,
    );
    if (alarm) this.emit('alarm', `InfluxDB ${res.status}: check the writer's InfluxDB user and its rights`);
  }

  private requeue(batch: PointRun[], n: number): void {
    this.pending.unshift(...batch);
    this.pendingPoints += n;
  }

  /** These seqs are done with (written, or dead-lettered for good): the watermarks may pass them. */
  private settle(runs: PointRun[]): void {
    for (const r of runs) {
      for (const seq of r.seqs) r.wm.add(seq);
      this.changedRigs.add(r.rig);
    }
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
    for (const rig of this.marks.keys()) this.changedRigs.add(rig);
  }

  /** Retained per-rig watermarks; `ok` tells publishers whether replaying would help. */
  private publishAcks(): void {
    if (!this.client?.connected) return;
    for (const rig of this.changedRigs) {
      const streams: Record<string, number> = {};
      for (const [key, wm] of this.marks.get(rig) ?? []) streams[key] = wm.mark;
      const ack: Ack = { ts: this.clock.now(), ok: this.healthy, pending: this.pendingPoints, streams };
      this.client.publish(rigTopic(rig, 'ack'), JSON.stringify(ack), { qos: 1, retain: true });
    }
    this.changedRigs.clear();
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
    if (this.client) await endClient(this.client);
  }
}
