/**
 * Telemetry benchmark on a real Mosquitto and InfluxDB (started here on free loopback ports; run
 * `npm test` once first so both are installed). Prints:
 *  1. points/s the writer sustains from MQTT into InfluxDB, against a raw batched write of the same
 *     points straight into InfluxDB in the same run (goal: ratio >= 0.7). Both sides write the same
 *     points, each into a fresh database, in batches of the same size, through the same HTTP client
 *     (InfluxHttp, one keep-alive agent), with at most the writer's MAX_WRITES requests in flight.
 *     That twice: first with InfluxDB, the broker and the writer sharing the machine's cores, then with
 *     InfluxDB bound to CPU 0 for both the raw write and the writer's, the writer and broker to the rest.
 *     On shared cores, also the raw write from a client that itself spends 1-4 us of CPU per point (the
 *     ratio a writer needing that much CPU could reach there) and what JSON.parse and zod alone cost per
 *     point, a floor under any writer's CPU;
 *  2. p50/p99 latency from sample to InfluxDB at 3 rigs x 8 channels x 10 Hz through the journaled
 *     publisher;
 *  3. RSS of `cellrig start` running the default flow (goal <= 150 MB).
 *
 *   npm run build && node dist/bench/telemetry/telemetry.js
 */
import { execFileSync, spawn } from 'node:child_process';
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
  const writer = new InfluxWriter(config, new RealClock());
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

/** The writer fed one sample per MQTT message (a third-party publisher that does not batch). */
async function singleMessageThroughput(mqttUrl: string, influxUrl: string): Promise<number> {
  const writer = await startWriter(mqttUrl, influxUrl, 'bench_single');
  const pub = await mqtt.connectAsync(mqttUrl, { clientId: 'bench-pub' });
  const n = POINTS / 4;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1000) {
    await Promise.all(
      Array.from({ length: 1000 }, (_, k) => {
        const w = where(i + k);
        return pub.publishAsync(`cellrig/v1/${w.rig}/${w.channel}/pressure`, JSON.stringify(sample(i + k)), {
          qos: 1,
        });
      }),
    );
  }
  while (writer.stats.written < n) await sleep(20);
  const rate = n / ((performance.now() - t0) / 1000);
  await pub.endAsync();
  await writer.close();
  return rate;
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
  const writer = new InfluxWriter(config, clock);
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
    `writer throughput, ${label}: ${pipeline.rate.toFixed(0)} points/s from MQTT into InfluxDB (journaled publishers, batched per stream; writer CPU ${pipeline.cpuUsPerPoint.toFixed(1)} us per point), raw batched write ${raw.toFixed(0)} points/s (its client's CPU ${rawCpu.toFixed(1)} us per point), ratio ${(pipeline.rate / raw).toFixed(2)} (goal >= 0.7)`,
  );
  return raw;
}

/** Binds every thread of these processes to the listed CPUs (taskset, from util-linux); false if it cannot. */
function pin(pids: (number | undefined)[], cpuList: string): boolean {
  try {
    for (const pid of pids)
      execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const ncpu = cpus().length;
  console.log(`machine: ${ncpu} x ${cpus()[0]?.model}, Node ${process.version}`);
  const [mosquitto, influx] = await Promise.all([startMosquitto(), startInflux()]);
  try {
    // 1a. As deployed on one small machine: InfluxDB, the broker and the writer share all the cores.
    const raw = await throughput({ mosquitto, influx }, 'shared', 'cores shared');
    // The writer's CPU budget on shared cores: the raw write again from a client that spends 1-4 us of
    // CPU per point, each as a ratio to the raw figure above.
    const budget: string[] = [];
    // 'CPU used': the client's whole CPU per point, its HTTP requests included.
    for (const us of [1, 2, 3, 4]) {
      await sleep(SETTLE_MS);
      const r = await rawWrite(influx.url, `bench_budget${us}`, us);
      budget.push(`${us} us (CPU used ${r.clientCpuUs.toFixed(1)} us) ${(r.rate / raw).toFixed(2)}`);
    }
    console.log(`raw batched write from a client spending CPU per point, ratio to raw: ${budget.join(', ')}`);
    console.log(
      `JSON.parse and zod alone (no MQTT, no InfluxDB, best of 5): ${decodeOnlyUsPerPoint().toFixed(2)} us per point`,
    );
    // 1b. InfluxDB on CPU 0 in both phases, this process (the writer, or the raw client) and the broker on
    // the others: InfluxDB has the same CPU for the raw write as for the writer's, and the ratio says
    // whether the writer keeps it fed, as when the two do not compete for cores.
    await sleep(SETTLE_MS);
    if (ncpu >= 2 && pin([influx.pid], '0') && pin([mosquitto.pid, process.pid], `1-${ncpu - 1}`)) {
      await throughput({ mosquitto, influx }, 'pinned', 'InfluxDB on its own core');
      pin([influx.pid, mosquitto.pid, process.pid], `0-${ncpu - 1}`);
    } else console.log('writer throughput with InfluxDB on its own core: skipped (one CPU, or no taskset)');
    const single = await singleMessageThroughput(mosquitto.url, influx.url);
    console.log(
      `writer fed one sample per message: ${single.toFixed(0)} points/s, ratio ${(single / raw).toFixed(2)}`,
    );
    const l = await latency(mosquitto.url, influx.url);
    console.log(
      `latency sample -> InfluxDB at 3 rigs x 8 channels x 10 Hz: p50 ${l.p50} ms, p99 ${l.p99} ms (${l.n} points)`,
    );
  } finally {
    await Promise.all([mosquitto.dispose(), influx.dispose()]);
  }
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
