import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import thermalProfile from '../../nodes/thermal-profile/thermal-profile';
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
import { simRig, waitForStatus } from '../support/rig-flow';

const dirs: string[] = [];
afterEach(async () => {
  await stopFlow();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const mods = [nodeModules.rig, thermalProfile];
const rig = simRig();
const SHORT = JSON.stringify({
  name: 'short dry',
  segments: [
    { name: 'dry', targetC: 60, rampCPerMin: 5, holdS: 600 },
    { name: 'treat', targetC: 80, rampCPerMin: 5, holdS: 600, vacuum: true },
  ],
});

function node(extra: Partial<FlowNode> = {}): FlowNode {
  const dir = mkdtempSync(join(tmpdir(), 'cellrig-tp-'));
  dirs.push(dir);
  return {
    id: 'tp1',
    type: 'thermal-profile',
    rig: 'rig1',
    channel: 'oven',
    profile: SHORT,
    batch: 'NMC811-TFAA-B07',
    controlPeriodMs: 1000,
    powerLossPolicy: 'resume',
    stateFile: join(dir, 'progress.json'),
    wires: [['out'], ['events']],
    ...extra,
  };
}

type Msg = { payload: Record<string, unknown>; stream: string };
function collect(id: string): Msg[] {
  const got: Msg[] = [];
  helper.getNode(id).on('input', (m: Msg) => got.push(m));
  return got;
}
const hw = async () =>
  (
    helper.getNode('rig1') as unknown as {
      runtime: {
        hardware(): Promise<{
          sim: {
            inject(f: unknown): void;
            digitalRead(pin: number): 0 | 1;
            oven: { chamberTempC: number; heaterPowerW: number };
          };
        }>;
      };
    }
  ).runtime.hardware();

async function run(clock: VirtualClock, seconds: number) {
  for (let i = 0; i < seconds; i++) await clock.tick(1000);
}

describe('thermal-profile node', () => {
  it('runs a profile started by msg, tagging telemetry and events with the run id and batch', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, [rig, node(), { id: 'out', type: 'helper' }, { id: 'events', type: 'helper' }], {
      clock,
    });
    const out = collect('out');
    const events = collect('events');
    helper.getNode('tp1').receive({ payload: { command: 'start', runId: 'run-7' } });
    await run(clock, 2400);
    const codes = events.map((e) => e.payload.code);
    expect(codes).toEqual(
      expect.arrayContaining(['run-start', 'soak-start', 'segment-end', 'vacuum-reached', 'run-complete']),
    );
    for (const e of events) expect(e.payload).toMatchObject({ runId: 'run-7', batch: 'NMC811-TFAA-B07' });
    const during = out.filter((m) => m.payload.status === 'running');
    expect(during.length).toBeGreaterThan(1000);
    expect(during[0]!.payload).toMatchObject({ runId: 'run-7', batch: 'NMC811-TFAA-B07' });
    expect(out[0]!.stream).toBe('oven');
    const soaking = during.filter((m) => m.payload.phase === 'soak' && (m.payload.soakS as number) > 120);
    for (const m of soaking)
      expect(Math.abs((m.payload.tempC as number) - (m.payload.setpointC as number))).toBeLessThanOrEqual(1);
    expect(lastStatus(helper.getNode('tp1'))).toMatchObject({ text: expect.stringContaining('completed') });
  });

  it('cuts the heater within one control period of a thermocouple opening, with one alarm', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, [rig, node(), { id: 'out', type: 'helper' }, { id: 'events', type: 'helper' }], {
      clock,
    });
    const events = collect('events');
    helper.getNode('tp1').receive({ payload: { command: 'start' } });
    await run(clock, 300);
    const h = await hw();
    h.sim.inject({ device: 'oven', fault: 'thermocouple-open' });
    await run(clock, 1);
    expect(h.sim.digitalRead(16)).toBe(0);
    expect(h.sim.digitalRead(20)).toBe(0);
    expect(h.sim.oven.heaterPowerW).toBe(0);
    await run(clock, 60);
    expect(events.filter((e) => e.payload.kind === 'alarm').map((e) => e.payload.code)).toEqual([
      'thermocouple-open',
    ]);
    expect(lastStatus(helper.getNode('tp1'))).toMatchObject({
      fill: 'red',
      text: expect.stringContaining('heater off'),
    });
  });

  it('leaves the heater off when closed, and resumes the saved run on the next deploy (policy resume)', async () => {
    const clock = new VirtualClock();
    const n = node();
    await startFlow(mods, [rig, n, { id: 'out', type: 'helper' }, { id: 'events', type: 'helper' }], {
      clock,
    });
    helper.getNode('tp1').receive({ payload: { command: 'start', runId: 'run-9' } });
    await run(clock, 900);
    const h = await hw();
    await stopFlow();
    expect(h.sim.digitalRead(16)).toBe(0);
    expect(h.sim.digitalRead(20)).toBe(0);
    const saved = JSON.parse(readFileSync(n.stateFile as string, 'utf8'));
    expect(saved).toMatchObject({ runId: 'run-9', status: 'running', segmentIndex: 0 });
    await clock.tick(600_000);
    await startFlow(mods, [rig, n, { id: 'out', type: 'helper' }, { id: 'events', type: 'helper' }], {
      clock,
    });
    const events = collect('events');
    await run(clock, 5);
    expect(events.map((e) => e.payload.code)).toContain('power-loss-resume');
    expect(lastStatus(helper.getNode('tp1'))).toMatchObject({ fill: 'green' });
  });

  it('aborts the saved run on the next deploy under policy abort, with one alarm', async () => {
    const clock = new VirtualClock();
    const n = node({ powerLossPolicy: 'abort' });
    await startFlow(mods, [rig, n, { id: 'out', type: 'helper' }, { id: 'events', type: 'helper' }], {
      clock,
    });
    helper.getNode('tp1').receive({ payload: { command: 'start', runId: 'run-10' } });
    await run(clock, 100);
    await stopFlow();
    await startFlow(mods, [rig, n, { id: 'out', type: 'helper' }, { id: 'events', type: 'helper' }], {
      clock,
    });
    const events = collect('events');
    await run(clock, 5);
    expect(events.filter((e) => e.payload.kind === 'alarm').map((e) => e.payload.code)).toEqual([
      'power-loss-abort',
    ]);
    expect(existsSync(n.stateFile as string)).toBe(true);
    expect(JSON.parse(readFileSync(n.stateFile as string, 'utf8')).status).toBe('aborted');
  });

  it('answers a bad command and a bad profile with a red status naming the field, nothing crashes', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, [rig, node(), { id: 'out', type: 'helper' }, { id: 'events', type: 'helper' }], {
      clock,
    });
    await run(clock, 2);
    helper.getNode('tp1').receive({ payload: { command: 'bake' } });
    await clock.tick(0);
    expect(lastStatus(helper.getNode('tp1'))).toMatchObject({
      fill: 'red',
      text: expect.stringContaining('command'),
    });
    const profile = { name: 'x', segments: [{ name: 'a', targetC: 'hot' }] };
    helper.getNode('tp1').receive({ payload: { command: 'start', profile } });
    await clock.tick(0);
    expect(lastStatus(helper.getNode('tp1'))).toMatchObject({
      fill: 'red',
      text: expect.stringContaining('profile'),
    });
    await run(clock, 3);
    expect(lastStatus(helper.getNode('tp1'))!.fill).not.toBe('red');
  });

  it('turns red and names the field for a malformed profile in its config', async () => {
    await startFlow(mods, [rig, node({ profile: '{"name":"x","segments":[]}' })], {
      clock: new VirtualClock(),
    });
    const n = helper.getNode('tp1');
    expect(lastStatus(n)).toMatchObject({ fill: 'red', text: expect.stringContaining('profile') });
    expect(errors(n).join('\n')).toMatch(/segments/);
  });
});

