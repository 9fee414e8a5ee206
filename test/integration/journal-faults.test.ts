/**
 * The rig's journal under damage, end to end through the real Mosquitto, the writer and the real
 * InfluxDB: an overwritten record, a full disk with a torn (short) write, and a forged ack. Every
 * intact record arrives, nothing written before the tear or after the disk frees is lost, and a forged
 * ack changes nothing.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InfluxHttp } from '../../services/influx-http';
import { InfluxWriter } from '../../services/influx-writer';
import { RigPublisher } from '../../services/rig-publisher';
import { RealClock } from '../../src/clock';
import { writerConfigSchema } from '../../src/telemetry/writer-config';
import { FaultyDisk } from '../support/faulty-disk';
import { tempDir } from '../support/temp-dir';

const mqttUrl = inject('mqttUrl');
const db = `cellrig_jfault_${process.pid}`;
const clock = new RealClock();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const influx = new InfluxHttp({ url: inject('influxUrl'), db });
let writer: InfluxWriter;
const open: RigPublisher[] = [];

beforeAll(async () => {
  writer = new InfluxWriter(
    writerConfigSchema.parse({
      brokerUrl: mqttUrl,
      influxUrl: inject('influxUrl'),
      database: db,
      rig: '',
      clientId: `jfault-writer-${process.pid}`,
      flushMs: 100,
    }),
    clock,
    {},
    { dir: tempDir('jfault-writer') },
  );
  const connected = new Promise((r) => writer.once('connect', r));
  writer.start();
  await connected;
});
afterAll(async () => {
  for (const p of open) await p.close().catch(() => undefined);
  await writer.close();
});

function publisher(rigId: string, journalDir: string, url = mqttUrl, fs?: FaultyDisk): RigPublisher {
  const p = new RigPublisher({
    url,
    rigId,
    clock,
    journalDir,
    replayAfterMs: 1000,
    journal: fs ? { fs } : {},
  });
  open.push(p);
  return p;
}
const sample = (i: number) => ({
  channel: 'ch1',
  stream: 'pressure',
  fields: { ts: 1_790_000_000_000 + i * 100, pressureMPa: 150, forceN: 11781 },
});

async function seqs(rig: string): Promise<number[]> {
  const r = await influx.query(`SELECT "seq" FROM "pressure" WHERE rig = '${rig}'`);
  return (r.results[0]?.series?.[0]?.values ?? []).map((v) => v[1] as number).sort((a, b) => a - b);
}
async function until(ok: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && !(await ok())) await sleep(100);
}

describe('journal faults, end to end', () => {
  it('delivers every intact record after one was overwritten on disk, and reports the damage', async () => {
    const rig = `jc${process.pid}`;
    const dir = tempDir('jfault-corrupt');
    // Journaled while the broker is unreachable, then the segment is damaged in the middle.
    const offline = publisher(rig, dir, 'mqtt://127.0.0.1:9');
    for (let i = 0; i < 300; i++) await offline.publish(sample(i));
    await offline.close();
    const seg = join(dir, readdirSync(dir).find((f) => f.startsWith('seg-')) as string);
    const bytes = readFileSync(seg);
    bytes.fill(0x58, 9000, 9030);
    writeFileSync(seg, bytes);
    const online = publisher(rig, dir);
    const alarms: string[] = [];
    online.on('alarm', (m: string) => alarms.push(m));
    const intact = [...Array(300).keys()].filter((i) => online.journal.read(i) !== undefined);
    expect(intact.length).toBeGreaterThanOrEqual(298);
    await until(async () => (await seqs(rig)).length === intact.length);
    expect(await seqs(rig)).toEqual(intact);
    expect(alarms.some((a) => /skipped \d+ bytes at offset/.test(a))).toBe(true);
  });

  it('loses nothing written before a torn write on a full disk, nor anything after the disk frees', async () => {
    const rig = `jd${process.pid}`;
    const dir = tempDir('jfault-disk');
    const disk = new FaultyDisk();
    const pub = publisher(rig, dir, mqttUrl, disk);
    for (let i = 0; i < 100; i++) await pub.publish(sample(i));
    disk.room = 25; // the next record is torn
    const refused: string[] = [];
    for (let i = 100; i < 110; i++) await pub.publish(sample(i)).catch((e: Error) => refused.push(e.message));
    expect(refused).toHaveLength(10);
    expect(refused[0]).toMatch(/short write/);
    expect(refused[1]).toMatch(/ENOSPC/);
    disk.free();
    for (let i = 110; i < 210; i++) await pub.publish(sample(i));
    await pub.close();
    // A restart reads the journal back from the disk: no damage, every accepted sample there once.
    const again = publisher(rig, dir);
    const alarms: string[] = [];
    again.on('alarm', (m: string) => alarms.push(m));
    await until(async () => (await seqs(rig)).length === 200);
    expect(await seqs(rig)).toEqual([...Array(200).keys()]);
    expect(again.journal.peekSeq('ch1/pressure')).toBe(200);
    expect(alarms.filter((a) => /skipped/.test(a))).toEqual([]);
  });

  it('refuses a forged ack beyond what the rig has sent, with an alarm, and keeps streaming', async () => {
    const rig = `jf${process.pid}`;
    const pub = publisher(rig, tempDir('jfault-forge'));
    const alarms: string[] = [];
    pub.on('alarm', (m: string) => alarms.push(m));
    for (let i = 0; i < 50; i++) await pub.publish(sample(i));
    await until(async () => (await seqs(rig)).length === 50);
    const forger = await mqtt.connectAsync(mqttUrl, { clientId: `forger-${process.pid}` });
    const forged = JSON.stringify({
      ts: Date.now(),
      ok: true,
      pending: 0,
      streams: { 'ch1/pressure': 9007199254740989 },
    });
    await forger.publishAsync(`cellrig/v1/${rig}/ack`, forged, { qos: 1, retain: true });
    await forger.endAsync();
    await until(() => alarms.some((a) => /ack refused/.test(a)));
    expect(alarms.find((a) => /ack refused/.test(a))).toMatch(
      /9007199254740989, but this rig has issued only up to 49/,
    );
    expect(pub.journal.peekSeq('ch1/pressure')).toBe(50);
    for (let i = 50; i < 100; i++) await pub.publish(sample(i));
    await until(async () => (await seqs(rig)).length === 100);
    expect(await seqs(rig)).toEqual([...Array(100).keys()]);
  });
});
