/**
 * `npm start` as a newcomer runs it: the built launcher in its own process, with the embedded broker.
 * Editor up within 10 s, cellrig node types listed, pressure for all three channels seen by the real
 * mosquitto_sub within 15 s, SIGINT exits 0 within 5 s and frees the ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, inject, it } from 'vitest';
import { pressureSampleSchema, rigStatusSchema } from '../../src/telemetry/schemas';
import { freePort } from '../support/services';

const root = join(__dirname, '../..');
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function waitFor(what: string, ms: number, probe: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await probe().catch(() => false)) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not within ${ms} ms`);
}

it('starts the editor, the default flow and the embedded broker, and stops cleanly on SIGINT', async () => {
  const [port, mqttPort] = [await freePort(), await freePort()];
  const data = mkdtempSync(join(tmpdir(), 'cellrig-start-'));
  dirs.push(data);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    MQTT_PORT: String(mqttPort),
    CELLRIG_DATA: data,
  };
  delete env.MQTT_URL;
  delete env.INFLUX_URL;
  delete env.RIG_ID;
  delete env.INFLUX_DB;
  const t0 = Date.now();
  const app = spawn(process.execPath, [join(root, 'dist/bin/cellrig.js'), 'start'], { env, cwd: root });
  children.push(app);
  let log = '';
  app.stdout.on('data', (b: Buffer) => (log += b));
  app.stderr.on('data', (b: Buffer) => (log += b));

  const editorMs = await waitFor('editor', 10_000, async () => (await fetch(`http://127.0.0.1:${port}/`)).ok);
  expect(editorMs).toBeLessThan(10_000);
  const nodes = (await (
    await fetch(`http://127.0.0.1:${port}/nodes`, { headers: { Accept: 'application/json' } })
  ).json()) as { module: string; types: string[] }[];
  const types = nodes.filter((n) => n.module === 'cellrig').flatMap((n) => n.types);
  expect(types).toEqual(expect.arrayContaining(['rig', 'stack-pressure', 'telemetry-out', 'influx-writer']));

  // The real mosquitto_sub, as the README tells a newcomer to run it.
  const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-t', 'cellrig/v1/#', '-v']);
  children.push(sub);
  let out = '';
  sub.stdout.on('data', (b: Buffer) => (out += b));
  const pressure = () =>
    out
      .split('\n')
      .map((l) => /^cellrig\/v1\/rig01\/(ch[123])\/pressure (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
  await waitFor('pressure on ch1..ch3', 15_000 - (Date.now() - t0), async () =>
    ['ch1', 'ch2', 'ch3'].every((ch) => pressure().some((m) => m[1] === ch)),
  );
  for (const m of pressure()) {
    const s = pressureSampleSchema.parse(JSON.parse(m[2] ?? ''));
    expect(Number.isInteger(s.seq)).toBe(true);
    expect(s.pressureMPa).toBeGreaterThan(140);
  }
  sub.kill('SIGTERM');

  const exited = new Promise<number | null>((r) => app.once('exit', (code) => r(code)));
  const tStop = Date.now();
  app.kill('SIGINT');
  const code = await exited;
  expect({ code, log: code === 0 ? '' : log }).toEqual({ code: 0, log: '' });
  expect(Date.now() - tStop).toBeLessThan(5_000);
  expect(log).not.toMatch(/\[error\]/);
  // Nothing left listening.
  await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
}, 40_000);

it('with MQTT_URL set, uses that broker and leaves a retained offline status on SIGINT', async () => {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'cellrig-start-'));
  dirs.push(data);
  const rig = `start${process.pid}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    MQTT_URL: inject('mqttUrl'),
    RIG_ID: rig,
    CELLRIG_DATA: data,
  };
  delete env.INFLUX_URL;
  const app = spawn(process.execPath, [join(root, 'dist/bin/cellrig.js'), 'start'], { env, cwd: root });
  children.push(app);
  const watcher = await mqtt.connectAsync(inject('mqttUrl'), { clientId: `start-watch-${process.pid}` });
  const statuses: string[] = [];
  watcher.on('message', (topic, payload) => {
    if (topic === `cellrig/v1/${rig}/status`)
      statuses.push(rigStatusSchema.parse(JSON.parse(`${payload}`)).state);
  });
  await watcher.subscribeAsync(`cellrig/v1/${rig}/status`, { qos: 1 });
  await waitFor('online status', 10_000, async () => statuses.includes('online'));
  const exited = new Promise<number | null>((r) => app.once('exit', (code) => r(code)));
  app.kill('SIGINT');
  expect(await exited).toBe(0);
  await waitFor('offline status', 5_000, async () => statuses.at(-1) === 'offline');
  // Retained: a subscriber arriving now still learns the rig is offline.
  const late = await mqtt.connectAsync(inject('mqttUrl'), { clientId: `start-late-${process.pid}` });
  const retained = new Promise<string>((r) => late.on('message', (_t, p) => r(`${p}`)));
  await late.subscribeAsync(`cellrig/v1/${rig}/status`, { qos: 1 });
  expect(rigStatusSchema.parse(JSON.parse(await retained)).state).toBe('offline');
  await Promise.all([watcher.endAsync(), late.endAsync()]);
}, 30_000);
