/**
 * A rig's MQTT link: QoS 1 publishing of validated samples on cellrig/v1/<rig>/<channel>/<stream>, a
 * per-stream sequence number, and the retained rig status with an `offline` last will, so a dashboard
 * knows a rig is gone even when its Pi loses power.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { Clock } from '../src/clock';
import { idSchema } from '../src/rig/config';
import { type RigStatus, type Sample, schemaForStream } from '../src/telemetry/schemas';
import { rigTopic, streamTopic } from '../src/telemetry/topics';

export type RigPublisherOptions = {
  url: string;
  rigId: string;
  clock: Clock;
  username?: string;
  password?: string;
};

export type PublishInput = { channel: string; stream: string; fields: Record<string, unknown> };

export class RigPublisher extends EventEmitter {
  private readonly client: MqttClient;
  private readonly seqs = new Map<string, number>();
  private closing = false;

  constructor(private readonly options: RigPublisherOptions) {
    super();
    const status = (state: RigStatus['state']) => this.statusMessage(state);
    this.client = mqtt.connect(options.url, {
      clientId: `cellrig-${options.rigId}-edge`,
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
    this.client.on('connect', () => {
      this.client.publish(rigTopic(options.rigId, 'status'), status('online'), { qos: 1, retain: true });
      this.emit('connect');
    });
    this.client.on('offline', () => this.emit('offline'));
    this.client.on('error', (err) => this.emit('error', err));
  }

  private statusMessage(state: RigStatus['state']): string {
    return JSON.stringify({
      state,
      ts: this.options.clock.now(),
      rig: this.options.rigId,
    } satisfies RigStatus);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Validates, numbers and publishes one sample; rejects with the failing field named. */
  publish({ channel, stream, fields }: PublishInput): Promise<Sample> {
    const ids = [idSchema.safeParse(channel), idSchema.safeParse(stream)];
    const badId = ids.findIndex((r) => !r.success);
    if (badId >= 0) {
      const which = badId === 0 ? 'channel' : 'stream';
      return Promise.reject(
        new Error(`${which} '${badId === 0 ? channel : stream}' is not a valid topic level`),
      );
    }
    const key = `${channel}/${stream}`;
    const seq = this.seqs.get(key) ?? 0;
    const candidate = {
      ...fields,
      ts: typeof fields.ts === 'number' ? fields.ts : this.options.clock.now(),
      seq,
    };
    const parsed = schemaForStream(stream).safeParse(candidate);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
      return Promise.reject(new Error(`${stream} sample rejected: ${why}`));
    }
    this.seqs.set(key, seq + 1);
    const sample = parsed.data;
    return new Promise((resolve, reject) => {
      this.client.publish(
        streamTopic(this.options.rigId, channel, stream),
        JSON.stringify(sample),
        { qos: 1 },
        (err) => (err ? reject(err) : resolve(sample)),
      );
    });
  }

  /** Publishes the retained `offline` status, then disconnects cleanly (no last will). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
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
    await this.client.endAsync(false);
  }
}
