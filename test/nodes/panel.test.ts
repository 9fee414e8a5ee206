import { afterEach, describe, expect, it } from 'vitest';
import alert from '../../nodes/alert/alert';
import cellChannels from '../../nodes/cell-channels/cell-channels';
import panelConfirm from '../../nodes/panel-confirm/panel-confirm';
import panelFeed from '../../nodes/panel-feed/panel-feed';
import stackPressure from '../../nodes/stack-pressure/stack-pressure';
import thermalProfile from '../../nodes/thermal-profile/thermal-profile';
import { VirtualClock } from '../../src/clock';
import { type FlowNode, helper, lastStatus, nodeModules, startFlow, stopFlow } from '../support/node-red';
import { simRig } from '../support/rig-flow';

afterEach(stopFlow);

type Msg = Record<string, unknown> & { payload: unknown };
function collect(id: string): Msg[] {
  const got: Msg[] = [];
  helper.getNode(id).on('input', (m: Msg) => got.push(m));
  return got;
}
const sinks = (...ids: string[]): FlowNode[] => ids.map((id) => ({ id, type: 'helper' }));
const gate = (extra: Partial<FlowNode>): FlowNode => ({
  id: 'gate',
  type: 'panel-confirm',
  device: 'oven',
  label: 'the drying oven',
  timeoutS: 30,
  wires: [['question'], ['tp1']],
  ...extra,
});
const oven = (extra: Partial<FlowNode> = {}): FlowNode => ({
  id: 'tp1',
  type: 'thermal-profile',
  rig: 'rig1',
  channel: 'oven',
  profile: 'tfaa-drying',
  controlPeriodMs: 1000,
  wires: [['ovenOut'], ['events']],
  ...extra,
});
const ticks = async (clock: VirtualClock, n: number, ms = 1000) => {
  for (let i = 0; i < n; i++) await clock.tick(ms);
};

describe('panel-confirm', () => {
  it('starts the oven only on a confirmation of its own question, with the command as asked', async () => {
    const clock = new VirtualClock();
    await startFlow(
      [nodeModules.rig, thermalProfile, panelConfirm],
      [simRig(), oven(), gate({}), ...sinks('question', 'ovenOut', 'events')],
      { clock },
    );
    const questions = collect('question');
    const events = collect('events');
    const g = helper.getNode('gate');
    const client = { socketId: 'browser-1' };
    g.receive({ payload: { command: 'start', profile: 'tfaa-drying' }, _client: client });
    await ticks(clock, 1);
    expect(questions).toHaveLength(1);
    expect(questions[0]).toMatchObject({
      payload:
        "Start the profile 'TFAA drying' on the drying oven? The heater switches on and follows the profile.",
      _client: client,
      ui_update: { allowConfirm: true, confirmText: 'Start', dismissText: 'Cancel' },
    });
    const id = questions[0]!.confirmId;
    // A cancel, an answer to some other question, a late answer: nothing reaches the oven.
    g.receive({ payload: 'dismiss_clicked', confirmId: id });
    g.receive({ payload: { command: 'start' } });
    g.receive({ payload: 'confirm_clicked', confirmId: id });
    g.receive({ payload: 'confirm_clicked', confirmId: 'gate-someone-else' });
    await ticks(clock, 2);
    expect(events.map((e) => (e.payload as { code: string }).code)).not.toContain('run-start');
    g.receive({ payload: 'confirm_clicked', confirmId: questions[1]!.confirmId, _client: client });
    await ticks(clock, 3);
    expect(events.map((e) => (e.payload as { code: string }).code)).toContain('run-start');
    expect(lastStatus(g)).toMatchObject({ fill: 'green', text: 'sent: start' });
    // A late click on the first question's dialog sends nothing more.
    g.receive({ payload: 'confirm_clicked', confirmId: questions[1]!.confirmId });
    await ticks(clock, 1);
    expect(events.filter((e) => (e.payload as { code: string }).code === 'run-start')).toHaveLength(1);
  });

  it('lets the oven refuse a confirmed command exactly as it refuses an injected one', async () => {
    const clock = new VirtualClock();
    await startFlow(
      [nodeModules.rig, thermalProfile, panelConfirm],
      [simRig(), oven({ overTempCutoffC: 150 }), gate({}), ...sinks('question', 'ovenOut', 'events')],
      { clock },
    );
    const questions = collect('question');
    const g = helper.getNode('gate');
    g.receive({ payload: { command: 'start', profile: 'tfaa-drying' } });
    await ticks(clock, 1);
    g.receive({ payload: 'confirm_clicked', confirmId: questions[0]!.confirmId });
    await ticks(clock, 2);
    const viaPanel = lastStatus(helper.getNode('tp1'));
    helper.getNode('tp1').receive({ payload: { command: 'start', profile: 'tfaa-drying' } });
    await ticks(clock, 2);
    expect(viaPanel).toMatchObject({ fill: 'red' });
    expect(lastStatus(helper.getNode('tp1'))).toEqual(viaPanel);
  });

  it('switches relays through the same interlock as an inject: same states either way', async () => {
    const runSequence = async (viaPanel: boolean) => {
      const clock = new VirtualClock();
      await startFlow(
        [nodeModules.rig, cellChannels, panelConfirm],
        [
          simRig(),
          {
            id: 'cc1',
            type: 'cell-channels',
            rig: 'rig1',
            channels: 'ch1:0:1, ch2:2:3, ch3:4:5',
            contactTimeMs: 25,
            wires: [['relays'], []],
          },
          gate({ device: 'relays', label: 'the cell relays', wires: [['question'], ['cc1']] }),
          ...sinks('question', 'relays'),
        ],
        { clock },
      );
      const questions = collect('question');
      const relays = collect('relays');
      await ticks(clock, 5, 20);
      for (const cmd of [
        { command: 'connect', channel: 'ch1', to: 'analyser' },
        { command: 'connect', channel: 'ch2', to: 'analyser' },
        { command: 'connect', channel: 'ch3', to: 'cycler' },
      ]) {
        if (viaPanel) {
          helper.getNode('gate').receive({ payload: cmd });
          await ticks(clock, 1, 20);
          helper
            .getNode('gate')
            .receive({ payload: 'confirm_clicked', confirmId: questions.at(-1)!.confirmId });
        } else helper.getNode('cc1').receive({ payload: cmd });
        await ticks(clock, 10, 20);
      }
      const last = relays.at(-1)!.payload as Record<string, unknown>;
      await stopFlow();
      return { ch1: last.ch1, ch2: last.ch2, ch3: last.ch3, analyser: last.analyser };
    };
    const direct = await runSequence(false);
    expect(direct.analyser).not.toBe('');
    expect(await runSequence(true)).toEqual(direct);
  });
});

