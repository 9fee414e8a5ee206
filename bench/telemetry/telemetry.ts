/**
 * Telemetry benchmark on a real Mosquitto and InfluxDB (started here on free loopback ports; run
 * `npm test` once first so both are installed). Prints:
 *  1. side by side, on the same 48,000 MQTT messages (one pressure sample each, 3 rigs x 8 channels,
 *     queued in the broker for the consumer's persistent session): cellrig's writer and a stock Node-RED
 *     flow (`mqtt in` -> node-red-contrib-influxdb's `influxdb out`, in a real Node-RED 4 runtime), each
 *     in its own process (bench/telemetry/consumer.ts): CPU per point (from /proc, every thread, from the
 *     moment it may connect until its last point is in InfluxDB), points/s, and the points each loses or
 *     duplicates (counted in InfluxDB by a value unique to each sample);
 *  2. the writer draining 240,000 points batched per stream by the journaled publishers: points/s and
 *     CPU per point, beside a raw batched write of the same points (the former 0.7-of-raw goal, kept for
 *     reference: on two shared cores the writer's CPU is taken from InfluxDB);
 *  3. p50/p99 latency from sample to InfluxDB at 3 rigs x 8 channels x 10 Hz through the journaled
 *     publisher;
 *  4. RSS of `cellrig start` running the default flow (goal <= 150 MB).
 *
 *   npm run build && node dist/bench/telemetry/telemetry.js [--side-only]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { InfluxHttp } from '../../services/influx-http';
import { InfluxWriter, MAX_WRITES } from '../../services/influx-writer';
import { type PointRun, runText } from '../../services/point-runs';
import { RigPublisher } from '../../services/rig-publisher';
import { RealClock } from '../../src/clock';
import { encodePoint, pointFromSample } from '../../src/telemetry/line-protocol';
import { decodeSamples } from '../../src/telemetry/schemas';
import { writerConfigSchema } from '../../src/telemetry/writer-config';
import {
  freePort,
  type Influx,
  type Mosquitto,
  startInflux,
  startMosquitto,
} from '../../test/support/services';

const POINTS = 240_000;
const BATCH = 5000;
/** InfluxDB compacts what it was just given for a few seconds; each phase starts on a quiet server. */
const SETTLE_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sample = (i: number) => ({
  ts: 1_790_000_000_000 + Math.floor(i / 24) * 100,
  seq: Math.floor(i / 24),
  pressureMPa: 150 + Math.sin(i),
  forceN: 11781 + (i % 7),
});
const benchRoot = mkdtempSync(join(tmpdir(), 'cellrig-bench-writers-'));
process.once('exit', () => rmSync(benchRoot, { recursive: true, force: true }));
/** A writer's folder (its watermarks and dead letters), removed when the bench exits. */
const benchDir = (name: string) => join(benchRoot, name);
const where = (i: number) => ({ rig: `rig${(i % 3) + 1}`, channel: `ch${(i % 8) + 1}` });

/**
 * The baseline: prebuilt lines, BATCH per request, MAX_WRITES requests in flight as the writer allows.
 * With `cpuUsPerPoint` > 0 the sender first spins that long per point, in slices of 100 points with a
 * yield between (as the writer decodes message by message): what InfluxDB still takes from a client that
 * needs CPU of its own on the same machine (`clientCpuUs`, measured), so the writer's figure has a scale.
 */
async function rawWrite(
  influxUrl: string,
  db: string,
  cpuUsPerPoint = 0,
): Promise<{ rate: number; clientCpuUs: number }> {
  const influx = new InfluxHttp({ url: influxUrl, db });
  await influx.ensureDatabase();
  const lines = Array.from({ length: POINTS }, (_, i) => {
    const w = where(i);
    return encodePoint(pointFromSample(w.rig, w.channel, 'pressure', sample(i)));
  });
  let next = 0;
  const sender = async () => {
    for (let i = next; i < POINTS; i = next) {
      next += BATCH;
      for (let k = 0; cpuUsPerPoint > 0 && k < BATCH; k += 100) {
        spin((cpuUsPerPoint * 100) / 1000);
        await new Promise((r) => setImmediate(r));
      }
      const res = await influx.write(lines.slice(i, i + BATCH));
      if (res.status !== 204) throw new Error(`raw write ${res.status} ${res.body}`);
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: MAX_WRITES }, sender));
  const cpu = process.cpuUsage(cpu0);
  return { rate: POINTS / ((performance.now() - t0) / 1000), clientCpuUs: (cpu.user + cpu.system) / POINTS };
}

