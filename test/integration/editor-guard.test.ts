/**
 * The editor locked to its address (issue 14): the review's DNS-rebinding page posted a flow to the
 * loopback editor and read `_credentialSecret` from a 0644 `.config.runtime.json`. Here, against the
 * built launcher in its own process (embedded broker, loopback, no login, as a newcomer runs it):
 * a rebinding Host gets 403 on the editor, the admin API and the websocket; a deploy from a foreign
 * Origin (or a cross-site form) gets 403 and changes nothing; the editor's own deploy works; every file
 * in CELLRIG_DATA is the owner's alone (0600) after the start and after a deploy; the credentials are
 * encrypted with cellrig's own key, generated once, with no warning about it; an older folder's
 * Node-RED-generated key is migrated and its 0644 files closed.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpLaunches, dataFolder, type Launched, launch, waitFor } from '../support/launcher';
import { freePort } from '../support/services';

afterAll(cleanUpLaunches);

type Reply = { status: number; body: string };

/** One HTTP request with exactly these headers (Host included: fetch would not let a test set it). */
function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** A websocket upgrade of /comms with this Host (and Origin): the status line's code. */
function upgrade(port: number, host: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/comms',
      setHost: false,
      headers: {
        Host: host,
        ...(origin ? { Origin: origin } : {}),
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Version': '13',
      },
    });
    req.once('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.once('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

/** Every file and folder under `dir` (palette modules aside) with its permission bits. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules') continue;
      const p = join(d, e.name);
      out[`${rel}${e.name}${e.isDirectory() ? '/' : ''}`] = (statSync(p).mode & 0o777).toString(8);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
    }
  };
  walk(dir, '');
  return out;
}

/** All files 600, all folders 700. */
function expectOwnerOnly(dir: string): void {
  const m = modes(dir);
  const wrong = Object.entries(m).filter(([p, mode]) => mode !== (p.endsWith('/') ? '700' : '600'));
  expect({ wrong, checked: Object.keys(m).length > 5 }).toEqual({ wrong: [], checked: true });
}

const CREDENTIAL_WARNINGS =
  /credentialSecret|system-generated key|Encrypted credentials not found|Failed to decrypt|credentials file/i;

async function started(vars: Record<string, string>): Promise<{ app: Launched; port: number }> {
  const port = await freePort();
  const app = launch({ PORT: String(port), MQTT_PORT: String(await freePort()), ...vars });
  await waitFor('the flows running', 60_000, async () => /Started flows/.test(app.log()));
  return { app, port };
}

async function stopped(app: Launched): Promise<void> {
  app.proc.kill('SIGINT');
  const { code } = await app.exited;
  expect({ code, log: code === 0 ? '' : app.log() }).toEqual({ code: 0, log: '' });
}

describe('a loopback editor without a login', () => {
  const data = dataFolder();
  let app: Launched;
  let port: number;
  let self: Record<string, string>;
  beforeAll(async () => {
    ({ app, port } = await started({ CELLRIG_DATA: data }));
    self = { Host: `127.0.0.1:${port}` };
  }, 90_000);

  it('answers its loopback names, and gives a DNS-rebinding Host 403 everywhere', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`])
      expect([host, (await call(port, 'GET', '/flows', { Host: host })).status]).toEqual([host, 200]);

    const evil = { Host: `evil.example:${port}` };
    for (const path of ['/', '/flows', '/settings', '/nodes', '/red/red.min.js', '/api/anything']) {
      const r = await call(port, 'GET', path, evil);
      expect([path, r.status, r.body]).toEqual([
        path,
        403,
        expect.stringMatching(/Host 'evil\.example:\d+'/),
      ]);
    }
    // The rebinding page's deploy: same origin as far as its browser knows.
    const deploy = await call(
      port,
      'POST',
      '/flows',
      { ...evil, Origin: `http://evil.example:${port}`, 'Content-Type': 'application/json' },
      '[]',
    );
    expect(deploy.status).toBe(403);
    // A loopback name at another port, a name without the port, an address in another spelling.
    for (const host of [`127.0.0.1:${port + 1}`, '127.0.0.1', `0x7f000001:${port}`, `127.1:${port}`, ''])
      expect([host, (await call(port, 'GET', '/flows', { Host: host })).status]).toEqual([host, 403]);
    // The editor's websocket: refused before Node-RED sees it; its own page's still upgrades.
    expect(await upgrade(port, `evil.example:${port}`)).toBe(403);
    expect(await upgrade(port, `127.0.0.1:${port}`, `http://evil.example`)).toBe(403);
    expect(await upgrade(port, `127.0.0.1:${port}`, `http://127.0.0.1:${port}`)).toBe(101);
  });

  it('refuses a deploy from a foreign Origin, a null one, a cross-site form or Referer, and changes nothing', async () => {
    const before = (await call(port, 'GET', '/flows', { ...self, 'Node-RED-API-Version': 'v2' })).body;
    const rev = (JSON.parse(before) as { rev: string }).rev;
    const payload = JSON.stringify({ rev, flows: [] });
    const json = { ...self, 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v2' };
    const attempts: [string, Record<string, string>, string][] = [
      ['foreign Origin', { ...json, Origin: 'http://evil.example' }, payload],
      ['foreign Origin on the same port', { ...json, Origin: `http://evil.example:${port}` }, payload],
      ['Origin: null (a sandboxed page)', { ...json, Origin: 'null' }, payload],
      ['https Origin of loopback on 443', { ...json, Origin: 'https://127.0.0.1' }, payload],
      [
        'a form on another site, no Origin (an older browser)',
        { ...self, 'Content-Type': 'application/x-www-form-urlencoded' },
        'flows=[]',
      ],
      ['text/plain form, no Origin', { ...self, 'Content-Type': 'text/plain' }, payload],
      [
        'foreign Referer, no Origin',
        { ...self, 'Content-Type': 'text/plain', Referer: 'http://evil.example/page' },
        payload,
      ],
    ];
    for (const [what, headers, body] of attempts) {
      const r = await call(port, 'POST', '/flows', headers, body);
      expect([what, r.status]).toEqual([what, 403]);
    }
    // Other changes from a foreign page: a node's button, removing a module.
    for (const [method, path] of [
      ['POST', '/inject/abc'],
      ['DELETE', '/nodes/cellrig'],
      ['PUT', '/nodes/cellrig'],
    ] as const)
      expect((await call(port, method, path, { ...json, Origin: 'http://evil.example' })).status).toBe(403);
    // A foreign page may not read the admin API either (Node-RED's CORS would let it).
    expect((await call(port, 'GET', '/flows', { ...self, Origin: 'http://evil.example' })).status).toBe(403);
    const after = (await call(port, 'GET', '/flows', { ...self, 'Node-RED-API-Version': 'v2' })).body;
    expect(after).toBe(before);
    expect(app.log()).not.toMatch(/Stopping flows|Starting flows[\s\S]*Starting flows/);
  });

  it('deploys from its own page (and from a local tool sending JSON); files stay 0600 after the deploy', async () => {
    expectOwnerOnly(data);
    expect(app.log()).toMatch(/generated the key for the flows' credentials/);
    expect(app.log()).not.toMatch(CREDENTIAL_WARNINGS);
    const runtime = JSON.parse(readFileSync(join(data, '.config.runtime.json'), 'utf8')) as object;
    expect(runtime).not.toHaveProperty('_credentialSecret');
    const key = readFileSync(join(data, 'credential-secret'), 'utf8').trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);

    const v2 = { ...self, 'Node-RED-API-Version': 'v2' };
    const current = JSON.parse((await call(port, 'GET', '/flows', v2)).body) as {
      rev: string;
      flows: object[];
    };
    // As the editor deploys: its Origin, its API header; one new config node with credentials.
    const broker = {
      id: 'guardtest0001',
      type: 'mqtt-broker',
      name: 'credentials test',
      broker: '127.0.0.1',
      port: '1',
      credentials: { user: 'lab-user', password: 'lab-password' },
    };
    const deploy = await call(
      port,
      'POST',
      '/flows',
      {
        ...v2,
        Origin: `http://127.0.0.1:${port}`,
        Referer: `http://127.0.0.1:${port}/`,
        'Content-Type': 'application/json',
        'Node-RED-Deployment-Type': 'nodes',
      },
      JSON.stringify({ rev: current.rev, flows: [...current.flows, broker] }),
    );
    expect([deploy.status, deploy.body]).toEqual([200, expect.stringMatching(/"rev"/)]);
    const creds = JSON.parse((await call(port, 'GET', '/credentials/mqtt-broker/guardtest0001', self)).body);
    expect(creds).toEqual({ user: 'lab-user', has_password: true });

    // Encrypted with cellrig's key, written 0600, as is everything else after the deploy.
    await waitFor('flows_cred.json written', 5_000, async () =>
      readFileSync(join(data, 'flows_cred.json'), 'utf8').includes('"$"'),
    );
    const sealed = readFileSync(join(data, 'flows_cred.json'), 'utf8');
    expect(sealed).not.toContain('lab-password');
    expect(decrypt(key, sealed)).toMatchObject({
      guardtest0001: { user: 'lab-user', password: 'lab-password' },
    });
    expectOwnerOnly(data);
    expect(modes(data)).toMatchObject({
      'flows_cred.json': '600',
      '.config.runtime.json': '600',
      'flows.json': '600',
    });

    // A local tool (no browser: no Origin) posting JSON is not a cross-site form.
    const now = JSON.parse((await call(port, 'GET', '/flows', v2)).body) as { rev: string; flows: object[] };
    const tool = await call(
      port,
      'POST',
      '/flows',
      { ...v2, 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'nodes' },
      JSON.stringify(now),
    );
    expect(tool.status).toBe(200);
    expect(app.log()).not.toMatch(CREDENTIAL_WARNINGS);
  }, 60_000);

  it('keeps its key: a second start reads the same credentials without a warning', async () => {
    const key = readFileSync(join(data, 'credential-secret'), 'utf8');
    await stopped(app);
    const again = await started({ CELLRIG_DATA: data });
    try {
      const creds = JSON.parse(
        (
          await call(again.port, 'GET', '/credentials/mqtt-broker/guardtest0001', {
            Host: `localhost:${again.port}`,
          })
        ).body,
      );
      expect(creds).toEqual({ user: 'lab-user', has_password: true });
      expect(readFileSync(join(data, 'credential-secret'), 'utf8')).toBe(key);
      expect(again.app.log()).not.toMatch(/generated the key/);
      expect(again.app.log()).not.toMatch(CREDENTIAL_WARNINGS);
      expectOwnerOnly(data);
    } finally {
      await stopped(again.app);
    }
  }, 90_000);
});

