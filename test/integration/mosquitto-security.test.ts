/**
 * The shipped Mosquitto security (deploy/mosquitto/mosquitto.conf and acl, logins made by
 * scripts/add-rig-credentials.sh) on the real broker: no anonymous clients, no wrong passwords, and a
 * rig confined to its own prefix. Only the paths and the listener are adapted to the test's temp folder.
 */

import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InfluxHttp } from '../../services/influx-http';
import { InfluxWriter } from '../../services/influx-writer';
import { RigPublisher } from '../../services/rig-publisher';
import { RealClock } from '../../src/clock';
import { writerConfigSchema } from '../../src/telemetry/writer-config';
import { memoryMB, sendHugePublish } from '../support/huge-publish';
import { type Mosquitto, startMosquitto } from '../support/services';
import { tempDir } from '../support/temp-dir';

const ROOT = join(__dirname, '..', '..');
const SHIPPED_CONF = join(ROOT, 'deploy', 'mosquitto', 'mosquitto.conf');
const SHIPPED_ACL = join(ROOT, 'deploy', 'mosquitto', 'acl');
const ADD_CREDENTIALS = join(ROOT, 'scripts', 'add-rig-credentials.sh');

const PASSWORDS = { rig01: 'rig01-secret', rig02: 'rig02-secret', 'cellrig-writer': 'writer-secret' };
type User = keyof typeof PASSWORDS;

/**
 * The shipped config minus what the test harness provides itself (listener on a free loopback port,
 * persistence folder, log destination), with the password and ACL files moved to `dir`.
 */
function adaptShippedConfig(shipped: string, dir: string): string {
  const harnessOwned = /^(listener|persistence_location|log_dest|certfile|keyfile|cafile|tls_version)\b/;
  const lines = shipped
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !harnessOwned.test(l))
    .map((l) => l.replace(/^password_file .*/, `password_file ${join(dir, 'passwd')}`))
    .map((l) => l.replace(/^acl_file .*/, `acl_file ${join(dir, 'acl')}`));
  return `${lines.join('\n')}\n`;
}

let broker: Mosquitto;
let dir: string;
const clients: MqttClient[] = [];

