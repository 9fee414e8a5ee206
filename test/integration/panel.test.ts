/**
 * The live panel as a researcher uses it: `cellrig start` with the default flow (cells cycling at 2 s so
 * every chart has data within seconds) on the real Mosquitto, opened in a real headless Chromium
 * (Debian's chromium, driven by playwright-core). Every chart and readout receives live data; starting
 * the oven profile from the panel (its button, then the question's confirm) starts it; acknowledging a
 * latched alert on the panel clears it on MQTT. Screenshots of each page go to test-artifacts/panel/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, expect, inject, it } from 'vitest';
import { CHROMIUM_LAUNCH } from '../support/chromium';
import { freePort } from '../support/services';

const root = join(__dirname, '../..');
const artifacts = join(root, 'test-artifacts', 'panel');

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** The default flow, cells at 2 s per cycle, and two injects that raise and clear a test alert on ch9. */
function testFlow(): FlowNode[] {
  const flow = JSON.parse(readFileSync(join(root, 'flows/rig.json'), 'utf8')) as FlowNode[];
  for (const n of flow) if (n.type === 'cell-health') n.secondsPerCycle = 2;
  const alertNode = flow.find((n) => n.type === 'alert')!;
  const health = (active: boolean) =>
    JSON.stringify({
      channel: 'ch9',
      cycle: 5,
      alerts: active ? [{ kind: 'capacity-fade', severity: 'warning', cycle: 5, active: true }] : [],
    });
  for (const [id, active] of [
    ['t-raise', true],
    ['t-clear', false],
  ] as const)
    flow.push({
      id,
      type: 'inject',
      z: alertNode.z,
      name: id,
      props: [{ p: 'payload' }],
      payload: health(active),
      payloadType: 'json',
      x: 100,
      y: 2000,
      wires: [[alertNode.id]],
    });
  return flow;
}

async function until<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the widget's text contains `text`. */
const textIn = (page: Page, widget: string, text: string, timeout = 10_000) =>
  page.waitForFunction(
    ([id, t]) => document.querySelector(`#nrdb-ui-widget-${id}`)?.textContent?.includes(t) ?? false,
    [widget, text] as const,
    { timeout },
  );

/** What the browser's dashboard socket has received, per event (msg-input:<widget id>). */
type Seen = Record<string, { n: number; points: number }>;
const seen = (page: Page) => page.evaluate(() => (window as unknown as { __seen: Seen }).__seen);

