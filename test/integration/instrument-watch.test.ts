/**
 * Real instrument files written into a watched folder the way an instrument does while it measures (in
 * pieces cut anywhere, a half-written row at the end of most), with the watcher restarted in the middle
 * of each: every cycle and spectrum reaches cell-health and, through telemetry-out and the rig's durable
 * publisher, the real Mosquitto, exactly once. instrument-watch -> cell-health -> telemetry-out: the path
 * a simulated channel's cycles take.
 */
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import cellHealth from '../../nodes/cell-health/cell-health';
import instrumentWatch from '../../nodes/instrument-watch/instrument-watch';
import rig from '../../nodes/rig/rig';
import telemetryOut from '../../nodes/telemetry-out/telemetry-out';
import { readEclab } from '../support/eclab-data';
import { type FlowNode, helper, startFlow, stopFlow } from '../support/node-red';

const RIG = `watch${process.pid}`;
const modules = [rig, instrumentWatch, cellHealth, telemetryOut];
type Sample = { seq: number; cycle: number; sweep?: number; fHz?: number };

let dir: string;
/** The flow; a new `name` on the watcher makes a "modified nodes" deploy restart only the watcher. */
const flow = (watcherName = ''): FlowNode[] => [
  { id: 'rig1', type: 'rig', rigId: RIG, backend: 'sim', seed: 1, broker: inject('mqttUrl') },
  {
    id: 'watch',
    type: 'instrument-watch',
    name: watcherName,
    folder: dir,
    pattern: '*.mpt',
    channel: 'ch1',
    cell: 'real-01',
    pollS: 0.05,
    settleS: 0.3,
    finishAfterS: 2,
    wires: [['health']],
  },
  {
    id: 'health',
    type: 'cell-health',
    channel: 'ch1',
    cell: 'real-01',
    coating: 'pristine',
    source: 'input',
    wires: [[], ['telemetry']],
  },
  { id: 'telemetry', type: 'telemetry-out', rig: 'rig1', channel: '', stream: '', wires: [] },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The text export cut into `n` pieces at arbitrary bytes. */
function pieces(name: string, n: number): Buffer[] {
  const b = readEclab(name);
  const at = Array.from(
    { length: n + 1 },
    (_, k) => Math.round((k * b.length) / n) + (k > 0 && k < n ? 29 : 0),
  );
  return at.slice(1).map((end, k) => b.subarray(at[k]!, end));
}

describe('a watched folder, live, into cell-health and MQTT', () => {
  /** stream -> seq -> sample: the durable publisher may send a seq again (idempotent by design). */
  const received = new Map<string, Map<number, Sample>>();
  const turnedAway: string[] = [];
  const errors: string[] = [];
  let sub: mqtt.MqttClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cellrig-share-'));
    sub = await mqtt.connectAsync(inject('mqttUrl'), { clientId: `watch-test-${process.pid}` });
    sub.on('message', (topic, payload) => {
      const stream = topic.split('/')[4]!;
      const body = JSON.parse(payload.toString()) as Sample | Sample[]; // one sample, or a batch
      const bySeq = received.get(stream) ?? new Map<number, Sample>();
      received.set(stream, bySeq);
      for (const s of Array.isArray(body) ? body : [body]) bySeq.set(s.seq, s);
    });
    await sub.subscribeAsync(`cellrig/v1/${RIG}/ch1/#`, { qos: 1 });
    await startFlow(modules, flow());
    const health = helper.getNode('health') as unknown as { warn: { args?: unknown[][] } };

    // A GCPL run (5 cycles) in 10 pieces, then a Modulo Bat run (one cycle with 16 PEIS sweeps) in 6,
    // whose arrival finishes the first file. The watcher restarts in the middle of each.
    let restarts = 0;
    for (const [file, source, n, restartAfter] of [
      ['a_gcpl.mpt', 'gcpl.pr_182.1.mpt', 10, 4],
      ['b_mb.mpt', 'mb.issue_149.mpt', 6, 2],
    ] as const) {
      const parts = pieces(source, n);
      for (let k = 0; k < parts.length; k++) {
        await appendFile(join(dir, file), parts[k]!);
        await sleep(450);
        if (k === restartAfter) await helper.setFlows(flow(`restarted ${++restarts}`), 'nodes');
      }
    }
    // Unchanged for 2 s, the last file is finished and its cycle goes out too (its 16 sweeps are fitted).
    for (let i = 0; i < 120 && (received.get('eis-fit')?.size ?? 0) < 16; i++) await sleep(250);
    await sleep(1000);
    for (const a of health.warn.args ?? []) turnedAway.push(String(a[0]));
    for (const a of (health as unknown as { error: { args?: unknown[][] } }).error.args ?? [])
      errors.push(String(a[0]));
  }, 120_000);

  afterAll(async () => {
    await stopFlow();
    await sub.endAsync();
    await rm(dir, { recursive: true, force: true });
  });

  const samples = (stream: string) => [...(received.get(stream)?.values() ?? [])];

  it('gives cell-health and MQTT every cycle once: five from the GCPL file, one from the Modulo Bat file', () => {
    // Distinct seqs, one per cycle cell-health took: a cycle twice would be two seqs.
    expect(
      samples('cycle')
        .map((s) => s.cycle)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('gives cell-health and MQTT every spectrum once: the 16 sweeps of cycle 6, each fitted', () => {
    const fits = samples('eis-fit').map((s) => `${s.cycle}/${s.sweep}`);
    expect(fits.sort()).toEqual(Array.from({ length: 16 }, (_, k) => `6/${k + 1}`).sort());
    const perSweep = new Map<number, number[]>();
    for (const p of samples('spectrum')) perSweep.set(p.sweep!, [...(perSweep.get(p.sweep!) ?? []), p.fHz!]);
    expect([...perSweep.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, k) => k + 1));
    for (const f of perSweep.values()) {
      expect(f).toHaveLength(13);
      expect(new Set(f).size).toBe(13);
    }
  });

  it("publishes each cycle's trace, like a simulated channel's", () => {
    const trace = samples('cycling');
    expect(new Set(trace.map((s) => s.cycle))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
    expect(trace.length).toBeLessThanOrEqual(6 * 100);
  });

  it('what a restarted watcher sent again, cell-health turned away as repeats, and nothing else', () => {
    const other = turnedAway.filter((w) => !/again.*duplicate ignored/.test(w));
    expect(other.filter((w) => /cycle not used/.test(w))).toEqual([]);
    expect(errors).toEqual([]);
    console.log(`watcher restarts: ${turnedAway.length} repeat(s) turned away by cell-health`);
  });
});
