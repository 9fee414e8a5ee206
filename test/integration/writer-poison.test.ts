/**
 * Hostile input against the writer, on the real Mosquitto and InfluxDB: a poisoned field from another
 * rig, lines InfluxDB refuses mixed with good ones, a server that answers 400 to every write, a
 * dead-lettered seq across a writer restart, and a seq that never arrives. Each time every good sample
 * reaches InfluxDB, only the bad ones are dead-lettered (kept on disk, counted, replayable), and the
 * watermark only moves forward.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { main as bridgeMain } from '../../app/cli/bridge';
import { InfluxHttp } from '../../services/influx-http';
import { InfluxWriter, type WriterStorage } from '../../services/influx-writer';
import { RigPublisher } from '../../services/rig-publisher';
import { RealClock } from '../../src/clock';
import { type Ack, ackSchema } from '../../src/telemetry/schemas';
import { writerConfigSchema } from '../../src/telemetry/writer-config';
import { runCli } from '../support/cli';
import { tempDir } from '../support/temp-dir';

const mqttUrl = inject('mqttUrl');
const influxUrl = inject('influxUrl');
const tag = `${process.pid}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const clock = new RealClock();
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

type Started = { writer: InfluxWriter; alarms: string[]; acks: Map<string, Ack> };
/** Writers of earlier tests still subscribe to every rig: each test's writer starts alone. */
const running: InfluxWriter[] = [];
async function startWriter(
  name: string,
  opts: { db: string; url?: string; storage: WriterStorage },
): Promise<Started> {
  const writer = new InfluxWriter(
    writerConfigSchema.parse({
      brokerUrl: mqttUrl,
      influxUrl: opts.url ?? influxUrl,
      database: opts.db,
      rig: '',
      clientId: `poison-${name}-${tag}`,
      flushMs: 100,
    }),
    clock,
    {},
    opts.storage,
  );
  for (const w of running.splice(0)) await w.close();
  running.push(writer);
  const alarms: string[] = [];
  writer.on('alarm', (m: string) => alarms.push(m));
  const acks = new Map<string, Ack>();
  const watcher = await mqtt.connectAsync(mqttUrl, { clientId: `poison-acks-${name}-${tag}-${Date.now()}` });
  watcher.on('message', (topic, p) => {
    const ack = ackSchema.safeParse(JSON.parse(`${p}`));
    if (ack.success) acks.set(topic.split('/')[2] as string, ack.data);
  });
  await watcher.subscribeAsync('cellrig/v1/+/ack', { qos: 1 });
  const connected = new Promise((r) => writer.once('connect', r));
  writer.start();
  await connected;
  closers.push(
    () => watcher.endAsync(),
    () => writer.close(),
  );
  return { writer, alarms, acks };
}

async function seqsIn(db: string, measurement: string, rig: string): Promise<number[]> {
  const res = await new InfluxHttp({ url: influxUrl, db }).query(
    `SELECT "seq" FROM "${measurement}" WHERE rig = '${rig}'`,
  );
  return (res.results[0]?.series?.[0]?.values ?? []).map((v) => v[1] as number).sort((a, b) => a - b);
}

let raw: MqttClient;
beforeAll(async () => {
  raw = await mqtt.connectAsync(mqttUrl, { clientId: `poison-raw-${tag}` });
  closers.push(() => raw.endAsync());
});
const send = (topic: string, payload: unknown) =>
  raw.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
const TS = 1_790_000_000_000;

