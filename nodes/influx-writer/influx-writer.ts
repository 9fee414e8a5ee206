/**
 * `influx-writer` node: subscribes to cellrig/v1/#, validates samples and writes them to InfluxDB.
 * Dead letters (a sample its stream's schema refuses, a line InfluxDB refuses) are kept on disk in
 * <userDir>/writer/<client id>/deadletters, counted on the status, announced on
 * cellrig/v1/<rig>/deadletter and sent to the output.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { InfluxWriter } from '../../services/influx-writer';
import { writerConfigSchema } from '../../src/telemetry/writer-config';
import { clockFor, registerNode, short, status, validateConfig } from '../shared/node-support';

type WriterDef = NodeDef & {
  broker: string;
  influxUrl: string;
  database: string;
  rig: string;
  clientId: string;
  batchSize: string | number;
  flushMs: string | number;
};
type WriterCredentials = {
  username?: string;
  password?: string;
  influxUser?: string;
  influxPassword?: string;
};

export default function register(RED: NodeAPI): void {
  function InfluxWriterNode(this: Node<WriterCredentials>, def: WriterDef) {
    RED.nodes.createNode(this, def);
    const config = validateConfig(
      this,
      writerConfigSchema,
      {
        brokerUrl: def.broker ?? '',
        influxUrl: def.influxUrl ?? '',
        database: def.database ?? '',
        rig: def.rig ?? '',
        clientId: def.clientId ?? '',
        batchSize: def.batchSize || undefined,
        flushMs: def.flushMs || undefined,
      },
      `influx-writer "${def.name || def.id}"`,
    );
    if (!config) return;
    if (!config.influxUrl || !config.brokerUrl) {
      this.status(status.idle(!config.influxUrl ? 'no InfluxDB URL: idle' : 'no broker URL: idle'));
      return;
    }
    const clock = clockFor(RED);
    // The node's credentials, else the launcher's environment (containers pass secrets that way).
    const c = this.credentials ?? {};
    const dir = join(RED.settings.userDir ?? join(tmpdir(), 'cellrig'), 'writer', config.clientId);
    const writer = new InfluxWriter(
      config,
      clock,
      {
        // The launcher's embedded broker gives the in-process writer its own login (MQTT_WRITER_*).
        username: c.username || process.env.MQTT_WRITER_USER || process.env.MQTT_USER,
        password: c.password || process.env.MQTT_WRITER_PASSWORD || process.env.MQTT_PASSWORD,
        influxUser: c.influxUser || process.env.INFLUX_USER,
        influxPassword: c.influxPassword || process.env.INFLUX_PASSWORD,
        influxReadUser: process.env.INFLUX_READ_USER,
        influxReadPassword: process.env.INFLUX_READ_PASSWORD,
      },
      { dir },
    );
    const show = () => {
      const s = writer.stats;
      const text = `${s.written} written${s.pending ? `, ${s.pending} pending` : ''}`;
      const letters = s.deadLettered ? `, ${s.deadLettered} dead-lettered` : '';
      if (s.lastError && s.pending > 0) this.status(status.warn(short(`${s.lastError}`)));
      // Dead letters are an alarm until someone looks (`cellrig bridge deadletters list --dir ...`).
      else if (s.deadLettered || s.deadLetterFailures) this.status(status.error(short(`${text}${letters}`)));
      else this.status(status.ok(text));
    };
    let lastWarn = 0;
    writer.on('written', () => {
      writer.stats.lastError = undefined;
      show();
    });
    writer.on('problem', (message: string) => {
      this.status(status.warn(short(message)));
    });
    writer.on('alarm', (message: string) => {
      this.error(message);
      this.status(status.error(short(message)));
    });
    writer.on('deadletter', (letter: { id?: number; topic: string; error: string }) => {
      this.send({ topic: 'deadletter', payload: letter });
      // Logged at most once a second: a flood of bad messages must not flood the log.
      if (Date.now() - lastWarn >= 1000) {
        lastWarn = Date.now();
        this.warn(
          `dead letter #${letter.id} (${writer.stats.deadLettered} in all, kept in ${join(dir, 'deadletters')}): ${letter.topic}: ${letter.error.slice(0, 200)}`,
        );
      }
      show();
    });
    writer.on('connect', show);
    writer.on('offline', () => this.status(status.warn('broker offline')));
    this.status(status.idle('connecting'));
    writer.start();
    this.on('close', (done: () => void) => {
      writer.close().then(
        () => {
          this.status({});
          done();
        },
        () => done(),
      );
    });
  }
  registerNode(RED, 'influx-writer', InfluxWriterNode, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
      influxUser: { type: 'text' },
      influxPassword: { type: 'password' },
    },
  });
}