describe('thermal-profile node wiring', () => {
  it('drives the heater on the pins it is given, and rejects a pin that is not a number, naming it', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, [rig, node({ ssrPin: 7, contactorPin: '' })], { clock });
    helper.getNode('tp1').receive({ payload: { command: 'start' } });
    let ssrOn = 0;
    let defaultPinOn = 0;
    for (let i = 0; i < 200; i++) {
      await clock.tick(100);
      ssrOn += (await hw()).sim.digitalRead(7);
      defaultPinOn += (await hw()).sim.digitalRead(16);
    }
    // Ramping from 25 C at 5 C/min asks for about a tenth of full power: pulses on pin 7, none on 16.
    expect(ssrOn).toBeGreaterThan(10);
    expect(defaultPinOn).toBe(0);
    expect((await hw()).sim.digitalRead(20)).toBe(1);
    await stopFlow();
    await startFlow(mods, [rig, node({ ssrPin: 'GPIO7' })], { clock });
    expect(lastStatus(helper.getNode('tp1'))).toMatchObject({
      fill: 'red',
      text: expect.stringContaining('pins.ssr'),
    });
  });
});

describe('thermal-profile node without hardware', () => {
  it('shows "not available" on a Firmata rig with no board plugged in, without an error', async () => {
    await startFlow(mods, [simRig({ backend: 'firmata' }), node()]);
    const n = helper.getNode('tp1');
    await waitForStatus(n, /not available/);
    expect(lastStatus(n)).toMatchObject({ fill: 'grey', text: expect.stringMatching(/not available/) });
    expect(errors(n)).toHaveLength(0);
  }, 20_000);
});
