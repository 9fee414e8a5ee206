/**
 * `npm start` as a newcomer runs it: the built launcher in its own process, with the embedded broker.
 * Editor up within 10 s, cellrig node types listed, pressure for all three channels seen by the real
 * mosquitto_sub within 15 s, SIGINT exits 0 within 5 s and frees the ports. Then the review's findings
 * (issue 14): a start that cannot be whole (a port taken, a bad MQTT_URL, no broker, a data folder that
 * cannot be written) exits 1 within 5 s naming the variable, before any flow starts; a second rig on one
 * data folder is refused; SIGINT after an editor login, or with the broker gone, still exits in time.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import mqtt from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { pressureSampleSchema, rigStatusSchema } from '../../src/telemetry/schemas';
import { cleanUpLaunches, dataFolder, type Launched, launch, ownChild, waitFor } from '../support/launcher';
import { freePort, startMosquitto } from '../support/services';

const root = join(__dirname, '../..');
afterAll(cleanUpLaunches);

it('starts the editor, the default flow and the embedded broker, and stops cleanly on SIGINT', async () => {
  const [port, mqttPort] = [await freePort(), await freePort()];
  const data = dataFolder();
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
  ownChild(app);
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
  ownChild(sub);
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
  const data = dataFolder();
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
  ownChild(app);
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

// ---- Whole or not at all (issue 14): each finding of the review reproduced, and shown fixed ----

/** A port with a listener that accepts and never answers: a broker that hangs, or a port taken. */
async function silentListener(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const srv = createNetServer((s) => sockets.add(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

/** Fails fast: non-zero within 5 s of spawn, the variable named, and no flow ever started. */
async function expectFailsFast(app: Launched, named: RegExp): Promise<number> {
  const { code, ms } = await app.exited;
  expect({ code, log: app.log() }).toEqual({ code: 1, log: expect.stringMatching(named) });
  expect(app.log()).not.toMatch(/Starting flows/);
  expect(ms).toBeLessThan(fiveSeconds());
  return ms;
}

const measured: Record<string, number> = {};
afterAll(() => {
  console.log(`exit times (ms), load average ${loadavg()[0]?.toFixed(1)}: ${JSON.stringify(measured)}`);
});

/**
 * 5 s, the limit the rig promises, on a machine with a core for each runnable process. On one that is
 * oversubscribed (other suites running beside this one) every process runs that much slower, start-up
 * included, so the limit stretches by the load per core: a hang (the bugs these tests reproduce hung
 * for good) still fails at any load.
 */
function fiveSeconds(): number {
  return 5_000 * Math.max(1, (loadavg()[0] ?? 0) / availableParallelism());
}

describe('a start that cannot be whole ends at once, naming what to change', () => {
  it('the editor port taken: exit 1 naming PORT, no flow started, the broker port released', async () => {
    const taken = await silentListener();
    const mqttPort = await freePort();
    try {
      const app = launch({
        PORT: String(taken.port),
        MQTT_PORT: String(mqttPort),
        CELLRIG_DATA: dataFolder(),
      });
      measured.editorPortTaken = await expectFailsFast(
        app,
        new RegExp(`PORT ${taken.port}: .* already in use`),
      );
    } finally {
      taken.close();
    }
  });

  it('the embedded broker port taken: exit 1 naming MQTT_PORT (it hung forever)', async () => {
    const taken = await silentListener();
    try {
      const app = launch({
        PORT: String(await freePort()),
        MQTT_PORT: String(taken.port),
        CELLRIG_DATA: dataFolder(),
      });
      measured.mqttPortTaken = await expectFailsFast(
        app,
        new RegExp(`MQTT_PORT ${taken.port}: .* already in use`),
      );
    } finally {
      taken.close();
    }
  });

  it('MQTT_URL with port 99999 fails validation, naming MQTT_URL', async () => {
    const app = launch({
      PORT: String(await freePort()),
      MQTT_URL: 'mqtt://127.0.0.1:99999',
      CELLRIG_DATA: dataFolder(),
    });
    measured.mqttUrlBadPort = await expectFailsFast(app, /MQTT_URL: not a valid URL/);
  });

  it('an unreachable broker (refused, or silent) ends the start naming MQTT_URL', async () => {
    const refusedPort = await freePort();
    const refused = launch({
      PORT: String(await freePort()),
      MQTT_URL: `mqtt://127.0.0.1:${refusedPort}`,
      CELLRIG_DATA: dataFolder(),
    });
    measured.brokerRefused = await expectFailsFast(
      refused,
      /MQTT_URL mqtt:\/\/127\.0\.0\.1:\d+: broker not reachable \(ECONNREFUSED/,
    );
    const silent = await silentListener();
    try {
      const app = launch({
        PORT: String(await freePort()),
        MQTT_URL: `mqtt://user:pw-in-the-url@127.0.0.1:${silent.port}`,
        MQTT_USER: 'user',
        CELLRIG_DATA: dataFolder(),
      });
      measured.brokerSilent = await expectFailsFast(
        app,
        /MQTT_URL mqtt:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/?: no answer from the broker within \d+ ms/,
      );
      expect(app.log()).not.toContain('pw-in-the-url');
    } finally {
      silent.close();
    }
  });

  it('a data folder or journal folder that cannot be written ends the start naming CELLRIG_DATA', async () => {
    const parent = dataFolder();
    const notAFolder = join(parent, 'a-file');
    writeFileSync(notAFolder, '');
    const app = launch({
      PORT: String(await freePort()),
      MQTT_PORT: String(await freePort()),
      CELLRIG_DATA: notAFolder,
    });
    measured.dataFolderIsAFile = await expectFailsFast(
      app,
      new RegExp(`CELLRIG_DATA ${notAFolder}: cannot write the folder`),
    );

    const data = dataFolder();
    writeFileSync(join(data, 'journal'), ''); // the journal's place taken by a file
    const journal = launch({
      PORT: String(await freePort()),
      MQTT_PORT: String(await freePort()),
      CELLRIG_DATA: data,
    });
    measured.journalBlocked = await expectFailsFast(
      journal,
      new RegExp(`CELLRIG_DATA ${data}: cannot write the telemetry journal folder journal/rig01`),
    );
  });

  it('unknown arguments are an error; --help prints start usage and starts nothing', async () => {
    const data = dataFolder();
    const help = launch({ PORT: String(await freePort()), CELLRIG_DATA: data }, ['--help']);
    expect((await help.exited).code).toBe(0);
    expect(help.log()).toMatch(/^Usage: cellrig start \[options\]/);
    expect(existsSync(join(data, 'flows.json'))).toBe(false);
    const bad = launch({ PORT: String(await freePort()), CELLRIG_DATA: data }, ['--port', '1881']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.log()).toMatch(/^error: unknown option '--port'/);
  });

  it('a SIGINT while the broker is being tried stops at once: exit 0, no flow started', async () => {
    const silent = await silentListener();
    const port = await freePort();
    try {
      const app = launch({
        PORT: String(port),
        MQTT_URL: `mqtt://127.0.0.1:${silent.port}`,
        CELLRIG_DATA: dataFolder(),
      });
      // The editor's port is bound first and answers 503 until the flows run.
      await waitFor(
        '503 while starting',
        10_000,
        async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 503,
      );
      const t0 = Date.now();
      app.proc.kill('SIGINT');
      const { code } = await app.exited;
      measured.sigintWhileStarting = Date.now() - t0;
      expect({ code, log: app.log() }).toEqual({ code: 0, log: expect.not.stringMatching(/Starting flows/) });
      expect(Date.now() - t0).toBeLessThan(fiveSeconds());
    } finally {
      silent.close();
    }
  });
});

describe('one rig per data folder', () => {
  it('refuses a second start on the same CELLRIG_DATA, naming the folder and the pid; takes over after a crash', async () => {
    const data = dataFolder();
    const first = launch({
      PORT: String(await freePort()),
      MQTT_PORT: String(await freePort()),
      CELLRIG_DATA: data,
    });
    await waitFor('first rig up', 30_000, async () => /editor on http/.test(first.log()));

    // The review's path to a second rig: `cellrig start --help` now prints usage and nothing else.
    const help = launch(
      { PORT: String(await freePort()), MQTT_PORT: String(await freePort()), CELLRIG_DATA: data },
      ['--help'],
    );
    expect((await help.exited).code).toBe(0);
    expect(help.log()).not.toMatch(/Starting flows|editor on/);

    const second = launch({
      PORT: String(await freePort()),
      MQTT_PORT: String(await freePort()),
      CELLRIG_DATA: data,
    });
    measured.secondInstance = await expectFailsFast(
      second,
      new RegExp(`CELLRIG_DATA ${data} is in use by another cellrig \\(pid ${first.proc.pid}, since `),
    );
    expect(first.proc.exitCode).toBeNull();

    // A crash leaves the lock behind; the next start takes it over.
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(existsSync(join(data, 'cellrig.lock'))).toBe(true);
    const port = await freePort();
    const third = launch({ PORT: String(port), MQTT_PORT: String(await freePort()), CELLRIG_DATA: data });
    await waitFor(
      'rig up after the crash',
      30_000,
      async () => (await fetch(`http://127.0.0.1:${port}/`)).ok,
    );
    expect(JSON.parse(readFileSync(join(data, 'cellrig.lock'), 'utf8')).pid).toBe(third.proc.pid);
    third.proc.kill('SIGINT');
    const { code } = await third.exited;
    expect({ code, log: code === 0 ? '' : third.log() }).toEqual({ code: 0, log: '' });
    expect(existsSync(join(data, 'cellrig.lock'))).toBe(false);
  }, 90_000);
});

describe('every way out ends within 5 s, outputs safe, offline sent', () => {
  it('after an editor login with an open keep-alive and websocket: SIGINT exits 0 and leaves offline retained', async () => {
    const port = await freePort();
    const rig = `login${process.pid}`;
    const app = launch({
      PORT: String(port),
      MQTT_URL: inject('mqttUrl'),
      RIG_ID: rig,
      CELLRIG_DATA: dataFolder(),
      CELLRIG_ADMIN_USER: 'lab',
      CELLRIG_ADMIN_PASSWORD_HASH: bcrypt.hashSync('correct horse battery', 4),
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor('editor', 30_000, async () => (await fetch(`${base}/`)).ok);
    // Log in as the editor does; the session's expiry timer used to keep the process alive for good.
    const token = (await (
      await fetch(`${base}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          client_id: 'node-red-editor',
          grant_type: 'password',
          scope: '*',
          username: 'lab',
          password: 'correct horse battery',
        }),
      })
    ).json()) as { access_token: string };
    expect(token.access_token).toBeTruthy();
    const flows = await fetch(`${base}/flows`, {
      headers: { Authorization: `Bearer ${token.access_token}` },
    });
    expect(flows.status).toBe(200);
    const ws = await openWebsocket(port, '/comms');
    const keepAlive = await openKeepAlive(port);

    const statuses: string[] = [];
    const watcher = await mqtt.connectAsync(inject('mqttUrl'), { clientId: `login-watch-${process.pid}` });
    watcher.on('message', (_t, payload) =>
      statuses.push(rigStatusSchema.parse(JSON.parse(`${payload}`)).state),
    );
    await watcher.subscribeAsync(`cellrig/v1/${rig}/status`, { qos: 1 });
    await waitFor('online', 10_000, async () => statuses.at(-1) === 'online');

    const t0 = Date.now();
    app.proc.kill('SIGINT');
    const { code } = await app.exited;
    measured.sigintAfterLogin = Date.now() - t0;
    expect({ code, log: code === 0 ? '' : app.log() }).toEqual({ code: 0, log: '' });
    expect(Date.now() - t0).toBeLessThan(fiveSeconds());
    expect(app.log()).toMatch(/SIGINT: stopping \(outputs to their safe state\)/);
    await waitFor('offline', 5_000, async () => statuses.at(-1) === 'offline');
    ws.destroy();
    keepAlive.destroy();
    await watcher.endAsync();
  }, 60_000);

  it('with the broker gone since the start: SIGTERM still exits 0 within 5 s', async () => {
    const broker = await startMosquitto();
    try {
      const app = launch({
        PORT: String(await freePort()),
        MQTT_URL: broker.url,
        CELLRIG_DATA: dataFolder(),
      });
      await waitFor('rig up', 30_000, async () => /editor on http/.test(app.log()));
      await broker.stop(true); // killed: no goodbye to its clients
      await new Promise((r) => setTimeout(r, 1500)); // samples pile up in the journal meanwhile
      const t0 = Date.now();
      app.proc.kill('SIGTERM');
      const { code } = await app.exited;
      measured.sigtermBrokerGone = Date.now() - t0;
      expect({ code, log: code === 0 ? '' : app.log() }).toEqual({ code: 0, log: '' });
      expect(Date.now() - t0).toBeLessThan(fiveSeconds());
    } finally {
      await broker.dispose();
    }
  }, 60_000);
});

/** An upgraded websocket connection, held open (no frames needed: the open socket is what lingered). */
function openWebsocket(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Version': '13',
      },
    });
    req.once('upgrade', (_res, socket) => resolve(socket));
    req.once('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.once('error', reject);
    req.end();
  });
}

/** A keep-alive HTTP connection left idle after one request. */
function openKeepAlive(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /settings HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
    });
    socket.once('data', () => resolve(socket));
    socket.once('error', reject);
  });
}