it('shows live charts, starts the oven on a confirmed click and clears an acknowledged alert on MQTT', async () => {
  const t0 = Date.now();
  const [port, rig] = [await freePort(), `panel${process.pid}`];
  const data = mkdtempSync(join(tmpdir(), 'cellrig-panel-'));
  cleanups.push(() => rmSync(data, { recursive: true, force: true }));
  writeFileSync(join(data, 'flows.json'), JSON.stringify(testFlow()));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    MQTT_URL: inject('mqttUrl'),
    RIG_ID: rig,
    CELLRIG_DATA: data,
  };
  delete env.INFLUX_URL;
  const app: ChildProcess = spawn(process.execPath, [join(root, 'dist/bin/cellrig.js'), 'start'], {
    env,
    cwd: root,
  });
  let log = '';
  app.stdout?.on('data', (b: Buffer) => (log += b));
  app.stderr?.on('data', (b: Buffer) => (log += b));
  cleanups.push(async () => {
    if (app.exitCode !== null) return;
    const exited = new Promise((r) => app.once('exit', r));
    app.kill('SIGINT');
    await exited;
  });

  // The MQTT side: what any subscriber sees.
  const messages: { topic: string; payload: Record<string, unknown> }[] = [];
  const sub = await mqtt.connectAsync(inject('mqttUrl'), { clientId: `panel-watch-${process.pid}` });
  cleanups.push(async () => {
    await sub.publishAsync(`cellrig/v1/${rig}/ch9/alert`, '', { retain: true, qos: 1 });
    await sub.endAsync();
  });
  sub.on('message', (topic, p) => {
    if (p.length) messages.push({ topic, payload: JSON.parse(p.toString()) });
  });
  await sub.subscribeAsync(`cellrig/v1/${rig}/#`, { qos: 1 });

  const base = `http://127.0.0.1:${port}`;
  await until(
    'the panel served',
    20_000,
    async () => (await fetch(`${base}/panel/rig`).catch(() => null))?.ok,
  );

  // The palette: the dashboard's nodes, never the dev-only InfluxDB nodes beside it in node_modules, nor
  // the core nodes the launcher leaves out (app/palette.ts), while the ones a researcher wires stay.
  const palette = (await (
    await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } })
  ).json()) as {
    module: string;
    types: string[];
  }[];
  const types = palette.flatMap((n) => n.types);
  expect(palette.some((n) => n.module === '@flowfuse/node-red-dashboard')).toBe(true);
  expect(palette.filter((n) => n.module === 'node-red-contrib-influxdb')).toEqual([]);
  for (const leftOut of ['exec', 'file', 'file in', 'html', 'http request', 'xml'])
    expect(types).not.toContain(leftOut);
  const kept = ['function', 'change', 'switch', 'inject', 'debug', 'template', 'delay', 'trigger'];
  for (const type of [...kept, 'json', 'csv', 'yaml', 'http in', 'mqtt in', 'mqtt out'])
    expect(types).toContain(type);

  const profile = mkdtempSync(join(tmpdir(), 'cellrig-chromium-'));
  cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
  const browser: BrowserContext = await chromium.launchPersistentContext(profile, {
    ...CHROMIUM_LAUNCH,
    viewport: { width: 1600, height: 1000 },
  });
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${base}/panel/rig`);
  // Count what the dashboard's own socket delivers to each widget.
  await page.waitForFunction(
    () =>
      (
        document.querySelector('#app') as unknown as {
          __vue_app__?: { _context: { provides: Record<string, { connected?: boolean }> } };
        }
      )?.__vue_app__?._context.provides.$socket?.connected === true,
  );
  await page.evaluate(() => {
    const app = (
      document.querySelector('#app') as unknown as {
        __vue_app__: { _context: { provides: Record<string, unknown> } };
      }
    ).__vue_app__;
    const socket = app._context.provides.$socket as {
      onAny(cb: (event: string, msg: { payload?: unknown }) => void): void;
    };
    const counts: Seen = {};
    (window as unknown as { __seen: Seen }).__seen = counts;
    socket.onAny((event, msg) => {
      counts[event] ??= { n: 0, points: 0 };
      const c = counts[event];
      c.n++;
      if (Array.isArray(msg?.payload)) c.points += msg.payload.length;
    });
  });

  // Live data into every chart and readout of the three pages.
  const charts = ['ch1', 'ch2', 'ch3', 'voltage', 'current', 'retention', 'rcat', 'nyquist', 'drt'].map(
    (c) => `p-chart-${c}`,
  );
  const readouts = [
    'p-readout-ch1',
    'p-readout-ch2',
    'p-readout-ch3',
    'p-readout-oven',
    'p-readout-impedance',
  ];
  const phase = (what: string) =>
    console.log(`panel test: ${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  phase('page open');
  const live = await until('live data in every chart and readout', 30_000, async () => {
    const s = await seen(page);
    const missing = [
      ...charts.filter((id) => !((s[`msg-input:${id}`]?.n ?? 0) > 0)),
      ...readouts.filter((id) => !((s[`msg-input:${id}`]?.n ?? 0) > 0)),
    ];
    return missing.length === 0 ? s : undefined;
  }).catch(async (err) => {
    throw new Error(`${(err as Error).message}; seen: ${JSON.stringify(await seen(page))}`);
  });
  // Pressure comes every second; point arrays for the pressure and trace charts.
  for (const id of ['p-chart-ch1', 'p-chart-voltage', 'p-chart-nyquist', 'p-chart-drt'])
    expect(live[`msg-input:${id}`]!.points).toBeGreaterThan(0);
  await textIn(page, 'p-readout-ch1', 'MPa');

  phase('live data in every chart');
  // Start the oven from the panel: its button asks, the question's confirm sends the command.
  await page.getByRole('button', { name: 'Start TFAA drying' }).click();
  const dialog = page.getByText("Start the profile 'TFAA drying' on the drying oven?");
  await dialog.waitFor();
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  const started = await until('run-start on MQTT', 10_000, () =>
    messages.find((m) => m.topic === `cellrig/v1/${rig}/oven/events` && m.payload.code === 'run-start'),
  );
  expect(started.payload.message).toMatch(/started: TFAA drying/);
  await textIn(page, 'p-readout-oven', 'running');
  await until(
    'the oven chart drawing the run',
    10_000,
    async () => (await seen(page))['msg-input:p-chart-oven']?.points,
  );

  phase('oven started');
  // An alert raised, its condition gone (latched), acknowledged on the panel: cleared on MQTT.
  // As the editor's button does: the editor guard refuses a body-less POST without it (CSRF).
  const injectNode = (id: string) =>
    fetch(`${base}/inject/${id}`, { method: 'POST', headers: { 'Node-RED-API-Version': 'v2' } });
  await injectNode('t-raise');
  await injectNode('t-clear');
  await injectNode('t-clear');
  const ack = page.locator('button[data-ack="ch9/capacity-fade"]');
  await ack.waitFor({ timeout: 10_000 });
  await textIn(page, 'p-alerts', 'latched');
  const alertTopic = `cellrig/v1/${rig}/ch9/alert`;
  const latched = await until('the latched alert on MQTT', 10_000, () =>
    messages.find((m) => m.topic === alertTopic && m.payload.state === 'latched'),
  );
  expect(latched.payload).toMatchObject({ level: 1, kind: 'capacity-fade', capacityFade: 'latched' });
  await page.screenshot({ path: join(artifacts, 'rig.png') });
  await ack.click();
  const cleared = await until('the cleared alert on MQTT', 10_000, () =>
    messages
      .slice(messages.indexOf(latched) + 1)
      .find(
        (m) => m.topic === alertTopic && m.payload.kind === 'capacity-fade' && m.payload.state === 'normal',
      ),
  );
  expect(cleared.payload).toMatchObject({ level: 0, capacityFade: 'normal' });
  await ack.waitFor({ state: 'detached', timeout: 10_000 });

  phase('alert cleared');
  for (const p of ['cells', 'profile']) {
    await page.goto(`${base}/panel/${p}`);
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(artifacts, `${p}.png`) });
  }
  expect(pageErrors).toEqual([]);
  expect(log).not.toMatch(/\[error\]/);
}, 90_000);

mkdirSync(artifacts, { recursive: true });
