/**
 * The default flow (flows/rig.json) on the simulated rig, against the real Mosquitto and InfluxDB the
 * test run started: every channel's pressure reaches InfluxDB, the MQTT payloads match their schema,
 * and a malformed payload is dead-lettered, counted and never written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InfluxHttp } from '../../services/influx-http';
import { deadLetterSchema, pressureSampleSchema, rigStatusSchema } from '../../src/telemetry/schemas';
import { type FlowNode, helper, packageNodeModules, startFlow, stopFlow } from '../support/node-red';

// Core nodes the default flow uses besides cellrig's own.
const coreNode = (file: string) => require(join(require.resolve('@node-red/nodes/package.json'), '..', file));
const core = [
  'core/common/21-debug.js',
  'core/common/90-comment.js',
  'core/common/20-inject.js',
  'core/common/60-link.js',
  'core/function/10-switch.js',
].map(coreNode);
/** FlowFuse Dashboard's nodes, for the default flow's Panel tab. */
const dashboard = () => {
  const pkg = require('@flowfuse/node-red-dashboard/package.json') as {
    'node-red': { nodes: Record<string, string> };
  };
  const dir = join(require.resolve('@flowfuse/node-red-dashboard/package.json'), '..');
  return Object.values(pkg['node-red'].nodes).map((file) => require(join(dir, file)));
};

const rig = `itest${process.pid}`;
const db = `cellrig_default_flow_${process.pid}`;
const flow = JSON.parse(readFileSync(join(__dirname, '../../flows/rig.json'), 'utf8')) as FlowNode[];
const influx = () => new InfluxHttp({ url: inject('influxUrl'), db });

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('default flow against real Mosquitto and InfluxDB', () => {
  const seen: { topic: string; payload: string }[] = [];
  let watcher: mqtt.MqttClient;

  beforeAll(async () => {
    process.env.MQTT_URL = inject('mqttUrl');
    process.env.INFLUX_URL = inject('influxUrl');
    process.env.INFLUX_DB = db;
    process.env.RIG_ID = rig;
    watcher = await mqtt.connectAsync(inject('mqttUrl'), { clientId: `watch-${process.pid}` });
    watcher.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    await watcher.subscribeAsync(`cellrig/v1/${rig}/#`, { qos: 1 });
    await startFlow([...core, ...dashboard(), ...(await packageNodeModules())], flow);
  });

  afterAll(async () => {
    await stopFlow();
    await watcher.endAsync();
  });

  it('finds each channel pressure series in InfluxDB, tagged with rig, channel, cell and coating', async () => {
    const series = await until('three pressure series', async () => {
      const res = await influx()
        .query(
          `SELECT count(pressureMPa), mean(pressureMPa), max(seq) FROM pressure WHERE rig = '${rig}' GROUP BY channel, cell, coating`,
        )
        .catch(() => undefined);
      const s = res?.results[0]?.series ?? [];
      return s.length === 3 && s.every((x) => Number(x.values[0]?.[1]) >= 2) ? s : undefined;
    });
    const byChannel = Object.fromEntries(series.map((s) => [s.tags?.channel, s]));
    expect(Object.keys(byChannel).sort()).toEqual(['ch1', 'ch2', 'ch3']);
    expect(byChannel.ch1?.tags).toMatchObject({ cell: 'pristine-NMC811', coating: 'pristine' });
    expect(byChannel.ch3?.tags).toMatchObject({ cell: 'TFAA-NMC811', coating: 'TFAA-2wt%' });
    for (const s of series) expect(Number(s.values[0]?.[2])).toBeGreaterThan(145);
    // seq is an integer field: SHOW FIELD KEYS reports its frozen type.
    const keys = await influx().query('SHOW FIELD KEYS FROM pressure');
    const types = Object.fromEntries(keys.results[0]?.series?.[0]?.values.map((v) => [v[0], v[1]]) ?? []);
    expect(types).toMatchObject({ seq: 'integer', pressureMPa: 'float', forceN: 'float' });
  });

  it('publishes schema-valid pressure samples with ts and consecutive seq, and a retained online status', async () => {
    await until('two samples per channel', async () => {
      const per = ['ch1', 'ch2', 'ch3'].map(
        (ch) => seen.filter((m) => m.topic === `cellrig/v1/${rig}/${ch}/pressure`).length,
      );
      return per.every((n) => n >= 2) ? true : undefined;
    });
    for (const ch of ['ch1', 'ch2', 'ch3']) {
      const samples = seen
        .filter((m) => m.topic === `cellrig/v1/${rig}/${ch}/pressure`)
        .map((m) => pressureSampleSchema.parse(JSON.parse(m.payload)));
      for (let i = 1; i < samples.length; i++) {
        expect(samples[i]!.seq).toBe(samples[i - 1]!.seq + 1);
        expect(samples[i]!.ts).toBeGreaterThan(samples[i - 1]!.ts);
      }
      expect(Math.abs(samples[0]!.ts - Date.now())).toBeLessThan(60_000);
    }
    const status = seen.find((m) => m.topic === `cellrig/v1/${rig}/status`);
    expect(rigStatusSchema.parse(JSON.parse(status?.payload ?? '{}'))).toMatchObject({
      state: 'online',
      rig,
    });
  });

  it('dead-letters malformed payloads with a count, never writes them, and keeps running', async () => {
    const bad = await mqtt.connectAsync(inject('mqttUrl'), { clientId: `bad-${process.pid}` });
    const payloads = [
      '{not json',
      JSON.stringify({ ts: 'yesterday', seq: 1, pressureMPa: 1, forceN: 1 }),
      '[]',
    ];
    for (const p of payloads) await bad.publishAsync(`cellrig/v1/${rig}/chbad/pressure`, p, { qos: 1 });
    await bad.publishAsync(`cellrig/v1/${rig}/too/many/levels`, '{}', { qos: 1 });
    await bad.endAsync();
    const letters = await until('four dead letters', async () => {
      const l = seen.filter((m) => m.topic === `cellrig/v1/${rig}/deadletter`);
      return l.length >= 4 ? l.map((m) => deadLetterSchema.parse(JSON.parse(m.payload))) : undefined;
    });
    expect(letters.map((l) => l.error).join('\n')).toMatch(/not JSON[\s\S]*ts:[\s\S]*/);
    expect(letters.some((l) => l.topic.endsWith('too/many/levels'))).toBe(true);
    const counts = letters.map((l) => l.count);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(new Set(counts).size).toBe(counts.length);
    // Give the writer a flush period, then check nothing of chbad reached InfluxDB.
    await new Promise((r) => setTimeout(r, 800));
    const res = await influx().query(`SELECT count(seq) FROM pressure WHERE channel = 'chbad'`);
    expect(res.results[0]?.series).toBeUndefined();
    // The writer node is still writing good samples afterwards.
    const before = await influx().query(`SELECT count(seq) FROM pressure WHERE rig = '${rig}'`);
    const n0 = Number(before.results[0]?.series?.[0]?.values[0]?.[1]);
    await until('more points after the bad ones', async () => {
      const r = await influx().query(`SELECT count(seq) FROM pressure WHERE rig = '${rig}'`);
      return Number(r.results[0]?.series?.[0]?.values[0]?.[1]) > n0 ? true : undefined;
    });
    expect(helper.getNode('writer')).toBeTruthy();
  });
});