describe('poison isolation', () => {
  it('keeps every good sample when another rig poisons a field, and dead-letters only the poison, on disk', async () => {
    const db = `poison_a_${tag}`;
    const dir = tempDir('poison-a');
    const { writer, alarms } = await startWriter('a', { db, storage: { dir } });
    // The message from the review: `counts` as a string, from a rig nobody knows.
    await send('cellrig/v1/evil/ch1/pressure', {
      ts: TS,
      seq: 0,
      pressureMPa: 1,
      forceN: 1,
      counts: 'poison',
    });
    const pub = new RigPublisher({
      url: mqttUrl,
      rigId: `good${tag}`,
      clock,
      journalDir: tempDir('poison-a-pub'),
    });
    closers.push(() => pub.close());
    for (let i = 0; i < 400; i++)
      await pub.publish({
        channel: 'ch1',
        stream: 'pressure',
        fields: { ts: TS + i * 100, pressureMPa: 150, forceN: 11781, counts: 80_000 + i },
      });
    await until(
      '400 good samples in InfluxDB',
      async () => (await seqsIn(db, 'pressure', `good${tag}`)).length === 400,
    );
    expect(await seqsIn(db, 'pressure', `good${tag}`)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(writer.stats.deadLettered).toBe(1);
    expect(alarms.some((a) => /counts/.test(a))).toBe(false); // the letter is an event, not a store failure
    // Kept on disk, listed by the command, with the reason naming the field. Letters are fsynced in
    // batches before the ack that covers them, so the list is read until the batch is on disk.
    type Letter = { payload: string; error: string; rig: string; seq?: number };
    let letters: Letter[] = [];
    await until('the dead letter on disk', async () => {
      const listed = await runCli(bridgeMain, [
        'deadletters',
        'list',
        '--json',
        '--dir',
        join(dir, 'deadletters'),
      ]);
      letters = JSON.parse(listed.out) as Letter[];
      return letters.length > 0;
    });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ rig: 'evil', seq: 0 });
    expect(letters[0]?.error).toMatch(/counts/);
    expect(JSON.parse(letters[0]?.payload ?? '{}')).toMatchObject({ counts: 'poison' });
  });

  it('narrows a 400 to the refused lines, writes their batch-mates, and replays the letters once the conflict is gone', async () => {
    const db = `poison_b_${tag}`;
    const dir = tempDir('poison-b');
    const influx = new InfluxHttp({ url: influxUrl, db });
    await influx.ensureDatabase();
    // An older tool wrote `retention` as a string into this shard: every float `retention` is now refused.
    expect((await influx.write([`cycle,rig=old,channel=ch1 retention="x" ${TS}000000`])).status).toBe(204);
    const { writer } = await startWriter('b', { db, storage: { dir } });
    for (let i = 0; i < 60; i++) {
      // One message mixes both: a refused cycle and a good pressure sample of another stream.
      await Promise.all([
        send(`cellrig/v1/b${tag}/ch1/cycle`, { ts: TS + i, seq: i, cycle: i, retention: 0.99 }),
        send(`cellrig/v1/c${tag}/ch1/pressure`, { ts: TS + i, seq: i, pressureMPa: 150, forceN: 11781 }),
      ]);
    }
    await until('60 good points', async () => (await seqsIn(db, 'pressure', `c${tag}`)).length === 60);
    await until('60 dead letters', () => writer.stats.deadLettered === 60);
    expect(await seqsIn(db, 'cycle', `b${tag}`)).toEqual([]);
    await writer.close();
    // The operator drops the conflicting measurement, then replays.
    await influx.query('DROP MEASUREMENT "cycle"');
    process.env.INFLUX_URL = influxUrl;
    process.env.INFLUX_DB = db;
    const replay = await runCli(bridgeMain, ['deadletters', 'replay', '--dir', join(dir, 'deadletters')]);
    delete process.env.INFLUX_URL;
    delete process.env.INFLUX_DB;
    expect(replay.out).toMatch(/replayed 60 dead letters, 0 still refused/);
    expect(await seqsIn(db, 'cycle', `b${tag}`)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const again = await runCli(bridgeMain, ['deadletters', 'list', '--dir', join(dir, 'deadletters')]);
    expect(again.out).toMatch(/0 dead letters kept \(60 replayed\)/);
  });

  it('loses nothing to a server that answers /query 200 and /write 400 to everything', async () => {
    const liar: Server = createServer((req, res) => {
      req.resume();
      const refuse = req.url?.startsWith('/write');
      res.writeHead(refuse ? 400 : 200, { 'content-type': 'application/json' });
      res.end(
        refuse
          ? '{"error":"partial write: field type conflict: input field \\"seq\\" is type float dropped=1"}'
          : '{"results":[{"statement_id":0}]}',
      );
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', () => r()));
    const port = (liar.address() as { port: number }).port;
    closers.push(() => new Promise((r) => liar.close(r)));
    const db = `poison_c_${tag}`;
    const dir = tempDir('poison-c');
    const rig = `liar${tag}`;
    const first = await startWriter('c', { db, url: `http://127.0.0.1:${port}`, storage: { dir } });
    // Replays after 1 s of a stalled watermark (10 s by default), to keep the test short.
    const pub = new RigPublisher({
      url: mqttUrl,
      rigId: rig,
      clock,
      journalDir: tempDir('poison-c-pub'),
      replayAfterMs: 1000,
    });
    closers.push(() => pub.close());
    for (let i = 0; i < 50; i++)
      await pub.publish({
        channel: 'ch1',
        stream: 'pressure',
        fields: { ts: TS + i, pressureMPa: 150, forceN: 11781 },
      });
    await until('the writer tried', () => first.writer.stats.retries >= 2);
    await sleep(1500);
    expect(first.writer.stats.deadLettered).toBe(0);
    expect(first.alarms.some((a) => /400/.test(a))).toBe(true);
    expect(first.acks.get(rig)?.streams['ch1/pressure'] ?? -1).toBe(-1);
    expect(pub.journal.firstIndex).toBe(0); // nothing left the journal
    await first.writer.close();
    // The real InfluxDB behind the same writer state: all 50 arrive.
    await startWriter('c', { db, storage: { dir } });
    await until('50 points', async () => (await seqsIn(db, 'pressure', rig)).length === 50, 30_000);
  }, 60_000);
});

describe('watermark', () => {
  it('keeps a dead-lettered seq passed across a writer restart (InfluxDB alone shows a hole there)', async () => {
    const db = `poison_d_${tag}`;
    const dir = tempDir('poison-d');
    const rig = `wm${tag}`;
    const one = await startWriter('d', { db, storage: { dir } });
    for (let seq = 0; seq < 10; seq++)
      await send(`cellrig/v1/${rig}/ch1/pressure`, {
        ts: TS + seq,
        seq,
        pressureMPa: seq === 5 ? 'x' : 1,
        forceN: 1,
      });
    await until('mark 9', () => one.acks.get(rig)?.streams['ch1/pressure'] === 9);
    await one.writer.close();
    const two = await startWriter('d', { db, storage: { dir } });
    await until('an ack after the restart', () => two.acks.get(rig) !== undefined);
    await sleep(1200);
    expect(two.acks.get(rig)?.streams['ch1/pressure']).toBe(9);
    expect(await seqsIn(db, 'pressure', rig)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
  });

  it('passes a seq that never arrives as a gap, says so, and still writes it when it comes late', async () => {
    const db = `poison_e_${tag}`;
    const rig = `gap${tag}`;
    const w = await startWriter('e', { db, storage: { dir: tempDir('poison-e'), gapAfterMs: 1500 } });
    for (let seq = 0; seq <= 20; seq++)
      if (seq !== 5)
        await send(`cellrig/v1/${rig}/ch1/pressure`, { ts: TS + seq, seq, pressureMPa: 1, forceN: 1 });
    // However long the sends and writes take (a loaded machine takes longer than gapAfterMs), the one
    // missing seq is one gap: holes left by writes that finish out of order are not passed.
    await until('mark 20', () => w.acks.get(rig)?.streams['ch1/pressure'] === 20);
    expect(w.acks.get(rig)?.gaps).toEqual({ 'ch1/pressure': [[5, 5]] });
    expect(w.alarms.filter((a) => /never arrived/.test(a))).toEqual([
      expect.stringMatching(/ seq 5 never arrived /),
    ]);
    expect(w.writer.stats.gaps).toBe(1);
    await send(`cellrig/v1/${rig}/ch1/pressure`, { ts: TS + 5, seq: 5, pressureMPa: 1, forceN: 1 });
    await until('seq 5 written', async () => (await seqsIn(db, 'pressure', rig)).length === 21);
    await until('the gap closed', () => w.acks.get(rig)?.gaps === undefined);
  });
});
