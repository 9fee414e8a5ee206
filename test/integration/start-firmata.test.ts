/**
 * `cellrig start` on the real serial path: the default flow with RIG_BACKEND=firmata, its serial port the
 * pty of `cellrig virtual-board` (another process, real clock). Pressure for all three channels and the
 * oven's readings arrive over MQTT through serialport, firmata.js and johnny-five; when the board goes
 * away the readings stop and the launcher keeps running, and SIGINT still exits 0. The rig editor's probe
 * endpoint answers only with the editor's login, and then lists the wiring over the same serial line; the
 * launcher still exits after that login (Node-RED's token-expiry timer would otherwise hold it for days).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import mqtt from 'mqtt';
import { afterAll, expect, inject, it } from 'vitest';
import { freePort } from '../support/services';

const root = join(__dirname, '../..');
const cli = join(root, 'dist/bin/cellrig.js');
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  // SIGINT first: the virtual board then stops its socat; killed outright, it would leave socat running.
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    running.map(
      (c) =>
        new Promise<void>((done) => {
          const t = setTimeout(() => {
            c.kill('SIGKILL');
            done();
          }, 5000);
          c.once('exit', () => {
            clearTimeout(t);
            done();
          });
          c.kill('SIGINT');
        }),
    ),
  );
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function waitFor(what: string, ms: number, probe: () => boolean): Promise<void> {
  const t0 = Date.now();
  while (!probe()) {
    if (Date.now() - t0 > ms) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('runs the default flow with backend firmata on the virtual board, and outlives the board', async () => {
  const data = mkdtempSync(join(tmpdir(), 'cellrig-start-fw-'));
  dirs.push(data);
  const rig = `fw${process.pid}`;
  // A real backend runs the presses only with the rig's installation record, which the docs have the
  // virtual board write (its presses start loaded, so calibrate cannot).
  const board = spawn(process.execPath, [
    cli,
    'virtual-board',
    '--dir',
    join(data, 'pty'),
    '--seed',
    '3',
    '--install-into',
    data,
    '--rig',
    rig,
  ]);
  children.push(board);
  let boardOut = '';
  board.stdout.on('data', (b: Buffer) => (boardOut += b));
  board.stderr.on('data', (b: Buffer) => (boardOut += b));
  await waitFor('virtual board', 10_000, () => /on (\S+ttyFIRMATA)/.test(boardOut));
  const port = /on (\S+ttyFIRMATA)/.exec(boardOut)![1]!;
  expect(boardOut).toContain(`installation record for ${rig} (virtual board)`);

  const httpPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(httpPort),
    CELLRIG_ADMIN_USER: 'tech',
    CELLRIG_ADMIN_PASSWORD_HASH: bcrypt.hashSync('probe-password-1', 10),
    MQTT_URL: inject('mqttUrl'),
    RIG_ID: rig,
    RIG_BACKEND: 'firmata',
    RIG_SERIAL_PORT: port,
    CELLRIG_DATA: data,
  };
  delete env.INFLUX_URL;
  const app = spawn(process.execPath, [cli, 'start'], { env, cwd: root });
  children.push(app);
  let log = '';
  app.stdout.on('data', (b: Buffer) => (log += b));
  app.stderr.on('data', (b: Buffer) => (log += b));

  const seen: { topic: string; payload: Record<string, unknown>; at: number }[] = [];
  const watcher = await mqtt.connectAsync(inject('mqttUrl'), { clientId: `fw-watch-${process.pid}` });
  watcher.on('message', (topic, payload) => {
    seen.push({ topic, payload: JSON.parse(`${payload}`) as Record<string, unknown>, at: Date.now() });
  });
  await watcher.subscribeAsync(`cellrig/v1/${rig}/#`, { qos: 1 });
  const pressures = () => seen.filter((m) => /\/ch[123]\/pressure$/.test(m.topic));
  await waitFor('pressure on ch1..ch3 over Firmata', 25_000, () =>
    ['ch1', 'ch2', 'ch3'].every((ch) => pressures().some((m) => m.topic.includes(`/${ch}/`))),
  );
  for (const m of pressures()) expect(m.payload.pressureMPa as number).toBeGreaterThan(140);
  await waitFor('oven readings', 5_000, () => seen.some((m) => m.topic.endsWith('/oven/oven')));

  // The rig editor's probe button: behind the editor's login, it lists and reads the wiring over Firmata.
  const probeUrl = `http://127.0.0.1:${httpPort}/cellrig/rig/rig-config/probe`;
  expect((await fetch(probeUrl)).status).toBe(401);
  const login = await fetch(`http://127.0.0.1:${httpPort}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: 'node-red-admin',
      grant_type: 'password',
      scope: '*',
      username: 'tech',
      password: 'probe-password-1',
    }),
  });
  const { access_token } = (await login.json()) as { access_token: string };
  const probe = await fetch(probeUrl, { headers: { authorization: `Bearer ${access_token}` } });
  expect(probe.status).toBe(200);
  const { text } = (await probe.json()) as { text: string };
  expect(text).toMatch(/^I2C Firmata on .*ttyFIRMATA:/);
  expect(text).toMatch(/0x67 MCP9601 \(thermocouple converter\): \d+\.\d\d °C/);
  expect(text.match(/port \d: 0x2A NAU7802 .* MPa/g)).toHaveLength(8);

  // The board goes away: readings stop, the launcher runs on.
  board.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 3000));
  const stoppedAt = Date.now();
  await new Promise((r) => setTimeout(r, 3000));
  expect(pressures().filter((m) => m.at > stoppedAt)).toEqual([]);
  expect(app.exitCode).toBeNull();

  const exited = new Promise<number | null>((r) => app.once('exit', (code) => r(code)));
  app.kill('SIGINT');
  expect({ code: await exited, log: '' }).toMatchObject({ code: 0 });
  expect(log).not.toMatch(/uncaught|unhandled/i);
  await watcher.endAsync();
}, 60_000);
