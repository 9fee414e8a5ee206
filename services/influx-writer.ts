/**
 * Subscribes to cellrig/v1/#, validates every sample against its stream's schema, and writes batches of
 * line protocol to InfluxDB. A payload that fails validation is counted and republished on the rig's
 * dead-letter topic, never written. InfluxDB being away keeps the batch and retries with capped
 * backoff; a 400 sends the batch's points to the dead-letter topic.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../src/clock';
import { idSchema } from '../src/rig/config';
import { encodePoint, pointFromSample } from '../src/telemetry/line-protocol';
import { type DeadLetter, decodeSample } from '../src/telemetry/schemas';
import { parseTopic, rigTopic } from '../src/telemetry/topics';
import type { WriterConfig } from '../src/telemetry/writer-config';
import { InfluxHttp } from './influx-http';

export type WriterStats = {
  received: number;
  written: number;
  deadLettered: number;
  pending: number;
  retries: number;
  lastError: string | undefined;
};

const MAX_PENDING_LINES = 200_000;
const MAX_BACKOFF_MS = 30_000;

export class InfluxWriter extends EventEmitter {
  readonly stats: WriterStats = {
    received: 0,
    written: 0,
    deadLettered: 0,
    pending: 0,
    retries: 0,
    lastError: undefined,
  };
  private client: MqttClient | undefined;
  private readonly influx: InfluxHttp;
  private pending: string[] = [];
  private flushTimer: TimerHandle | undefined;
  private flushing: Promise<void> | undefined;
  private backoffMs = 0;
  private dbReady = false;
  private closed = false;
  private readonly mqttCredentials: { username?: string; password?: string };

  constructor(
    private readonly config: WriterConfig,
    private readonly clock: Clock,
    credentials: { username?: string; password?: string; influxUser?: string; influxPassword?: string } = {},
  ) {
    super();
    this.influx = new InfluxHttp({
      url: config.influxUrl,
      db: config.database,
      username: credentials.influxUser,
      password: credentials.influxPassword,
    });
    this.mqttCredentials = { username: credentials.username, password: credentials.password };
  }

  start(): void {
    const client = mqtt.connect(this.config.brokerUrl, {
      clientId: this.config.clientId,
      username: this.mqttCredentials.username || undefined,
      password: this.mqttCredentials.password || undefined,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
    });
    this.client = client;
    client.on('connect', () => {
      client.subscribe(`cellrig/v1/${this.config.rig || '+'}/#`, { qos: 1 });
      this.emit('connect');
    });
    client.on('offline', () => this.emit('offline'));
    client.on('error', (err) => this.fail(`MQTT: ${err.message}`));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  private fail(message: string): void {
    this.stats.lastError = message;
    this.emit('problem', message);
  }

  private onMessage(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (t.kind === 'rig') return; // status, ack and dead letters are not samples
    this.stats.received++;
    if (t.kind !== 'stream') {
      this.deadLetter(t.rig, topic, 'topic is not cellrig/v1/<rig>/<channel>/<stream>', payload);
      return;
    }
    const ids = [t.rig, t.channel, t.stream].map((s) => idSchema.safeParse(s).success);
    if (ids.includes(false)) {
      this.deadLetter(t.rig, topic, 'rig, channel or stream is not a valid id', payload);
      return;
    }
    const decoded = decodeSample(t.stream, payload);
    if (!decoded.ok) {
      this.deadLetter(t.rig, topic, decoded.error, payload);
      return;
    }
    this.enqueue(encodePoint(pointFromSample(t.rig, t.channel, t.stream, decoded.sample)));
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

  private enqueue(line: string): void {
    if (this.pending.length >= MAX_PENDING_LINES) {
      // Bounded memory: the oldest points go to the dead-letter topic rather than silently away.
      const dropped = this.pending.shift();
      if (dropped) this.deadLetter(undefined, 'cellrig/v1/_writer/overflow', 'writer buffer full', dropped);
    }
    this.pending.push(line);
    this.stats.pending = this.pending.length;
    if (this.pending.length >= this.config.batchSize) void this.flush();
    else if (!this.flushTimer)
      this.flushTimer = this.clock.setTimeout(() => void this.flush(), this.config.flushMs);
  }

  /** Writes everything pending; resolves when InfluxDB has answered (or the attempt failed). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.clock.clearTimer(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return Promise.resolve();
    this.flushing = this.writeBatch().finally(() => {
      this.flushing = undefined;
      this.stats.pending = this.pending.length;
      if (this.pending.length > 0 && !this.closed && !this.flushTimer) {
        this.flushTimer = this.clock.setTimeout(
          () => void this.flush(),
          Math.max(this.backoffMs, this.config.flushMs),
        );
      }
    });
    return this.flushing;
  }

  private async writeBatch(): Promise<void> {
    const batch = this.pending.slice(0, this.config.batchSize);
    try {
      if (!this.dbReady) {
        await this.influx.ensureDatabase();
        this.dbReady = true;
      }
      const res = await this.influx.write(batch);
      if (res.status === 204) {
        this.pending.splice(0, batch.length);
        this.stats.written += batch.length;
        this.backoffMs = 0;
        this.emit('written', batch.length);
        return;
      }
      if (res.status === 400) {
        this.pending.splice(0, batch.length);
        for (const line of batch)
          this.deadLetter(lineRig(line), 'influxdb/write', `InfluxDB 400: ${res.body}`, line);
        return;
      }
      this.retryLater(`InfluxDB ${res.status}: ${res.body.slice(0, 200)}`);
    } catch (err) {
      this.retryLater(`InfluxDB unreachable: ${(err as Error).message}`);
    }
  }

  private retryLater(message: string): void {
    this.stats.retries++;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs ? this.backoffMs * 2 : 500);
    this.fail(message);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimer(this.flushTimer);
    if (this.pending.length > 0) await this.flush().catch(() => undefined);
    await this.client?.endAsync(false);
  }
}

function lineRig(line: string): string | undefined {
  return /,rig=([A-Za-z0-9_-]+)/.exec(line)?.[1];
}
