/**
 * The README's picture of the live panel, from live simulated data: `cellrig start` with the default
 * flow (cells cycling at 2 s so the cell charts fill within a minute), the oven's TFAA drying started
 * through the panel's own button and confirmation, then a screenshot of /panel/rig taken in Debian's
 * headless Chromium. Prints what the oven reported over MQTT meanwhile (soak error, any loop-overrun).
 *
 *   npm run build && node scripts/panel-screenshot.mjs [out.png] [seconds, default 120] [page, default rig]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? join(root, 'docs/images/panel-rig.png');
const seconds = Number(process.argv[3] ?? 120);
const pageName = process.argv[4] ?? 'rig';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const data = mkdtempSync(join(tmpdir(), 'cellrig-screenshot-'));
const flow = JSON.parse(readFileSync(join(root, 'flows/rig.json'), 'utf8'));
for (const n of flow) if (n.type === 'cell-health') n.secondsPerCycle = 2;
writeFileSync(join(data, 'flows.json'), JSON.stringify(flow));
const [port, mqttPort] = [await freePort(), await freePort()];
const env = { ...process.env, PORT: String(port), MQTT_PORT: String(mqttPort), CELLRIG_DATA: data };
for (const k of ['MQTT_URL', 'INFLUX_URL', 'MQTT_HOST', 'HOST']) delete env[k];
const app = spawn(
  process.execPath,
  ['--max-semi-space-size=2', '--optimize-for-size', join(root, 'dist/bin/cellrig.js'), 'start'],
  { env, stdio: ['ignore', 'ignore', 'inherit'] },
);
const exited = new Promise((r) => app.once('exit', r));
const base = `http://127.0.0.1:${port}`;
const profile = mkdtempSync(join(tmpdir(), 'cellrig-screenshot-chromium-'));
let browser;
let sub;
try {
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/panel/rig`).catch(() => null))?.ok) break;
    if (i > 120) throw new Error('the panel was not served within 60 s');
    await sleep(500);
  }
  const oven = [];
  const events = [];
  sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`);
  sub.on('message', (topic, p) => {
    if (!p.length) return;
    const m = JSON.parse(p.toString());
    if (topic.endsWith('/oven/oven')) oven.push(m);
    else if (topic.endsWith('/events')) events.push({ channel: topic.split('/')[3], ...m });
  });
  await sub.subscribeAsync(['cellrig/v1/+/oven/oven', 'cellrig/v1/+/+/events']);

  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    viewport: { width: 1440, height: 900 },
  });
  const page = await browser.newPage();
  await page.goto(`${base}/panel/rig`);
  await page.getByRole('button', { name: 'Start TFAA drying' }).click();
  await page.getByText("Start the profile 'TFAA drying' on the drying oven?").waitFor();
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await sleep(seconds * 1000);
  if (pageName !== 'rig') await page.goto(`${base}/panel/${pageName}`);
  await sleep(3000);
  await page.screenshot({ path: out, fullPage: true });
  const soak = oven.filter((m) => m.phase === 'soak');
  const worst = Math.max(0, ...soak.map((m) => Math.abs(m.tempC - m.setpointC)));
  const last = oven.at(-1) ?? {};
  console.log(
    `screenshot ${out}; oven: ${oven.length} samples, last ${last.segmentName} ${last.phase} ${last.tempC} C (setpoint ${last.setpointC} C), ` +
      `soak samples ${soak.length}, worst |T - setpoint| in soak ${worst.toFixed(2)} C; events: ${events.map((e) => `${e.channel} ${e.code}`).join(', ')}`,
  );
} finally {
  await browser?.close();
  await sub?.endAsync();
  app.kill('SIGINT');
  await exited;
  rmSync(data, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}
