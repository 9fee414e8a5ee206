import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, inject, it } from 'vitest';
import alert from '../../nodes/alert/alert';
import cellHealth from '../../nodes/cell-health/cell-health';
import rig from '../../nodes/rig/rig';
import { VirtualClock } from '../../src/clock';
import { errors, type FlowNode, helper, lastStatus, startFlow, stopFlow } from '../support/node-red';

type Note = {
  topic: string;
  payload: string;
  alert: { kind: string; severity: string; suppressedBefore: number };
};
type Isolate = { payload: { command: string; channel: string; reason: string } };

const alertNode = (extra: Partial<FlowNode> = {}): FlowNode => ({
  id: 'al',
  type: 'alert',
  rig: '',
  raiseAfter: 1,
  clearAfter: 2,
  rateLimitCount: 3,
  rateLimitWindowS: 3600,
  isolateOn: 'critical',
  wires: [['notes'], ['isolate']],
  ...extra,
});
const sinks: FlowNode[] = [
  { id: 'notes', type: 'helper' },
  { id: 'isolate', type: 'helper' },
];
const health = (cycle: number, shortActive: boolean | null, channel = 'ch1') => ({
  payload: {
    channel,
    cycle,
    alerts:
      shortActive === null
        ? []
        : [
            {
              kind: 'soft-short',
              severity: 'critical',
              cycle: 60,
              active: shortActive,
              evidence: { signals: [{ name: 'charge-stall', present: true }] },
            },
          ],
  },
});

function collect() {
  const notes: Note[] = [];
  const isolates: Isolate[] = [];
  helper.getNode('notes').on('input', (m: Note) => notes.push(m));
  helper.getNode('isolate').on('input', (m: Isolate) => isolates.push(m));
  return { notes, isolates };
}
const settle = () => new Promise((r) => setTimeout(r, 50));

afterEach(stopFlow);

