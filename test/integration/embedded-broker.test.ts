/**
 * The embedded aedes broker (what `cellrig start` runs without MQTT_URL), in its own process: a 200 MB
 * message is refused as soon as its header names the size, with the broker's memory unchanged; only the
 * writer's login publishes acks and dead-letter notices; a rig's login publishes only under its own
 * prefix; with logins required, anonymous clients and wrong passwords are refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../app/env';
import { startEmbeddedBroker } from '../../services/embedded-broker';
import { memoryMB, sendHugePublish } from '../support/huge-publish';

const USERS = { 'cellrig-writer': 'w-secret', rig01: 'r-secret' };
let proc: ChildProcess;
let url = '';
const clients: MqttClient[] = [];

/** The broker in a child process (built code), so its memory is its own. */
function spawnBroker(requireLogin: boolean): Promise<{ proc: ChildProcess; url: string }> {
  const script = `
    const { startEmbeddedBroker } = require(${JSON.stringify(join(__dirname, '../../dist/services/embedded-broker.js'))});
    startEmbeddedBroker('127.0.0.1', 0, { users: ${JSON.stringify(USERS)}, writerUser: 'cellrig-writer', requireLogin: ${requireLogin} })
      .then((b) => console.log('URL ' + b.url));
    process.on('SIGTERM', () => process.exit(0));`;
  const p = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    p.stdout?.on('data', (b: Buffer) => {
      const m = /URL (\S+)/.exec(`${b}`);
      if (m) resolve({ proc: p, url: m[1] as string });
    });
    p.once('exit', (code) => reject(new Error(`broker exited ${code}`)));
  });
}

async function client(opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  ({ proc, url } = await spawnBroker(false));
});
afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  proc?.kill('SIGTERM');
});

describe('embedded broker', () => {
  it('refuses three 200 MB retained messages as soon as their headers name the size, with its memory unchanged', async () => {
    const pid = proc.pid as number;
    // Warm up what any first connection costs (aedes' client, the packet parser, JIT): not a message's.
    const warm = await client({ clientId: 'warm-up' });
    await warm.publishAsync('cellrig/v1/rig01/ch1/pressure', 'x'.repeat(60_000), { qos: 1 });
    await sendHugePublish(url, 'cellrig/v1/rig01/ch1/pressure', 1024 ** 2);
    await new Promise((r) => setTimeout(r, 500));
    const before = memoryMB(pid);
    for (let i = 0; i < 3; i++) {
      const r = await sendHugePublish(url, 'cellrig/v1/rig01/ch1/pressure', 200 * 1024 ** 2);
      expect(r.closedEarly).toBe(true);
      expect(r.sent).toBeLessThan(32 * 1024 ** 2);
    }
    const after = memoryMB(pid);
    console.log(
      `embedded broker: RSS ${before.rss.toFixed(1)} -> ${after.rss.toFixed(1)} MB, peak ${before.peak.toFixed(1)} -> ${after.peak.toFixed(1)} MB`,
    );
    expect(after.peak - before.peak).toBeLessThan(10);
    // Still serving.
    const c = await client({ clientId: 'after-huge' });
    await c.publishAsync('cellrig/v1/rig01/ch1/pressure', '{}', { qos: 1 });
  });

  it("delivers acks and dead-letter notices only from the writer's login, and a rig's publishes only under its prefix", async () => {
    const watcher = await client({
      clientId: 'watch',
      username: 'cellrig-writer',
      password: USERS['cellrig-writer'],
    });
    const got: string[] = [];
    watcher.on('message', (topic) => got.push(topic));
    await watcher.subscribeAsync('cellrig/v1/#', { qos: 1 });
    const anonymous = await client({ clientId: 'anon' });
    const rig = await client({ clientId: 'rig01', username: 'rig01', password: USERS.rig01 });
    const forged = '{"ts":1,"ok":true,"pending":0,"streams":{"ch1/pressure":9007199254740989}}';
    // aedes closes a client whose publish is not authorised: each forger gets its own connection.
    anonymous.publish('cellrig/v1/rig01/ack', forged, { qos: 0, retain: true });
    rig.publish('cellrig/v1/rig01/deadletter', '{}', { qos: 0 });
    const rig2 = await client({ clientId: 'rig01b', username: 'rig01', password: USERS.rig01 });
    rig2.publish('cellrig/v1/rig02/ch1/pressure', '{}', { qos: 0 });
    const rig3 = await client({ clientId: 'rig01c', username: 'rig01', password: USERS.rig01 });
    await rig3.publishAsync('cellrig/v1/rig01/ch1/pressure', '{}', { qos: 1 });
    await watcher.publishAsync('cellrig/v1/rig01/ack', '{"ok":true}', { qos: 1 });
    const until = Date.now() + 5000;
    while (Date.now() < until && !got.includes('cellrig/v1/rig01/ack'))
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    expect(got.sort()).toEqual(['cellrig/v1/rig01/ack', 'cellrig/v1/rig01/ch1/pressure']);
  });

  it('with logins required, refuses anonymous clients and wrong passwords', async () => {
    const strict = await spawnBroker(true);
    try {
      await expect(mqtt.connectAsync(strict.url, { reconnectPeriod: 0, clientId: 'a' })).rejects.toThrow(
        /Not authorized|Bad User/i,
      );
      await expect(
        mqtt.connectAsync(strict.url, {
          reconnectPeriod: 0,
          clientId: 'b',
          username: 'rig01',
          password: 'guess',
        }),
      ).rejects.toThrow(/Not authorized|Bad User/i);
      const ok = await mqtt.connectAsync(strict.url, {
        reconnectPeriod: 0,
        clientId: 'c',
        username: 'rig01',
        password: USERS.rig01,
      });
      await ok.endAsync();
    } finally {
      strict.proc.kill('SIGTERM');
    }
  });

  it('needs logins before it listens beyond loopback, and cellrig start says which variables', async () => {
    await expect(startEmbeddedBroker('0.0.0.0', 0)).rejects.toThrow(/needs logins/);
    expect(() =>
      readEnv({
        HOST: '0.0.0.0',
        CELLRIG_ADMIN_USER: 'a',
        CELLRIG_ADMIN_PASSWORD_HASH: `$2b$10$${'a'.repeat(53)}`,
      }),
    ).toThrow(/HOST: the embedded MQTT broker on 0.0.0.0 needs MQTT_USER/);
    expect(
      readEnv({
        HOST: '0.0.0.0',
        MQTT_HOST: '127.0.0.1',
        CELLRIG_ADMIN_USER: 'a',
        CELLRIG_ADMIN_PASSWORD_HASH: `$2b$10$${'a'.repeat(53)}`,
      }).MQTT_HOST,
    ).toBe('127.0.0.1');
  });
});
