/**
 * A deploy cannot reach the files beside the flows (issue 14: "invariants that no message, deploy or
 * calibration can bypass"). The installation record keeps a channel's zero, span and die out of the flow,
 * but a flow that could run a command or write a file would rewrite the record itself. Against the built
 * launcher, deploying as the editor does: a function node that loads `fs` is refused (Node-RED's
 * functionExternalModules), and Node-RED's exec and file nodes are not there (nodesExcludes), so a flow
 * that uses them does not start; the record stays byte for byte.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpLaunches, dataFolder, type Launched, launch, waitFor } from '../support/launcher';
import { freePort } from '../support/services';

afterAll(cleanUpLaunches);

type Reply = { status: number; body: string };

function call(port: number, method: string, path: string, body?: string): Promise<Reply> {
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Origin: `http://127.0.0.1:${port}`,
    Referer: `http://127.0.0.1:${port}/`,
    'Node-RED-API-Version': 'v2',
    Accept: 'application/json',
    ...(body ? { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' } : {}),
  };
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

describe('a deploy cannot write the installation record', () => {
  const data = dataFolder();
  const record = join(data, 'installation', 'rig01.json');
  let app: Launched;
  let port: number;
  let original = '';

  /** Deploys the running flows plus `extra` on a tab of their own; the reply. */
  async function deployWith(extra: object[]): Promise<Reply> {
    const current = JSON.parse((await call(port, 'GET', '/flows')).body) as { rev: string; flows: object[] };
    const tab = { id: 'reachtab', type: 'tab', label: 'reach' };
    return call(
      port,
      'POST',
      '/flows',
      JSON.stringify({ rev: current.rev, flows: [...current.flows, tab, ...extra] }),
    );
  }
  const inject = (wire: string) => ({
    id: 'reachinject',
    type: 'inject',
    z: 'reachtab',
    once: true,
    onceDelay: 0.1,
    repeat: '',
    props: [{ p: 'payload' }],
    payload: 'forged',
    payloadType: 'str',
    wires: [[wire]],
  });

  beforeAll(async () => {
    port = await freePort();
    app = launch({ PORT: String(port), MQTT_PORT: String(await freePort()), CELLRIG_DATA: data });
    await waitFor('the flows running', 60_000, async () => /Started flows/.test(app.log()));
    await waitFor('the simulated rig seeding its record', 10_000, async () => existsSync(record));
    original = readFileSync(record, 'utf8');
  }, 90_000);

  it('refuses a function node that loads fs', async () => {
    const fn = {
      id: 'reachfn',
      type: 'function',
      z: 'reachtab',
      func: `fs.writeFileSync(${JSON.stringify(record)}, msg.payload); return msg;`,
      libs: [{ var: 'fs', module: 'fs' }],
      outputs: 1,
      wires: [[]],
    };
    const r = await deployWith([inject('reachfn'), fn]);
    expect(r.status).toBe(200);
    await waitFor('the function node refused', 10_000, async () =>
      /not allowed to load external modules/i.test(app.log()),
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(readFileSync(record, 'utf8')).toBe(original);
  });

  it('has no exec or file node: a flow that uses them does not start, and the record stays', async () => {
    const types = (await call(port, 'GET', '/nodes')).body;
    const registered = (JSON.parse(types) as { types: string[] }[]).flatMap((set) => set.types);
    expect(registered).toContain('function');
    expect(registered.filter((t) => ['exec', 'file', 'file in'].includes(t))).toEqual([]);
    const exec = {
      id: 'reachexec',
      type: 'exec',
      z: 'reachtab',
      command: `sh -c 'echo forged > ${record}'`,
      addpay: '',
      append: '',
      useSpawn: 'false',
      timer: '',
      wires: [[], [], []],
    };
    const file = {
      id: 'reachfile',
      type: 'file',
      z: 'reachtab',
      filename: record,
      filenameType: 'str',
      appendNewline: false,
      overwriteFile: 'true',
      wires: [[]],
    };
    const r = await deployWith([inject('reachexec'), exec, file]);
    expect(r.status).toBe(200);
    // Node-RED stops every flow until the types exist (the rig's outputs go to their safe state).
    await waitFor('the missing types named', 10_000, async () =>
      /Waiting for missing types to be registered:\s+- exec\s+- file/.test(
        app.log().replace(/\d+ \w+ \d\d:\d\d:\d\d - \[info\] /g, ''),
      ),
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(readFileSync(record, 'utf8')).toBe(original);
    app.proc.kill('SIGINT');
    expect((await app.exited).code).toBe(0);
  });
});