describe('panel-feed', () => {
  it('turns a stack-pressure node’s samples into pressure, setpoint and band points and a readout', async () => {
    const clock = new VirtualClock();
    await startFlow(
      [nodeModules.rig, stackPressure, panelFeed],
      [
        simRig(),
        {
          id: 'sp1',
          type: 'stack-pressure',
          rig: 'rig1',
          channel: 'ch1',
          cell: 'pristine-NMC811',
          coating: 'pristine',
          muxPort: 0,
          samplePeriodMs: 1000,
          control: 'hold',
          targetMPa: 150,
          toleranceMPa: 1.5,
          autoStart: true,
          wires: [['feed'], []],
        },
        { id: 'feed', type: 'panel-feed', view: 'channel', channel: 'ch1', wires: [['chart'], ['readout']] },
        ...sinks('chart', 'readout'),
      ],
      { clock },
    );
    const chart = collect('chart');
    const readout = collect('readout');
    await ticks(clock, 30);
    const series = new Set(chart.flatMap((m) => (m.payload as { series: string }[]).map((p) => p.series)));
    expect([...series].sort()).toEqual(['band high', 'band low', 'pressure', 'setpoint']);
    expect(readout.at(-1)!.payload).toMatchObject({
      channel: 'ch1',
      setpointMPa: 150,
      toleranceMPa: 1.5,
      phase: 'hold',
    });
    expect((readout.at(-1)!.payload as { pressureMPa: number }).pressureMPa).toBeCloseTo(150, 0);
  });

  it("checks the panel's profile drafts with the oven node's own check, and opens on its configured profile", async () => {
    await startFlow(
      [nodeModules.rig, thermalProfile, panelFeed],
      [
        simRig(),
        oven({ overTempCutoffC: 150, profile: 'step-series-50-200', wires: [[], []] }),
        { id: 'feed', type: 'panel-feed', view: 'profile', oven: 'tp1', wires: [['chart'], ['readout']] },
        ...sinks('chart', 'readout'),
      ],
      { clock: new VirtualClock() },
    );
    const readout = collect('readout');
    await new Promise((r) => setTimeout(r, 20));
    // Opened on the oven's own profile, which its cutoff refuses.
    expect(readout[0]!.payload).toMatchObject({ ok: false, draft: { name: '50-200 C step series' } });
    helper.getNode('feed').receive({ topic: 'check', payload: 'tfaa-drying' });
    await new Promise((r) => setTimeout(r, 20));
    expect(readout.at(-1)!.payload).toMatchObject({
      ok: false,
      problems: ["Segment 'heat-treat' targets 160 C, at the 150 C cutoff."],
    });
    helper.getNode('feed').receive({
      topic: 'check',
      payload: { name: 'low', segments: [{ name: 'a', targetC: 80, rampCPerMin: 2, holdS: 600 }] },
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(readout.at(-1)!.payload).toMatchObject({ ok: true, totalS: 27.5 * 60 + 600 });
  });

  it('keeps the alert list from the alert node’s states', async () => {
    await startFlow(
      [alert, panelFeed],
      [
        {
          id: 'al',
          type: 'alert',
          rig: '',
          raiseAfter: 1,
          clearAfter: 2,
          rateLimitCount: 3,
          rateLimitWindowS: 3600,
          isolateOn: 'never',
          wires: [[], [], ['feed']],
        },
        { id: 'feed', type: 'panel-feed', view: 'alerts', wires: [[], ['readout']] },
        ...sinks('readout'),
      ],
      { clock: new VirtualClock() },
    );
    const readout = collect('readout');
    const al = helper.getNode('al');
    al.receive({
      payload: {
        channel: 'ch1',
        cycle: 22,
        alerts: [{ kind: 'resistance-growth', severity: 'warning', cycle: 22, active: true }],
      },
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(
      (readout.at(-1)!.payload as { key: string; needsAck: boolean }[]).map((r) => [r.key, r.needsAck]),
    ).toEqual([['ch1/resistance-growth', true]]);
    al.receive({ topic: 'ack', payload: { channel: 'ch1' } });
    await new Promise((r) => setTimeout(r, 20));
    expect((readout.at(-1)!.payload as { state: string }[]).map((r) => r.state)).toEqual(['acknowledged']);
  });
});
