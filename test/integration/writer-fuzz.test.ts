/**
 * 100,000 malformed payloads through the real Mosquitto into the writer: no crash, memory bounded,
 * every one counted and dead-lettered, nothing written.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { InfluxHttp } from '../../services/influx-http';
import { InfluxWriter } from '../../services/influx-writer';
import { RealClock } from '../../src/clock';
import { seededRandom } from '../../src/random';
import { writerConfigSchema } from '../../src/telemetry/writer-config';
import { type Mosquitto, startMosquitto } from '../support/services';
import { tempDir } from '../support/temp-dir';

const N = 100_000;
const db = `cellrig_fuzz_${process.pid}`;
const rng = seededRandom(2026);
const good = () => ({
  ts: 1_790_000_000_000 + rng.int(0, 1e6),
  seq: rng.int(0, 1000),
  pressureMPa: 150,
  forceN: 11781,
});

/** One malformed message of a random kind: [topic, payload]. */
function malformed(i: number): [string, Buffer | string] {
  const topic = `cellrig/v1/fuzz/ch${i % 8}/pressure`;
  // Huge payloads are one in a hundred: enough to prove the size limit without moving gigabytes.
  if (i % 100 === 2)
    return [topic, JSON.stringify({ ...good(), pressureMPa: Array.from({ length: 20_000 }, () => 1.5) })];
  switch (i % 10) {
    case 0:
      return [topic, Buffer.from(Array.from({ length: rng.int(1, 200) }, () => rng.int(0, 255)))];
    case 1:
      return [topic, JSON.stringify({ ...good(), seq: 'seven' })];
    case 2:
      return [topic, JSON.stringify({ ...good(), pressureMPa: [1, 2, 3] })];
    case 3: {
      let deep: unknown = 1;
      for (let d = 0; d < 500; d++) deep = { d: deep };
      return [topic, JSON.stringify({ ...good(), forceN: deep })];
    }
    case 4:
      return [`cellrig/v1/ríg-ü${i}/ch1/pressure`, JSON.stringify(good())];
    case 5:
      return [`cellrig/v1/fuzz/ch 1/pressure`, JSON.stringify(good())];
    case 6:
      return [topic, JSON.stringify({ ...good(), ts: -1 })];
    case 7:
      return [topic, JSON.stringify([{ ...good(), seq: -1 }])]; // a batch whose one sample is bad
    case 8:
      return [`cellrig/v1/fuzz/a/b/c/d`, JSON.stringify(good())];
    default:
      return [topic, JSON.stringify({ ...good(), ['𝔵'.repeat(3)]: 1 })];
  }
}

let writer: InfluxWriter;
// A broker of its own: the writer listens to every rig, so other files' rigs on the shared broker
// would land in its counts.
let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
  const config = writerConfigSchema.parse({
    brokerUrl: broker.url,
    influxUrl: inject('influxUrl'),
    database: db,
    rig: '',
    clientId: `fuzz-writer-${process.pid}`,
  });
  writer = new InfluxWriter(config, new RealClock(), {}, { dir: tempDir('fuzz-writer') });
  const connected = new Promise((r) => writer.once('connect', r));
  writer.start();
  await connected;
});
afterAll(async () => {
  await writer?.close();
  await broker?.stop();
});

it('counts and dead-letters every one of 100,000 malformed payloads, with bounded memory', async () => {
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let peak = heap0;
  const fuzzer = await mqtt.connectAsync(broker.url, { clientId: `fuzzer-${process.pid}` });
  for (let i = 0; i < N; i += 1000) {
    await Promise.all(
      Array.from({ length: 1000 }, (_, k) => {
        const [topic, payload] = malformed(i + k);
        return fuzzer.publishAsync(topic, payload, { qos: 1 });
      }),
    );
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  await fuzzer.endAsync();
  const deadline = Date.now() + 60_000;
  while (writer.stats.received < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  expect(writer.stats).toMatchObject({ received: N, deadLettered: N, written: 0, pending: 0 });
  const res = await new InfluxHttp({ url: inject('influxUrl'), db }).query('SELECT count(*) FROM /.*/');
  expect(res.results[0]?.series).toBeUndefined();
  // Bounded: the writer keeps nothing per bad message (a generous bound for GC timing).
  expect((peak - heap0) / 2 ** 20).toBeLessThan(300);
  console.log(`writer fuzz: ${N} payloads, heap +${((peak - heap0) / 2 ** 20).toFixed(0)} MiB at peak`);
}, 180_000);