/** Busy for `ms` of wall-clock time: at most that much CPU when the machine is loaded (rawWrite measures it). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/**
 * What every writer that checks its input must do: JSON.parse and the zod schema of every sample, on the
 * bench's points in messages of 40 (as the publishers sent them), timed alone.
 */
function decodeOnlyUsPerPoint(): number {
  const messages: string[] = [];
  for (let i = 0; i < POINTS; i += 40)
    messages.push(JSON.stringify(Array.from({ length: 40 }, (_, k) => sample(i + k))));
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    let ok = 0;
    for (const m of messages) for (const d of decodeSamples('pressure', m)) if (d.ok) ok++;
    if (ok !== POINTS) throw new Error(`decoded ${ok} of ${POINTS}`);
    best = Math.min(best, ((performance.now() - t0) * 1000) / POINTS);
  }
  return best;
}

async function startWriter(
  mqttUrl: string,
  influxUrl: string,
  database: string,
  onWritten?: (writer: InfluxWriter) => void,
): Promise<InfluxWriter> {
  const config = writerConfigSchema.parse({
    brokerUrl: mqttUrl,
    influxUrl,
    database,
    rig: '',
    clientId: `bench-${database}`,
    batchSize: BATCH,
    flushMs: 100,
  });
  const writer = new InfluxWriter(config, new RealClock(), {}, { dir: benchDir(`writer-${database}`) });
  if (onWritten) writer.on('written', () => onWritten(writer));
  const ready = new Promise((r) => writer.once('connect', r));
  writer.start();
  await ready;
  return writer;
}

/**
 * The writer's sustained rate: 3 journaled publishers (batching per stream) put every point into the
 * broker while the writer's persistent session is offline; then the writer starts and drains it all into
 * InfluxDB, timed from its start to the last 204.
 */
async function writerThroughput(
  mqttUrl: string,
  influxUrl: string,
  db: string,
): Promise<{ rate: number; cpuUsPerPoint: number }> {
  await (await startWriter(mqttUrl, influxUrl, db)).close(); // the session now exists
  const dir = mkdtempSync(join(tmpdir(), 'cellrig-bench-'));
  const clock = new RealClock();
  const pubs = ['rig1', 'rig2', 'rig3'].map(
    (rigId) => new RigPublisher({ url: mqttUrl, rigId, clock, journalDir: join(dir, rigId) }),
  );
  await Promise.all(pubs.map((p) => new Promise((r) => p.once('connect', r))));
  for (let i = 0; i < POINTS; i++) {
    const s = sample(i);
    const w = where(i);
    await pubs[i % 3]?.publish({
      channel: w.channel,
      stream: 'pressure',
      fields: { ts: s.ts, pressureMPa: s.pressureMPa, forceN: s.forceN },
    });
    if (i % 5000 === 0) await sleep(0);
  }
  while (pubs.some((p) => p.backlog > 0)) await sleep(20);
  for (const p of pubs) await p.close();
  await sleep(SETTLE_MS);
  // The publishers are closed: from here on this process's CPU is the writer's.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let t1 = 0;
  let cpu = cpu0;
  const writer = await startWriter(mqttUrl, influxUrl, db, (w) => {
    if (t1 || w.stats.written < POINTS) return;
    t1 = performance.now(); // at the last 204, not a poll later
    cpu = process.cpuUsage(cpu0);
  });
  while (!t1) await sleep(20);
  const rate = POINTS / ((t1 - t0) / 1000);
  await writer.close();
  rmSync(dir, { recursive: true, force: true });
  return { rate, cpuUsPerPoint: (cpu.user + cpu.system) / POINTS };
}

async function latency(mqttUrl: string, influxUrl: string): Promise<{ p50: number; p99: number; n: number }> {
  const clock = new RealClock();
  const config = writerConfigSchema.parse({
    brokerUrl: mqttUrl,
    influxUrl,
    database: 'bench_latency',
    rig: '',
    clientId: 'bench-latency-writer',
  });
  const writer = new InfluxWriter(config, clock, {}, { dir: benchDir('writer-latency') });
  const lat: number[] = [];
  writer.on('written', (_n: number, batch: PointRun[]) => {
    const now = Date.now();
    for (const run of batch)
      for (const line of runText(run).split('\n'))
        lat.push(now - Number(line.slice(line.lastIndexOf(' ') + 1, -6)));
  });
  const ready = new Promise((r) => writer.once('connect', r));
  writer.start();
  await ready;
  const dir = mkdtempSync(join(tmpdir(), 'cellrig-bench-'));
  const pubs = ['rig1', 'rig2', 'rig3'].map(
    (rigId) => new RigPublisher({ url: mqttUrl, rigId, clock, journalDir: join(dir, rigId) }),
  );
  await sleep(1000);
  const timer = setInterval(() => {
    for (const p of pubs)
      for (let c = 1; c <= 8; c++)
        void p.publish({
          channel: `ch${c}`,
          stream: 'pressure',
          fields: { pressureMPa: 150, forceN: 11781 },
        });
  }, 100);
  await sleep(30_000);
  clearInterval(timer);
  await sleep(2000);
  for (const p of pubs) await p.close();
  await writer.close();
  rmSync(dir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  const q = (f: number) => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))] ?? Number.NaN;
  return { p50: q(0.5), p99: q(0.99), n: lat.length };
}

