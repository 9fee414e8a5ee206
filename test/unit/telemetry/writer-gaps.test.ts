/**
 * The writer's gap timer on rig time: the writer runs on a virtual clock against an in-process broker and
 * an InfluxDB stand-in whose writes answer only when the test says, so how long a write takes is chosen
 * here, not by the machine's load.
 */
import { createServer, type Server } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../../services/embedded-broker';
import { InfluxWriter } from '../../../services/influx-writer';
import { VirtualClock } from '../../../src/clock';
import { type Ack, ackSchema } from '../../../src/telemetry/schemas';
import { writerConfigSchema } from '../../../src/telemetry/writer-config';
import { tempDir } from '../../support/temp-dir';

const RIG = 'rig1';
const TOPIC = `cellrig/v1/${RIG}/ch1/pressure`;
const WRITER_ID = 'gaps-writer';

/** A write the stand-in received: its seqs, and how to answer it (204 unless told). */
type HeldWrite = { seqs: number[]; answer(status?: number): void };

/** InfluxDB's v1 API as far as the writer uses it: empty queries, and writes that wait for an answer. */
async function influxStandIn(): Promise<{ url: string; writes: HeldWrite[]; close(): Promise<void> }> {
  const writes: HeldWrite[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.startsWith('/write')) {
        const seqs = [...`${Buffer.concat(chunks)}`.matchAll(/\bseq=(\d+)i/g)].map((m) => Number(m[1]));
        writes.push({
          seqs,
          answer: (status = 204) => {
            if (!res.headersSent) res.writeHead(status).end();
          },
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: [{ statement_id: 0 }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    writes,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** Waits, in real time, for I/O the test started (a publish, a write reaching the stand-in). */
async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let broker: EmbeddedBroker;
let influx: Awaited<ReturnType<typeof influxStandIn>>;
let rig: MqttClient;
let writer: InfluxWriter;
let clock: VirtualClock;
const alarms: string[] = [];
const acks: Ack[] = [];

beforeEach(async () => {
  alarms.length = 0;
  acks.length = 0;
  // Only the writer's login may publish acks.
  broker = await startEmbeddedBroker('127.0.0.1', 0, { users: { writer: 'pw' }, writerUser: 'writer' });
  influx = await influxStandIn();
  rig = await mqtt.connectAsync(broker.url, { clientId: 'gaps-rig' });
  // The broker announces each subscription: samples sent before the writer's would reach nobody.
  let subscribed = false;
  rig.on('message', (topic, payload) => {
    if (topic.endsWith('/ack')) acks.push(ackSchema.parse(JSON.parse(`${payload}`)));
    else if (JSON.parse(`${payload}`).clientId === WRITER_ID) subscribed = true;
  });
  await rig.subscribeAsync([`cellrig/v1/${RIG}/ack`, '$SYS/+/new/subscribes'], { qos: 1 });
  clock = new VirtualClock();
  writer = new InfluxWriter(
    writerConfigSchema.parse({
      brokerUrl: broker.url,
      influxUrl: influx.url,
      database: 'gaps',
      rig: '',
      clientId: WRITER_ID,
      flushMs: 100,
    }),
    clock,
    { username: 'writer', password: 'pw' },
    { dir: tempDir('writer-gaps'), gapAfterMs: 1500 },
  );
  writer.on('alarm', (m: string) => alarms.push(m));
  writer.start();
  await until('the writer subscribed', () => subscribed);
});

afterEach(async () => {
  for (const w of influx.writes) w.answer();
  await writer.close();
  await rig.endAsync();
  await broker.close();
  await influx.close();
});

/** Sends these seqs, one message each, and waits until the writer has them. */
async function send(...seqs: number[]): Promise<void> {
  const received = writer.stats.received;
  for (const seq of seqs) {
    const sample = { ts: 1_790_000_000_000 + seq, seq, pressureMPa: 1, forceN: 1 };
    await rig.publishAsync(TOPIC, JSON.stringify(sample), { qos: 1 });
  }
  await until('the writer received them', () => writer.stats.received === received + seqs.length);
}

/** Sends these seqs and lets the writer's flush timer start their write. */
async function sendAndFlush(...seqs: number[]): Promise<HeldWrite> {
  const writes = influx.writes.length;
  await send(...seqs);
  await clock.tick(100);
  await until('their write', () => influx.writes.length === writes + 1);
  const write = influx.writes[writes] as HeldWrite;
  expect(write.seqs).toEqual(seqs);
  return write;
}

async function answered(write: HeldWrite): Promise<void> {
  const written = writer.stats.written;
  write.answer();
  await until('the write settled', () => writer.stats.written === written + write.seqs.length);
}

it('passes a seq that never arrived as one gap, not the later seqs still being written to InfluxDB', async () => {
  await answered(await sendAndFlush(0, 1, 2, 3, 4, 6)); // seq 5 never comes
  const slow = await sendAndFlush(7); // InfluxDB takes its time with this one
  await answered(await sendAndFlush(8));
  await clock.tick(6000); // seq 5 is passed after its 1.5 s; the write of 7 stays out 3 s longer
  expect(writer.stats.gaps).toBe(1);
  expect(alarms.filter((a) => /never arrived/.test(a))).toEqual([
    `${RIG} ch1/pressure: seq 5 never arrived (waited 2 s): passed as lost`,
  ]);
  await answered(slow);
  await clock.tick(1000);
  await until('an ack of mark 8', () => acks.at(-1)?.streams['ch1/pressure'] === 8);
  expect(acks.at(-1)?.gaps).toEqual({ 'ch1/pressure': [[5, 5]] });
  expect(writer.stats.gaps).toBe(1);
});

it('does not pass a replayed seq as lost while it waits in the writer behind slow writes', async () => {
  await answered(await sendAndFlush(0, 1, 2, 3, 4, 6)); // a hole at 5
  const slow = [await sendAndFlush(7), await sendAndFlush(8), await sendAndFlush(9), await sendAndFlush(10)];
  await send(5); // the publisher's replay: it waits, four writes are out already
  await clock.tick(6000);
  expect(influx.writes).toHaveLength(5);
  expect(writer.stats.gaps).toBe(0);
  for (const w of slow) await answered(w);
  await clock.tick(100); // the flush timer the first answer armed
  await until('the write of 5', () => influx.writes.length === 6);
  await answered(influx.writes[5] as HeldWrite);
  await clock.tick(1000);
  await until('an ack of mark 10', () => acks.at(-1)?.streams['ch1/pressure'] === 10);
  expect(acks.at(-1)?.gaps).toBeUndefined();
  expect(alarms).toEqual([]);
});
