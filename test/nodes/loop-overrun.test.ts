/**
 * Control loops that watch their own period, on the real clock: an event loop blocked for longer than a
 * period and its margin (as a long analysis on Node-RED's thread would) leaves the press stopped and the
 * heater off with one alarm each, latched until reset.
 */
import { afterEach, describe, expect, it } from 'vitest';
import thermalProfile from '../../nodes/thermal-profile/thermal-profile';
import { errors, helper, lastStatus, nodeModules, startFlow, statuses, stopFlow } from '../support/node-red';
import { simRig } from '../support/rig-flow';

afterEach(stopFlow);

type Msg = { payload: Record<string, unknown> };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function collect(id: string): Msg[] {
  const got: Msg[] = [];
  helper.getNode(id).on('input', (m: Msg) => got.push(m));
  return got;
}
const hw = async () =>
  (
    helper.getNode('rig1') as unknown as {
      runtime: {
        hardware(): Promise<{ sim: { digitalRead(pin: number): 0 | 1; outputsPowered: boolean } }>;
        loops: { healthy: boolean };
        watchdogRelay: { closed: boolean; changedAtMs: number };
      };
    }
  ).runtime;

describe('a blocked event loop', () => {
  it('opens the watchdog relay within 2 s, stops the press and cuts the heater with one alarm each, until reset', async () => {
    await startFlow(
      [nodeModules.rig, nodeModules.stackPressure, thermalProfile],
      [
        simRig(),
        {
          id: 'sp1',
          type: 'stack-pressure',
          rig: 'rig1',
          channel: 'ch1',
          cell: 'c1',
          coating: 'pristine',
          muxPort: 0,
          samplePeriodMs: 500,
          periodMarginMs: 500,
          control: 'hold',
          wires: [[], ['pressEvents']],
        },
        {
          id: 'tp1',
          type: 'thermal-profile',
          rig: 'rig1',
          channel: 'oven',
          profile: 'tfaa-drying',
          controlPeriodMs: 500,
          periodMarginMs: 500,
          wires: [[], ['ovenEvents']],
        },
        { id: 'pressEvents', type: 'helper' },
        { id: 'ovenEvents', type: 'helper' },
      ],
    );
    const pressEvents = collect('pressEvents');
    const ovenEvents = collect('ovenEvents');
    helper.getNode('tp1').receive({ payload: { command: 'start' } });
    helper.getNode('sp1').receive({ payload: { command: 'start', targetMPa: 160 } });
    await sleep(1000);
    const rt = await hw();
    const sim = (await rt.hardware()).sim;
    expect(sim.digitalRead(20)).toBe(1); // contactor closed: the oven is heating
    expect(rt.loops.healthy).toBe(true);
    expect(sim.outputsPowered).toBe(true); // the heartbeat keeps the watchdog relay closed

    const t0 = Date.now();
    while (Date.now() - t0 < 2500) {
      // Node-RED's one thread busy, as with a long fit on it.
    }
    // The watchdog relay (a worker thread) opened while the thread was still blocked.
    expect(rt.watchdogRelay.closed).toBe(false);
    expect(rt.watchdogRelay.changedAtMs - t0).toBeLessThanOrEqual(2000);
    expect(sim.outputsPowered).toBe(false);
    const cutMs = rt.watchdogRelay.changedAtMs - t0;
    await sleep(100);
    const alarms = (ms: Msg[]) => ms.filter((m) => m.payload.kind === 'alarm').map((m) => m.payload.code);
    expect(alarms(pressEvents)).toEqual(['loop-overrun']);
    expect(alarms(ovenEvents)).toEqual(['loop-overrun']);
    expect(String(pressEvents.find((m) => m.payload.code === 'loop-overrun')!.payload.message)).toMatch(
      /stack-pressure ch1: control period missed, 2\.\d\d s since the last one \(period 0.5 s, margin 0.5 s\): press stopped/,
    );
    for (const pin of [5, 6, 16, 20]) expect(sim.digitalRead(pin), `pin ${pin}`).toBe(0);
    expect(rt.loops.healthy).toBe(false);
    expect(errors(helper.getNode('sp1')).join('\n')).toMatch(/control period missed/);

    // Latched: the loops run on, outputs stay safe, the status says why, and a start is refused.
    await sleep(1000);
    for (const pin of [5, 6, 16, 20]) expect(sim.digitalRead(pin), `pin ${pin}`).toBe(0);
    expect(lastStatus(helper.getNode('sp1'))).toMatchObject({
      fill: 'red',
      text: expect.stringMatching(/loop-overrun/),
    });
    expect(lastStatus(helper.getNode('tp1'))).toMatchObject({
      fill: 'red',
      text: expect.stringMatching(/missed its period: heater off/),
    });
    helper.getNode('sp1').receive({ payload: { command: 'start' } });
    await sleep(50);
    expect(
      statuses(helper.getNode('sp1')).some((s) =>
        /^reset first: the control loop missed its period/.test(s.text ?? ''),
      ),
    ).toBe(true);

    helper.getNode('sp1').receive({ payload: { command: 'reset' } });
    helper.getNode('tp1').receive({ payload: { command: 'reset' } });
    await sleep(300);
    expect(rt.loops.healthy).toBe(true);
    // The heartbeat is back: the relay closed again.
    expect(rt.watchdogRelay.closed).toBe(true);
    expect(sim.outputsPowered).toBe(true);
    console.info(`blocked event loop: watchdog relay opened ${cutMs} ms after the block began`);
    helper.getNode('sp1').receive({ payload: { command: 'start' } });
    await sleep(600);
    expect(lastStatus(helper.getNode('sp1'))).toMatchObject({ fill: 'green' });
  }, 30_000);
});