async function startRss(): Promise<{ rssMB: number; peakMB: number }> {
  const data = mkdtempSync(join(tmpdir(), 'cellrig-bench-start-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(await freePort()),
    MQTT_PORT: String(await freePort()),
    CELLRIG_DATA: data,
  };
  delete env.MQTT_URL;
  const app = spawn(process.execPath, [join(__dirname, '../../bin/cellrig.js'), 'start'], {
    env,
    stdio: 'ignore',
  });
  const exited = new Promise((r) => app.once('exit', r));
  try {
    await sleep(60_000);
    if (app.exitCode !== null) throw new Error(`cellrig start exited early (${app.exitCode})`);
    const status = readFileSync(`/proc/${app.pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
    return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
  } finally {
    app.kill('SIGINT');
    await exited;
    rmSync(data, { recursive: true, force: true });
  }
}

const SIDE_MESSAGES = 48_000;

/** utime + stime of a process and its threads, in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // CLK_TCK is 100 on Linux
}

type SideResult = { cpuUsPerPoint: number; rate: number; stored: number; distinct: number };

/** One consumer on SIDE_MESSAGES queued single-sample messages: see the header, item 1. */
async function sideConsumer(
  kind: 'cellrig' | 'node-red',
  { mosquitto, influx }: Servers,
): Promise<SideResult> {
  const db = `bench_side_${kind === 'cellrig' ? 'cellrig' : 'nodered'}`;
  const clientId = `bench-side-${kind}`;
  const http = new InfluxHttp({ url: influx.url, db });
  await http.ensureDatabase(); // node-red-contrib-influxdb does not create it
  // The consumer's persistent session first, so the broker keeps every message for it.
  const session = await mqtt.connectAsync(mosquitto.url, { clientId, clean: false });
  await session.subscribeAsync(kind === 'cellrig' ? 'cellrig/v1/+/#' : 'cellrig/v1/+/+/pressure', { qos: 1 });
  await session.endAsync();
  const pub = await mqtt.connectAsync(mosquitto.url, { clientId: `bench-side-pub-${kind}` });
  for (let i = 0; i < SIDE_MESSAGES; i += 1000)
    await Promise.all(
      Array.from({ length: 1000 }, (_, k) => {
        const w = where(i + k);
        return pub.publishAsync(`cellrig/v1/${w.rig}/${w.channel}/pressure`, JSON.stringify(sample(i + k)), {
          qos: 1,
        });
      }),
    );
  await pub.endAsync();
  await sleep(SETTLE_MS / 3);
  const child = spawn(
    process.execPath,
    [join(__dirname, 'consumer.js'), kind, mosquitto.url, influx.url, db, clientId, benchDir(`side-${kind}`)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => {
      output = `${output}${b}`.slice(-200_000);
      if (`${b}`.includes('READY')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${kind} consumer exited (${code})`)));
  });
  const pid = child.pid as number;
  const counts = async () => {
    const r = await http.query('SELECT count("pressureMPa"), count(distinct("pressureMPa")) FROM "pressure"');
    const v = r.results[0]?.series?.[0]?.values[0] ?? [0, 0, 0];
    return { stored: Number(v[1]), distinct: Number(v[2]) };
  };
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  child.stdin?.write('go\n');
  let last = { stored: 0, distinct: 0, at: t0, cpu: cpu0 };
  // Done when every message is in, or nothing more arrived for 30 s while the consumer sat idle (it
  // lost the rest: nothing was still on its way).
  let idleSince = performance.now();
  let cpuBefore = cpu0;
  while (
    last.distinct < SIDE_MESSAGES &&
    !(performance.now() - last.at > 30_000 && performance.now() - idleSince > 5000)
  ) {
    await sleep(200);
    const c = await counts();
    const cpu = cpuSeconds(pid);
    if (cpu - cpuBefore > 0.01) idleSince = performance.now();
    cpuBefore = cpu;
    if (c.stored !== last.stored) last = { ...c, at: performance.now(), cpu };
  }
  const errors = output.split('\n').filter((l) => /\[error\]/.test(l));
  if (errors.length > 0)
    console.log(`  (${kind}: ${errors.length} errors logged, e.g. ${errors[0]?.slice(0, 200)})`);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return {
    cpuUsPerPoint: ((last.cpu - cpu0) * 1e6) / Math.max(1, last.distinct),
    rate: last.distinct / ((last.at - t0) / 1000),
    stored: last.stored,
    distinct: last.distinct,
  };
}

