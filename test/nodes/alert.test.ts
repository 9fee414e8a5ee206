import mqtt from 'mqtt';
import { afterEach, describe, expect, inject, it } from 'vitest';
import alert from '../../nodes/alert/alert';
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
