import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock';
import {
  errors,
  type FlowNode,
  helper,
  lastStatus,
  nodeModules,
  startFlow,
  stopFlow,
} from '../support/node-red';

const rig = (extra: Partial<FlowNode> = {}): FlowNode => ({
  id: 'rig1',
  type: 'rig',
  rigId: 'rig01',
  backend: 'sim',
  seed: 1,
  broker: '',
  ...extra,
});
const stack = (extra: Partial<FlowNode> = {}): FlowNode => ({
  id: 'sp1',
  type: 'stack-pressure',
  rig: 'rig1',
  channel: 'ch1',
  cell: 'pristine-01',
  coating: 'pristine',
  muxPort: 0,
  samplePeriodMs: 1000,
  wires: [['out']],
  ...extra,
});
const mods = [nodeModules.rig, nodeModules.stackPressure];

afterEach(stopFlow);

describe('stack-pressure node', () => {
  it('sends the channel stack pressure every sample period, near 150 MPa on a fresh stack', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, [rig(), stack(), { id: 'out', type: 'helper' }], { clock });
    const out = helper.getNode('out');
    const payloads: { ts: number; pressureMPa: number; cell: string }[] = [];
    out.on('input', (msg: { payload: (typeof payloads)[number]; channel: string; stream: string }) => {
      expect(msg.channel).toBe('ch1');
      expect(msg.stream).toBe('pressure');
      payloads.push(msg.payload);
    });
    for (let i = 0; i < 5; i++) await clock.tick(1000);
    expect(payloads.length).toBeGreaterThanOrEqual(5);
    for (const p of payloads) expect(p.pressureMPa).toBeGreaterThan(148);
    expect(payloads[1]!.ts - payloads[0]!.ts).toBe(1000);
    expect(payloads[0]!.cell).toBe('pristine-01');
    expect(lastStatus(helper.getNode('sp1'))).toMatchObject({
      fill: 'green',
      text: expect.stringMatching(/MPa$/),
    });
  });

  it('turns red and names the field when the mux port is out of range, without crashing', async () => {
    await startFlow(mods, [rig(), stack({ muxPort: 9 }), { id: 'out', type: 'helper' }], {
      clock: new VirtualClock(),
    });
    const node = helper.getNode('sp1');
    expect(lastStatus(node)).toMatchObject({ fill: 'red', text: expect.stringContaining('muxPort') });
    expect(errors(node).join('\n')).toMatch(/muxPort/);
  });

  it('turns red and names rigId when its rig config is malformed', async () => {
    await startFlow(mods, [rig({ rigId: 'rig 01' }), stack(), { id: 'out', type: 'helper' }], {
      clock: new VirtualClock(),
    });
    expect(lastStatus(helper.getNode('sp1'))).toMatchObject({
      fill: 'red',
      text: expect.stringContaining('rigId'),
    });
  });

  it('shows a grey "not available" ring for a channel whose load cell does not answer, and keeps the flow running', async () => {
    const clock = new VirtualClock();
    await startFlow(
      mods,
      [rig(), stack(), stack({ id: 'sp2', channel: 'ch9', muxPort: 7 }), { id: 'out', type: 'helper' }],
      {
        clock,
      },
    );
    // Port 7 has a load cell in the simulator; take it away as if its cable were pulled.
    const runtime = (
      helper.getNode('rig1') as unknown as {
        runtime: { hardware(): Promise<{ sim: { detachLoadCell(port: number): void } }> };
      }
    ).runtime;
    const hw = await runtime.hardware();
    hw.sim.detachLoadCell(7);
    for (let i = 0; i < 3; i++) await clock.tick(1000);
    expect(lastStatus(helper.getNode('sp2'))).toMatchObject({ fill: 'grey', text: 'not available' });
    expect(lastStatus(helper.getNode('sp1'))).toMatchObject({ fill: 'green' });
  });
});