describe('alert node', () => {
  it('notifies a soft short once, with a subject and evidence, and asks cell-channels to isolate the cell', async () => {
    await startFlow([alert], [alertNode(), ...sinks], { clock: new VirtualClock() });
    const { notes, isolates } = collect();
    const n = helper.getNode('al');
    for (let c = 58; c <= 64; c++) n.receive(health(c, c >= 60 ? true : null));
    await settle();
    expect(notes).toHaveLength(1);
    expect(notes[0]!.topic).toBe('cellrig critical: ch1 soft-short');
    expect(notes[0]!.payload).toMatch(/^ch1: soft short from cycle 60 \(charge-stall\)/);
    expect(notes[0]!.payload).toMatch(/Evidence:/);
    expect(isolates).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ command: 'isolate', channel: 'ch1' }) }),
    ]);
    expect(lastStatus(n)).toMatchObject({ fill: 'red', text: 'ch1 soft-short active' });
  });

  it('stays latched after the condition clears (hysteresis: 2 cycles) until a msg acknowledges it', async () => {
    await startFlow([alert], [alertNode()], { clock: new VirtualClock() });
    const n = helper.getNode('al');
    n.receive(health(60, true));
    n.receive(health(61, false));
    await settle();
    expect(lastStatus(n)?.text).toBe('ch1 soft-short active');
    n.receive(health(62, false));
    await settle();
    expect(lastStatus(n)?.text).toBe('ch1 soft-short latched');
    n.receive({ topic: 'ack', payload: { channel: 'ch1', kind: 'soft-short' } });
    await settle();
    expect(lastStatus(n)).toMatchObject({ fill: 'green', text: 'no alerts' });
  });

  it('sends every state change on output 3, and the raised ones again when the flows start', async () => {
    const wired = alertNode({ wires: [['notes'], ['isolate'], ['states']] });
    const flow = [wired, ...sinks, { id: 'states', type: 'helper' }];
    await startFlow([alert], flow, { clock: new VirtualClock() });
    type StateMsg = { channel: string; payload: { kind: string; state: string; message: string } };
    const states: StateMsg[] = [];
    helper.getNode('states').on('input', (m: StateMsg) => states.push(m));
    const n = helper.getNode('al');
    for (const [cycle, active] of [
      [60, true],
      [61, false],
      [62, false],
    ] as const)
      n.receive(health(cycle, active));
    await settle();
    n.receive({ topic: 'ack', payload: { channel: 'ch1', kind: 'soft-short' } });
    n.receive(health(63, true));
    await settle();
    // Each kind's first state is a change too (other kinds start normal); the soft short's story:
    const shown = states.filter((m) => m.payload.kind === 'soft-short');
    expect(shown.map((m) => `${m.channel} ${m.payload.kind} ${m.payload.state}`)).toEqual([
      'ch1 soft-short active',
      'ch1 soft-short latched',
      'ch1 soft-short normal',
      'ch1 soft-short active',
    ]);
    // A restart (the state is kept in the user folder) lists the raised alert again, once.
    await helper.unload();
    await helper.load([alert] as never, flow as never);
    const again: StateMsg[] = [];
    helper.getNode('states').on('input', (m: StateMsg) => again.push(m));
    await settle();
    expect(again.map((m) => `${m.channel} ${m.payload.kind} ${m.payload.state}`)).toEqual([
      'ch1 soft-short active',
    ]);
  });

  it('rate-limits notifications per channel and says how many were held back', async () => {
    const clock = new VirtualClock();
    await startFlow(
      [alert],
      [alertNode({ rateLimitCount: 1, rateLimitWindowS: 600, isolateOn: 'never' }), ...sinks],
      { clock },
    );
    const { notes, isolates } = collect();
    const n = helper.getNode('al');
    for (const ch of ['ch1', 'ch1']) {
      n.receive(health(60, true, ch));
      n.receive({ topic: 'ack', payload: { channel: ch } });
      n.receive(health(61, false, ch));
      n.receive(health(62, false, ch));
    }
    await settle();
    expect(notes).toHaveLength(1);
    await clock.tick(601_000);
    n.receive(health(63, true));
    await settle();
    expect(notes).toHaveLength(2);
    expect(notes[1]!.alert.suppressedBefore).toBe(1);
    expect(isolates).toEqual([]);
  });

  it('rejects a payload that is not a cell-health output, naming the field, without crashing', async () => {
    await startFlow([alert], [alertNode()]);
    const n = helper.getNode('al');
    n.receive({ payload: { channel: 'ch 1', cycle: 3, alerts: [] } });
    await settle();
    expect(errors(n).join('\n')).toMatch(/channel: only letters/);
  });

  it('publishes the channel alert state retained on cellrig/v1/<rig>/<channel>/alert', async () => {
    const url = inject('mqttUrl');
    const rigId = `alert${process.pid}`;
    await startFlow(
      [rig, alert],
      [{ id: 'rig1', type: 'rig', rigId, backend: 'sim', seed: 1, broker: url }, alertNode({ rig: 'rig1' })],
    );
    const n = helper.getNode('al');
    n.receive(health(60, true));
    await new Promise((r) => setTimeout(r, 1000));
    // A subscriber arriving later still gets the state: it is retained.
    const late = await mqtt.connectAsync(url, { clientId: `late-${process.pid}` });
    const got = new Promise<Record<string, unknown>>((resolve) =>
      late.on('message', (_t, p, packet) => {
        if (packet.retain) resolve(JSON.parse(p.toString()));
      }),
    );
    await late.subscribeAsync(`cellrig/v1/${rigId}/ch1/alert`, { qos: 1 });
    const state = await got;
    expect(state).toMatchObject({
      level: 2,
      kind: 'soft-short',
      state: 'active',
      softShort: 'active',
      cycle: 60,
    });
    await late.publishAsync(`cellrig/v1/${rigId}/ch1/alert`, '', { retain: true, qos: 1 });
    await late.endAsync();
  });
});