function connect(opts: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(broker.url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

const login = (user: User, extra: IClientOptions = {}) =>
  connect({
    username: user,
    password: PASSWORDS[user],
    clientId: `test-${user}-${clients.length}`,
    ...extra,
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cellrig-mqtt-auth-'));
  // Mosquitto reads these after dropping root (to its own user): the folder must be reachable.
  chmodSync(dir, 0o755);
  for (const [user, password] of Object.entries(PASSWORDS)) {
    execFileSync('bash', [ADD_CREDENTIALS, '-f', join(dir, 'passwd'), user, password]);
  }
  copyFileSync(SHIPPED_ACL, join(dir, 'acl'));
  broker = await startMosquitto(adaptShippedConfig(readFileSync(SHIPPED_CONF, 'utf8'), dir));
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await broker?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the shipped Mosquitto config on the real broker', () => {
  it('keeps anonymous clients out, and the shipped config really says so', async () => {
    expect(readFileSync(SHIPPED_CONF, 'utf8')).toMatch(/^allow_anonymous false$/m);
    await expect(connect({ clientId: 'anonymous' })).rejects.toThrow(
      /Not authorized|Bad User Name or Password/i,
    );
  });

  it('refuses a rig that gives the wrong password', async () => {
    await expect(connect({ username: 'rig01', password: 'guess', clientId: 'wrong-pw' })).rejects.toThrow(
      /Not authorized|Bad User Name or Password/i,
    );
  });

  it("never delivers rig01's publish under rig02's prefix, while its own prefix goes through", async () => {
    const writer = await login('cellrig-writer');
    const seen: string[] = [];
    writer.on('message', (topic) => seen.push(topic));
    await writer.subscribeAsync('cellrig/v1/#', { qos: 1 });

    const rig01 = await login('rig01');
    const sample = JSON.stringify({ ts: Date.now(), seq: 1, pressureMPa: 150, forceN: 11_781 });
    await rig01.publishAsync('cellrig/v1/rig02/ch1/pressure', sample, { qos: 1 });
    await rig01.publishAsync('cellrig/v1/rig02/status', '{"state":"offline"}', { qos: 1, retain: true });
    await rig01.publishAsync('cellrig/v1/rig01/ch1/pressure', sample, { qos: 1 });
    // QoS 1 keeps order per connection: once rig01's own sample is in, the spoofed ones had their turn.
    await waitFor(() => seen.includes('cellrig/v1/rig01/ch1/pressure'));
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.filter((t) => t.startsWith('cellrig/v1/rig02/'))).toEqual([]);
    expect(seen).toEqual(['cellrig/v1/rig01/ch1/pressure']);
  });

  it("lets a rig read its own commands and acks but nothing of another rig's", async () => {
    const rig01 = await login('rig01');
    const got: string[] = [];
    rig01.on('message', (topic) => got.push(topic));
    await rig01.subscribeAsync('cellrig/v1/#', { qos: 1 });

    const rig02 = await login('rig02');
    await rig02.publishAsync('cellrig/v1/rig02/ch1/pressure', '{}', { qos: 1 });
    const writer = await login('cellrig-writer');
    await writer.publishAsync('cellrig/v1/rig02/ack', '{"seq":1}', { qos: 1 });
    await writer.publishAsync('cellrig/v1/rig01/ack', '{"seq":1}', { qos: 1 });
    await waitFor(() => got.includes('cellrig/v1/rig01/ack'));
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual(['cellrig/v1/rig01/ack']);
  });
});

describe('forged acknowledgements and oversized messages on the shipped config', () => {
  it("never delivers an ack or dead-letter notice from a rig's own login, only the writer's", async () => {
    const watcher = await login('cellrig-writer', { clientId: `forge-watch-${process.pid}` });
    const got: string[] = [];
    watcher.on('message', (topic, payload) => got.push(`${topic} ${payload}`));
    await watcher.subscribeAsync('cellrig/v1/rig01/+', { qos: 1 });
    const rig01 = await login('rig01');
    const forged = '{"ts":1,"ok":true,"pending":0,"streams":{"ch1/pressure":9007199254740989}}';
    await rig01.publishAsync('cellrig/v1/rig01/ack', forged, { qos: 1, retain: true });
    await rig01.publishAsync('cellrig/v1/rig01/deadletter', '{}', { qos: 1 });
    await rig01.publishAsync('cellrig/v1/rig01/status', '{"state":"online"}', { qos: 1 });
    await waitFor(() => got.some((g) => g.startsWith('cellrig/v1/rig01/status')));
    await new Promise((r) => setTimeout(r, 300));
    expect(got.filter((g) => /\/(ack|deadletter) /.test(g))).toEqual([]);
    expect(readFileSync(SHIPPED_ACL, 'utf8')).not.toMatch(/^pattern write cellrig\/v1\/%u\/#$/m);
  });

  it('refuses three 200 MB retained messages as soon as their headers name the size, with its memory unchanged', async () => {
    expect(readFileSync(SHIPPED_CONF, 'utf8')).toMatch(/^max_packet_size \d+$/m);
    const pid = broker.pid as number;
    const before = memoryMB(pid);
    for (let i = 0; i < 3; i++) {
      const r = await sendHugePublish(broker.url, 'cellrig/v1/rig01/ch1/pressure', 200 * 1024 ** 2, {
        username: 'rig01',
        password: PASSWORDS.rig01,
      });
      expect(r.closedEarly).toBe(true);
      expect(r.sent).toBeLessThan(32 * 1024 ** 2); // what the socket buffers took before the close arrived
    }
    const after = memoryMB(pid);
    console.log(
      `mosquitto: RSS ${before.rss.toFixed(1)} -> ${after.rss.toFixed(1)} MB, peak ${before.peak.toFixed(1)} -> ${after.peak.toFixed(1)} MB`,
    );
    expect(after.peak - before.peak).toBeLessThan(5);
  });
});

describe('the production pipeline through the shipped ACL', () => {
  it("carries rig01's samples to InfluxDB through the writer, and the writer's ack back to rig01", async () => {
    const database = `acl_${process.pid}_${Date.now()}`;
    const clock = new RealClock();
    const writer = new InfluxWriter(
      writerConfigSchema.parse({
        brokerUrl: broker.url,
        influxUrl: inject('influxUrl'),
        database,
        rig: '',
        clientId: `acl-writer-${process.pid}`,
      }),
      clock,
      { username: 'cellrig-writer', password: PASSWORDS['cellrig-writer'] },
      { dir: tempDir('acl-writer') },
    );
    const problems: string[] = [];
    writer.on('problem', (m: string) => problems.push(m));
    const subscribed = new Promise<void>((r) => writer.once('connect', () => r()));
    writer.start();
    const publisher = new RigPublisher({
      url: broker.url,
      rigId: 'rig01',
      clock,
      journalDir: join(dir, 'journal'),
      username: 'rig01',
      password: PASSWORDS.rig01,
    });
    const acks: string[] = [];
    const watcher = await login('rig01', { clientId: `acl-ack-watch-${process.pid}` });
    watcher.on('message', (_t, payload) => acks.push(payload.toString()));
    await watcher.subscribeAsync('cellrig/v1/rig01/ack', { qos: 1 });
    try {
      await subscribed;
      for (let i = 0; i < 20; i++)
        await publisher.publish({
          channel: 'ch1',
          stream: 'pressure',
          fields: { pressureMPa: 150 + i / 100, forceN: 11_781 },
        });
      await waitFor(() => writer.stats.written >= 20, 15_000);
      const res = await new InfluxHttp({ url: inject('influxUrl'), db: database }).query(
        'SELECT count("seq") FROM "pressure" WHERE "rig" = \'rig01\'',
      );
      expect(res.results[0]?.series?.[0]?.values[0]?.[1]).toBe(20);
      await waitFor(() => acks.some((a) => a.includes('ch1/pressure')), 15_000);
      expect(writer.stats.deadLettered).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await publisher.close();
      await writer.close();
    }
  }, 40_000);
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for delivery');
    await new Promise((r) => setTimeout(r, 20));
  }
}
