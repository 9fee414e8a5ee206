/**
 * Nothing lost, nothing twice: 3 rigs x 8 channels x 10 Hz through the durable publisher (`cellrig edge`
 * processes), real Mosquitto, the writer (`cellrig bridge`) and real InfluxDB, while the broker is
 * restarted twice, InfluxDB is stopped for 20 s and one edge process is SIGKILLed and restarted.
 * Afterwards every series holds exactly one point per seq, from 0 to the last seq its journal issued.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Influx, type Mosquitto, startInflux, startMosquitto } from '../support/services';

const root = join(__dirname, '../..');
const rigs = ['dur1', 'dur2', 'dur3'];
const CHANNELS = 8;
const db = 'cellrig_durability';
let mosquitto: Mosquitto;
let influx: Influx;
const procs = new Set<ChildProcess>();
const logs = new Map<string, string>();
const dataDir = mkdtempSync(join(tmpdir(), 'cellrig-durability-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const p = spawn(process.execPath, [join(root, 'dist/bin/cellrig.js'), ...args], {
    env: { ...process.env, MQTT_URL: mosquitto.url, ...env },
  });
  procs.add(p);
  p.once('exit', () => procs.delete(p));
  const log = (b: Buffer) => logs.set(name, `${logs.get(name) ?? ''}${b}`.slice(-20_000));
  p.stdout?.on('data', log);
  p.stderr?.on('data', log);
  return p;
}
const edge = (rig: string) =>
  run(rig, ['edge', '--rig', rig, '--channels', String(CHANNELS), '--hz', '10', '--seed', rig.slice(-1)], {
    CELLRIG_DATA: join(dataDir, rig),
  });
async function stop(p: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  await done;
}

/** Per series: [count, distinct seqs, min, max] as InfluxDB holds them. */
async function seriesStats(): Promise<Map<string, number[]>> {
  const r = await influx.query(
    'SELECT count("seq"), count(distinct("seq")), min("seq"), max("seq") FROM pressure GROUP BY rig, channel',
    db,
  );
  const out = new Map<string, number[]>();
  for (const s of r.results[0]?.series ?? []) {
    out.set(`${s.tags?.rig}/${s.tags?.channel}`, (s.values[0] ?? []).slice(1).map(Number));
  }
  return out;
}
const complete = (s: number[] | undefined) => !!s && s[0] === s[1] && s[2] === 0 && s[0] === (s[3] ?? -2) + 1;

beforeAll(async () => {
  [mosquitto, influx] = await Promise.all([startMosquitto(), startInflux()]);
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all([mosquitto?.dispose(), influx?.dispose()]);
  rmSync(dataDir, { recursive: true, force: true });
});

it('keeps exactly one point per seq through broker restarts, an InfluxDB outage and a killed edge', async () => {
  const bridge = run('bridge', ['bridge'], {
    INFLUX_URL: influx.url,
    INFLUX_DB: db,
    CELLRIG_DATA: join(dataDir, 'bridge'),
  });
  const edges = new Map(rigs.map((r) => [r, edge(r)]));
  const t0 = Date.now();
  const at = async (s: number) => sleep(Math.max(0, t0 + s * 1000 - Date.now()));

  await at(8);
  await mosquitto.restart(); // 1st broker restart
  await at(15);
  await influx.stop(); // InfluxDB away for 20 s
  await at(25);
  await stop(edges.get('dur2') as ChildProcess, 'SIGKILL'); // power cut on one rig
  await at(28);
  edges.set('dur2', edge('dur2'));
  await at(35);
  await influx.start(60_000);
  await at(45);
  await mosquitto.restart(); // 2nd broker restart
  await at(62);

  // While the rigs still run, every gap must close (the writer's watermark makes publishers replay).
  const deadline = Date.now() + 60_000;
  let stats = await seriesStats();
  while (
    Date.now() < deadline &&
    !(stats.size === rigs.length * CHANNELS && [...stats.values()].every(complete))
  ) {
    await sleep(1000);
    stats = await seriesStats();
  }
  for (const p of edges.values()) await stop(p);

  // Then everything each journal issued must arrive: count == distinct == last seq + 1, for each series.
  const issued = new Map<string, number>();
  for (const rig of rigs) {
    const state = JSON.parse(readFileSync(join(dataDir, rig, 'journal', rig, 'state.json'), 'utf8')) as {
      nextSeq: Record<string, number>;
    };
    for (const [key, next] of Object.entries(state.nextSeq)) issued.set(`${rig}/${key.split('/')[0]}`, next);
  }
  const until = Date.now() + 30_000;
  const matches = (s: Map<string, number[]>) =>
    [...issued].every(([k, n]) => complete(s.get(k)) && s.get(k)?.[0] === n);
  while (Date.now() < until && !matches(stats)) {
    await sleep(500);
    stats = await seriesStats();
  }
  await stop(bridge);
  const report = Object.fromEntries([...issued].map(([k, n]) => [k, { issued: n, influx: stats.get(k) }]));
  expect(issued.size, JSON.stringify(report)).toBe(rigs.length * CHANNELS);
  for (const [k, n] of issued) {
    expect({ series: k, stats: stats.get(k) }).toEqual({ series: k, stats: [n, n, 0, n - 1] });
    expect(n).toBeGreaterThan(400); // ~60 s at 10 Hz (less for the rig that was down 3 s)
  }
  // The disturbances really happened: the writer saw InfluxDB go away.
  expect(logs.get('bridge')).toMatch(/InfluxDB (unreachable|not ready)/);
  const bridgeStats = /stopped \(.*\)/.exec(logs.get('bridge') ?? '')?.[0];
  console.log(`durability: bridge ${bridgeStats}; series ${JSON.stringify(report)}`);
}, 200_000);
