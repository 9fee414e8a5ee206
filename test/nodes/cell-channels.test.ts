import { afterEach, describe, expect, it } from 'vitest';
import cellChannels from '../../nodes/cell-channels/cell-channels';
import { VirtualClock } from '../../src/clock';
import { fieldKind } from '../../src/telemetry/schemas';
import {
  errors,
  type FlowNode,
  helper,
  lastStatus,
  nodeModules,
  startFlow,
  stopFlow,
} from '../support/node-red';
import { simRig, waitForStatus } from '../support/rig-flow';

afterEach(stopFlow);

const mods = [nodeModules.rig, cellChannels];
const rig = simRig();
const cc = (extra: Partial<FlowNode> = {}): FlowNode => ({
  id: 'cc1',
  type: 'cell-channels',
  rig: 'rig1',
  channels: 'ch1:0:1, ch2:2:3, ch3:4:5',
  contactTimeMs: 25,
  wires: [['out'], ['events']],
  ...extra,
});
const flow = (extra: Partial<FlowNode> = {}) => [
  rig,
  cc(extra),
  { id: 'out', type: 'helper' },
  { id: 'events', type: 'helper' },
];

type Msg = { payload: Record<string, unknown>; stream: string; channel: string };
function collect(id: string): Msg[] {
  const got: Msg[] = [];
  helper.getNode(id).on('input', (m: Msg) => got.push(m));
  return got;
}
type Sim = { relays: { contact(i: number): boolean; coil(i: number): boolean }; inject(f: unknown): void };
const sim = async (): Promise<Sim> =>
  (
    await (
      helper.getNode('rig1') as unknown as { runtime: { hardware(): Promise<{ sim: Sim }> } }
    ).runtime.hardware()
  ).sim;

async function send(clock: VirtualClock, payload: unknown) {
  helper.getNode('cc1').receive({ payload });
  for (let i = 0; i < 10; i++) await clock.tick(20);
}

describe('cell-channels node', () => {
  it('moves the analyser from one cell to the next, and reports relay states with the value in status', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, flow(), { clock });
    const out = collect('out');
    await clock.tick(100);
    await send(clock, { command: 'connect', channel: 'ch1', to: 'analyser' });
    await send(clock, { command: 'connect', channel: 'ch3', to: 'cycler' });
    await send(clock, { command: 'connect', channel: 'ch2', to: 'analyser' });
    const s = await sim();
    expect([s.relays.contact(1), s.relays.contact(3), s.relays.contact(4)]).toEqual([false, true, true]);
    expect(out[out.length - 1]!.payload).toMatchObject({
      ch1: 'off',
      ch2: 'analyser',
      ch3: 'cycler',
      analyser: 'ch2',
    });
    expect(out[out.length - 1]!.stream).toBe('relays');
    // Each channel's own state, as the Rig dashboard's relay timeline reads it (measurement relay, field state).
    const perChannel = out.slice(-4, -1);
    expect(perChannel.map((m) => [m.channel, m.stream, (m.payload as { state: string }).state])).toEqual([
      ['ch1', 'relay', 'off'],
      ['ch2', 'relay', 'analyser'],
      ['ch3', 'relay', 'cycler'],
    ]);
    expect(fieldKind('relay', 'state'), 'declared as the dashboard reads it').toBe('string');
    expect(lastStatus(helper.getNode('cc1'))).toMatchObject({ fill: 'green', text: 'analyser: ch2' });
  });

  it('refuses to connect past a welded relay: one alarm, red status, the other cell stays off the analyser', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, flow(), { clock });
    const events = collect('events');
    await clock.tick(100);
    await send(clock, { command: 'connect', channel: 'ch1', to: 'analyser' });
    (await sim()).inject({ device: 'relay', relay: 1, fault: 'welded' });
    await send(clock, { command: 'connect', channel: 'ch2', to: 'analyser' });
    await send(clock, { command: 'connect', channel: 'ch3', to: 'analyser' });
    expect(events.filter((e) => e.payload.kind === 'alarm').map((e) => e.payload.code)).toEqual([
      'relay-welded-1',
    ]);
    const s = await sim();
    expect(s.relays.contact(3) || s.relays.contact(5)).toBe(false);
    expect(lastStatus(helper.getNode('cc1'))).toMatchObject({
      fill: 'red',
      text: expect.stringContaining('welded'),
    });
  });

  it('isolates a cell and refuses to connect it until restored', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, flow(), { clock });
    await clock.tick(100);
    await send(clock, { command: 'connect', channel: 'ch2', to: 'cycler' });
    await send(clock, { command: 'isolate', channel: 'ch2', reason: 'soft short' });
    expect((await sim()).relays.contact(2)).toBe(false);
    await send(clock, { command: 'connect', channel: 'ch2', to: 'analyser' });
    expect(lastStatus(helper.getNode('cc1'))).toMatchObject({
      fill: 'red',
      text: expect.stringContaining('isolated'),
    });
    await send(clock, { command: 'restore', channel: 'ch2' });
    await send(clock, { command: 'connect', channel: 'ch2', to: 'analyser' });
    expect((await sim()).relays.contact(3)).toBe(true);
  });

  it('opens every relay when the flow stops', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, flow(), { clock });
    await clock.tick(100);
    await send(clock, { command: 'connect', channel: 'ch1', to: 'analyser' });
    await send(clock, { command: 'connect', channel: 'ch3', to: 'cycler' });
    const s = await sim();
    expect(s.relays.coil(1) && s.relays.coil(4)).toBe(true);
    await stopFlow();
    for (let i = 0; i < 8; i++) expect(s.relays.coil(i)).toBe(false);
    await startFlow(mods, [rig], { clock });
  });

  it('answers a bad msg with a red status naming the field, and a bad channel list at deploy', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, flow(), { clock });
    await clock.tick(100);
    await send(clock, { command: 'connect', channel: 'ch 1' });
    expect(lastStatus(helper.getNode('cc1'))).toMatchObject({
      fill: 'red',
      text: expect.stringContaining('channel'),
    });
    await send(clock, { command: 'connect', channel: 'ch1', to: 'analyser' });
    expect(lastStatus(helper.getNode('cc1'))).toMatchObject({ fill: 'green' });
    await stopFlow();
    await startFlow(mods, flow({ channels: 'ch1:0:1, ch2:1:2' }), { clock });
    expect(lastStatus(helper.getNode('cc1'))).toMatchObject({
      fill: 'red',
      text: expect.stringContaining('channels'),
    });
    expect(errors(helper.getNode('cc1')).join('\n')).toMatch(/one path only/);
  });
});

describe('cell-channels node without hardware', () => {
  it('shows "not available" on a Firmata rig with no board plugged in, and refuses commands without crashing', async () => {
    await startFlow(mods, [
      simRig({ backend: 'firmata' }),
      cc(),
      { id: 'out', type: 'helper' },
      { id: 'events', type: 'helper' },
    ]);
    const n = helper.getNode('cc1');
    await waitForStatus(n, /not available/);
    expect(lastStatus(n)).toMatchObject({ fill: 'grey', text: expect.stringMatching(/not available/) });
    n.receive({ payload: { command: 'connect', channel: 'ch1', to: 'analyser' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(lastStatus(n)).toMatchObject({ fill: 'grey', text: expect.stringMatching(/not available/) });
  }, 20_000);
});
