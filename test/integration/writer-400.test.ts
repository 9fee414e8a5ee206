/**
 * A point InfluxDB refuses (400, here a field-type conflict) costs only itself: its batch-mates are
 * written, it is dead-lettered, and the stream's watermark moves past it, so nothing waits for it forever.
 */
import mqtt from 'mqtt';
import { afterAll, expect, inject, it } from 'vitest';
import { InfluxHttp } from '../../services/influx-http';
import { InfluxWriter } from '../../services/influx-writer';
import { RealClock } from '../../src/clock';
import { ackSchema } from '../../src/telemetry/schemas';
import { writerConfigSchema } from '../../src/telemetry/writer-config';

const rig = `w400${process.pid}`;
const db = `cellrig_w400_${process.pid}`;
const writer = new InfluxWriter(
  writerConfigSchema.parse({
    brokerUrl: inject('mqttUrl'),
    influxUrl: inject('influxUrl'),
    database: db,
    rig,
    clientId: `w400-${process.pid}`,
    flushMs: 200,
  }),
  new RealClock(),
);
afterAll(() => writer.close());

it('dead-letters only the refused point and moves the watermark past it', async () => {
  const connected = new Promise((r) => writer.once('connect', r));
  writer.start();
  await connected;
  const client = await mqtt.connectAsync(inject('mqttUrl'), { clientId: `w400-pub-${process.pid}` });
  const acks: unknown[] = [];
  client.on('message', (_t, p) => acks.push(ackSchema.parse(JSON.parse(`${p}`))));
  await client.subscribeAsync(`cellrig/v1/${rig}/ack`, { qos: 1 });
  const ts = Date.now();
  // `mode` is a float in this measurement from the first point on...
  await client.publishAsync(`cellrig/v1/${rig}/ch1/state`, JSON.stringify({ ts, seq: 0, mode: 1 }), {
    qos: 1,
  });
  await new Promise((r) => setTimeout(r, 600));
  // ...so seq 3 (a string) is refused; seqs 1..6 go out as one batch of six.
  const samples = [1, 2, 3, 4, 5, 6].map((seq) => ({ ts: ts + seq, seq, mode: seq === 3 ? 'manual' : seq }));
  await client.publishAsync(`cellrig/v1/${rig}/ch1/state`, JSON.stringify(samples), { qos: 1 });
  const end = Date.now() + 10_000;
  const mark = () => (acks.at(-1) as { streams: Record<string, number> } | undefined)?.streams['ch1/state'];
  while (Date.now() < end && mark() !== 6) await new Promise((r) => setTimeout(r, 100));
  await client.endAsync();
  expect(mark()).toBe(6);
  expect(writer.stats.deadLettered).toBe(1);
  const res = await new InfluxHttp({ url: inject('influxUrl'), db }).query('SELECT "seq" FROM "state"');
  expect(res.results[0]?.series?.[0]?.values.map((v) => v[1])).toEqual([0, 1, 2, 4, 5, 6]);
});
