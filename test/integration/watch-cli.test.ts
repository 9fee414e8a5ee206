/**
 * `cellrig watch` without Node-RED: the cell-health core and the durable publisher on a real Mosquitto.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runProgram } from '../../app/cli/grammar';
import { buildProgram } from '../../app/cli/program';
import { runCli } from '../support/cli';
import { readEclab } from '../support/eclab-data';

const RIG = `watchcli${process.pid}`;
const cellrig = (argv: string[]) => runProgram(buildProgram(), argv);

describe('cellrig watch DIR --once', () => {
  let root: string;
  let sub: mqtt.MqttClient;
  const cycles = new Map<number, number>(); // seq -> cycle

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cellrig-watch-cli-'));
    process.env.MQTT_URL = inject('mqttUrl');
    process.env.CELLRIG_DATA = join(root, 'data');
    sub = await mqtt.connectAsync(inject('mqttUrl'), { clientId: `watch-cli-${process.pid}` });
    sub.on('message', (_t, payload) => {
      const body = JSON.parse(payload.toString()) as
        | { seq: number; cycle: number }
        | { seq: number; cycle: number }[];
      for (const s of Array.isArray(body) ? body : [body]) cycles.set(s.seq, s.cycle);
    });
    await sub.subscribeAsync(`cellrig/v1/${RIG}/ch2/cycle`, { qos: 1 });
    await writeFile(join(root, 'run_C02.mpr'), readEclab('gcpl.pr_182.1.mpr'));
  });

  afterAll(async () => {
    await sub.endAsync();
    delete process.env.MQTT_URL;
    delete process.env.CELLRIG_DATA;
    await rm(root, { recursive: true, force: true });
  });

  it('judges every cycle of the folder, publishes each once, and adds nothing when run again', async () => {
    const args = ['watch', root, '--cell', 'cell-07', '--channel', 'ch2', '--rig', RIG, '--once'];
    const first = await runCli(cellrig, args);
    expect(first.code, first.err).toBe(0);
    expect(first.out.split('\n').filter((l) => /^run_C02\.mpr: cycle \d/.test(l))).toHaveLength(5);
    expect(first.out).toMatch(/run_C02\.mpr: cycle 2, charge 2\.6160 mAh, discharge 2\.2530 mAh, CE 0\.8612/);
    for (let i = 0; i < 40 && cycles.size < 5; i++) await new Promise((r) => setTimeout(r, 100));
    expect([...cycles.values()].sort()).toEqual([1, 2, 3, 4, 5]);
    const again = await runCli(cellrig, args);
    expect(again.code).toBe(0);
    expect(again.out).not.toMatch(/cycle \d/);
    await new Promise((r) => setTimeout(r, 500));
    expect(cycles.size).toBe(5);
  });
});