async function sideBySide(servers: Servers): Promise<void> {
  const row = (name: string, r: SideResult) =>
    `${name}: ${r.cpuUsPerPoint.toFixed(1)} us CPU per point, ${r.rate.toFixed(0)} points/s, ${SIDE_MESSAGES - r.distinct} lost, ${r.stored - r.distinct} duplicated (${r.distinct} of ${SIDE_MESSAGES} in InfluxDB)`;
  const ours = await sideConsumer('cellrig', servers);
  await sleep(SETTLE_MS);
  const stock = await sideConsumer('node-red', servers);
  console.log(
    `side by side, ${SIDE_MESSAGES} MQTT messages of one sample each, each consumer in its own process:`,
  );
  console.log(`  ${row("cellrig's writer", ours)}`);
  console.log(`  ${row('Node-RED mqtt in -> influxdb out (node-red-contrib-influxdb 0.7.0)', stock)}`);
  console.log(
    `  CPU per point, writer / stock flow: ${(ours.cpuUsPerPoint / stock.cpuUsPerPoint).toFixed(3)} (goal < 1)`,
  );
}

type Servers = { mosquitto: Mosquitto; influx: Influx };

/** Writer throughput against the raw write before and after it, so a machine that slows down mid-run does not flatter the ratio. */
async function throughput({ mosquitto, influx }: Servers, name: string, label: string) {
  const before = await rawWrite(influx.url, `bench_${name}_raw1`);
  await sleep(SETTLE_MS);
  const pipeline = await writerThroughput(mosquitto.url, influx.url, `bench_${name}_pipeline`);
  await sleep(SETTLE_MS);
  const after = await rawWrite(influx.url, `bench_${name}_raw2`);
  const raw = (before.rate + after.rate) / 2;
  const rawCpu = (before.clientCpuUs + after.clientCpuUs) / 2;
  console.log(
    `writer throughput, ${label}: ${pipeline.rate.toFixed(0)} points/s from MQTT into InfluxDB (journaled publishers, batched per stream; writer CPU ${pipeline.cpuUsPerPoint.toFixed(1)} us per point), raw batched write ${raw.toFixed(0)} points/s (its client's CPU ${rawCpu.toFixed(1)} us per point), ratio ${(pipeline.rate / raw).toFixed(2)} (reference only)`,
  );
  return raw;
}

async function main(): Promise<void> {
  const ncpu = cpus().length;
  console.log(`machine: ${ncpu} x ${cpus()[0]?.model}, Node ${process.version}`);
  const [mosquitto, influx] = await Promise.all([startMosquitto(), startInflux()]);
  try {
    await sideBySide({ mosquitto, influx });
    // `--side-only`: the side-by-side comparison alone (a few minutes instead of about ten).
    if (process.argv.includes('--side-only')) return;
    await sleep(SETTLE_MS);
    await throughput({ mosquitto, influx }, 'shared', 'cores shared');
    console.log(
      `JSON.parse and zod alone (no MQTT, no InfluxDB, best of 5): ${decodeOnlyUsPerPoint().toFixed(2)} us per point`,
    );
    const l = await latency(mosquitto.url, influx.url);
    console.log(
      `latency sample -> InfluxDB at 3 rigs x 8 channels x 10 Hz: p50 ${l.p50} ms, p99 ${l.p99} ms (${l.n} points)`,
    );
  } finally {
    await Promise.all([mosquitto.dispose(), influx.dispose()]);
  }
  if (process.argv.includes('--side-only')) return;
  const rss = await startRss();
  console.log(
    `cellrig start (default flow, embedded broker) after 60 s: RSS ${rss.rssMB.toFixed(0)} MB, peak ${rss.peakMB.toFixed(0)} MB (goal <= 150 MB)`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
