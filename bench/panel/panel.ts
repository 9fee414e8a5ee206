/**
 * Memory and CPU of the edge process with the live panel open: `cellrig start` (the default flow, the
 * embedded broker) with /panel/rig open in a headless Chromium (Debian's chromium, as `npm test`
 * installs it), sampled every 5 s from /proc. For each set of node flags: RSS median and maximum after
 * the first minute, the process's peak (VmHWM, start-up included), and CPU seconds per minute. The
 * goal is RSS <= 150 MB; `npm start` runs the launcher with the flags of the first line.
 *
 *   npm run build && node dist/bench/panel/panel.js [seconds per run, default 240] [configurations, default all]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LAUNCHER_ENV, LAUNCHER_NODE_FLAGS } from '../../app/node-flags';
import { CHROMIUM_LAUNCH } from '../../test/support/chromium';
import { freePort } from '../../test/support/services';

const SECONDS = Number(process.argv[2] ?? 240);
/** Only the first N configurations (default all): `1` measures what npm start runs. */
const ONLY = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);
const SAMPLE_MS = 5000;
const WARMUP_S = 60;
const CONFIGS: { label: string; flags: string[]; env?: Record<string, string> }[] = [
  {
    label: `npm start (${LAUNCHER_NODE_FLAGS.join(' ')}, ${Object.entries(LAUNCHER_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')})`,
    flags: [...LAUNCHER_NODE_FLAGS],
    env: LAUNCHER_ENV,
  },
  { label: `${LAUNCHER_NODE_FLAGS.join(' ')} only`, flags: [...LAUNCHER_NODE_FLAGS] },
  { label: '--max-semi-space-size=2 only', flags: ['--max-semi-space-size=2'] },
  { label: 'node without flags', flags: [] },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function proc(pid: number): { rssMB: number; hwmMB: number; cpuS: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024, cpuS: ticks / 100 };
}

async function until(what: string, ms: number, probe: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await probe().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} not within ${ms} ms`);
}

async function run(flags: string[], extraEnv: Record<string, string> = {}) {
  const data = mkdtempSync(join(tmpdir(), 'cellrig-bench-panel-'));
  const profile = mkdtempSync(join(tmpdir(), 'cellrig-bench-chromium-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    MQTT_PORT: String(await freePort()),
    CELLRIG_DATA: data,
    ...extraEnv,
  };
  delete env.MQTT_URL;
  delete env.INFLUX_URL;
  const app: ChildProcess = spawn(
    process.execPath,
    [...flags, join(__dirname, '../../bin/cellrig.js'), 'start'],
    {
      env,
      stdio: 'ignore',
    },
  );
  const exited = new Promise((r) => app.once('exit', r));
  const browser = await chromium.launchPersistentContext(profile, {
    ...CHROMIUM_LAUNCH,
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await until('the panel', 30_000, async () => (await fetch(`${base}/panel/rig`)).ok);
    const page = await browser.newPage();
    await page.goto(`${base}/panel/rig`);
    const pid = app.pid!;
    const start = proc(pid);
    const rss: number[] = [];
    for (let t = 0; t < SECONDS * 1000; t += SAMPLE_MS) {
      await sleep(SAMPLE_MS);
      if (app.exitCode !== null) throw new Error(`cellrig start exited (${app.exitCode})`);
      if (t >= WARMUP_S * 1000) rss.push(proc(pid).rssMB);
    }
    const end = proc(pid);
    rss.sort((a, b) => a - b);
    return {
      medianMB: rss[Math.floor(rss.length / 2)] ?? Number.NaN,
      maxMB: rss[rss.length - 1] ?? Number.NaN,
      hwmMB: end.hwmMB,
      cpuSPerMin: ((end.cpuS - start.cpuS) / SECONDS) * 60,
    };
  } finally {
    await browser.close();
    app.kill('SIGINT');
    await exited;
    rmSync(data, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main() {
  console.log(
    `cellrig start with /panel/rig open in Chromium, ${SECONDS} s per run, RSS sampled every ${SAMPLE_MS / 1000} s after the first ${WARMUP_S} s`,
  );
  for (const c of CONFIGS.slice(0, ONLY)) {
    const r = await run(c.flags, c.env);
    console.log(
      `${c.label}: RSS median ${r.medianMB.toFixed(0)} MB, max ${r.maxMB.toFixed(0)} MB, peak since start ${r.hwmMB.toFixed(0)} MB (goal <= 150 MB); CPU ${r.cpuSPerMin.toFixed(1)} s per minute`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