describe('the credential key', () => {
  it("migrates an older folder: Node-RED's generated key, files 0644, credentials still readable", async () => {
    const data = dataFolder();
    const oldKey = randomBytes(32).toString('hex');
    const broker = { id: 'oldbroker0001', type: 'mqtt-broker', name: 'old', broker: '127.0.0.1', port: '1' };
    writeFileSync(join(data, 'flows.json'), JSON.stringify([broker]), { mode: 0o644 });
    writeFileSync(join(data, '.config.runtime.json'), JSON.stringify({ _credentialSecret: oldKey }), {
      mode: 0o644,
    });
    writeFileSync(
      join(data, 'flows_cred.json'),
      encrypt(oldKey, { oldbroker0001: { user: 'old-user', password: 'old-password' } }),
      { mode: 0o644 },
    );
    const { app, port } = await started({ CELLRIG_DATA: data });
    try {
      const creds = JSON.parse(
        (await call(port, 'GET', '/credentials/mqtt-broker/oldbroker0001', { Host: `127.0.0.1:${port}` }))
          .body,
      );
      expect(creds).toEqual({ user: 'old-user', has_password: true });
      expect(app.log()).not.toMatch(CREDENTIAL_WARNINGS);
      expectOwnerOnly(data);
      // Re-encrypted with cellrig's key at once, and Node-RED's key gone from beside the flows.
      const key = readFileSync(join(data, 'credential-secret'), 'utf8').trim();
      expect(decrypt(key, readFileSync(join(data, 'flows_cred.json'), 'utf8'))).toEqual({
        oldbroker0001: { user: 'old-user', password: 'old-password' },
      });
      expect(readFileSync(join(data, '.config.runtime.json'), 'utf8')).not.toContain(oldKey);
    } finally {
      await stopped(app);
    }
  }, 90_000);

  it('CELLRIG_CREDENTIAL_SECRET too short, or a damaged key file: exit 1 naming it, nothing started', async () => {
    const short = launch({
      PORT: String(await freePort()),
      CELLRIG_DATA: dataFolder(),
      CELLRIG_CREDENTIAL_SECRET: 'short',
    });
    expect((await short.exited).code).toBe(1);
    expect(short.log()).toMatch(/CELLRIG_CREDENTIAL_SECRET: at least 16 characters/);

    const data = dataFolder();
    writeFileSync(join(data, 'credential-secret'), '\n');
    const damaged = launch({
      PORT: String(await freePort()),
      MQTT_PORT: String(await freePort()),
      CELLRIG_DATA: data,
    });
    expect((await damaged.exited).code).toBe(1);
    expect(damaged.log()).toMatch(/credential-secret: not a credential key .*CELLRIG_CREDENTIAL_SECRET/);
    expect(damaged.log()).not.toMatch(/Starting flows/);
  });
});

/** Node-RED's credentials format (AES-256-CTR, key SHA-256 of the secret), as an older install wrote it. */
function encrypt(secret: string, creds: object): string {
  const key = createHash('sha256').update(secret).digest();
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-ctr', key, iv);
  return JSON.stringify({
    $: iv.toString('hex') + c.update(JSON.stringify(creds), 'utf8', 'base64') + c.final('base64'),
  });
}

function decrypt(secret: string, file: string): object {
  const sealed = (JSON.parse(file) as { $: string }).$;
  const key = createHash('sha256').update(secret).digest();
  const d = createDecipheriv('aes-256-ctr', key, Buffer.from(sealed.slice(0, 32), 'hex'));
  return JSON.parse(d.update(sealed.slice(32), 'base64', 'utf8') + d.final('utf8')) as object;
}