describe('cell health in the default flow (flows/rig.json)', () => {
  it('raises the pristine alerts on MQTT, retained, and none for TFAA, on virtual time', async () => {
    const url = inject('mqttUrl');
    const rigId = `flow${process.pid}`;
    const flow = JSON.parse(readFileSync(join(__dirname, '../../flows/rig.json'), 'utf8')) as FlowNode[];
    const mine = flow.filter((n) => n.type === 'cell-health' || n.type === 'alert');
    expect(mine.map((n) => `${n.type}:${n.channel ?? ''}:${n.coating ?? ''}`)).toEqual([
      'cell-health:ch1:pristine',
      'cell-health:ch2:LNO',
      'cell-health:ch3:TFAA-2wt%',
      'alert::',
    ]);
    const loaded = new Set(mine.map((n) => n.id));
    // Loaded on their tab without the other nodes of the flow, wired only to each other.
    const tab = { id: mine[0]!.z as string, type: 'tab' };
    const nodes = mine.map((n) => ({
      ...n,
      wires: (n.wires as string[][]).map((w) => w.filter((id) => loaded.has(id))),
    }));
    const alertNodeId = mine.find((n) => n.type === 'alert')!.id;
    const rigNode = {
      id: mine.find((n) => n.type === 'alert')!.rig as string,
      type: 'rig',
      rigId,
      backend: 'sim',
      seed: 1,
      broker: url,
    };
    const clock = new VirtualClock();
    await startFlow([rig, cellHealth, alert], [tab, rigNode, ...nodes] as FlowNode[], { clock });
    expect(mine.every((n) => n.type !== 'cell-health' || n.secondsPerCycle === 20)).toBe(true);
    const watcher = await mqtt.connectAsync(url, { clientId: `flow-watch-${process.pid}` });
    const states: Record<string, { level: number; softShort: string; resistanceGrowth: string }> = {};
    watcher.on('message', (topic, p) => {
      if (p.length) states[topic.split('/')[3]!] = JSON.parse(p.toString());
    });
    await watcher.subscribeAsync(`cellrig/v1/${rigId}/+/alert`, { qos: 1 });
    // Each cycle is analysed in a worker thread: wait (real time) for every channel to take it.
    const cycleOf = (id: string) =>
      Number(/^c(\d+)/.exec(lastStatus(helper.getNode(id))?.text ?? '')?.[1] ?? 0);
    const healthIds = mine.filter((n) => n.type === 'cell-health').map((n) => n.id);
    for (let cycle = 1; cycle <= 72; cycle++) {
      await clock.tick(20_000);
      for (let t0 = Date.now(); Date.now() - t0 < 30_000; ) {
        if (healthIds.every((id) => cycleOf(id) >= cycle)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    // The publisher's journal and sender run on the rig's clock: give them virtual and real time.
    for (let i = 0; i < 20 && !(states.ch1 && states.ch2 && states.ch3); i++) {
      await clock.tick(1000);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(states.ch1).toMatchObject({ level: 2, softShort: 'active', resistanceGrowth: 'active' });
    expect(states.ch2).toMatchObject({ level: 1, softShort: 'normal', resistanceGrowth: 'active' });
    expect(states.ch3).toMatchObject({ level: 0, softShort: 'normal', resistanceGrowth: 'normal' });
    expect(lastStatus(helper.getNode(mine[0]!.id))).toMatchObject({ fill: 'red' });
    expect(lastStatus(helper.getNode(mine[2]!.id))).toMatchObject({
      fill: 'green',
      text: expect.stringMatching(/stabilised/),
    });
    expect(lastStatus(helper.getNode(alertNodeId))?.fill).toBe('red');
    for (const ch of ['ch1', 'ch2', 'ch3'])
      await watcher.publishAsync(`cellrig/v1/${rigId}/${ch}/alert`, '', { retain: true, qos: 1 });
    await watcher.endAsync();
  }, 120_000);
});
