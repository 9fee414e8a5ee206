import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import thermalProfile from '../../nodes/thermal-profile/thermal-profile';
import { VirtualClock } from '../../src/clock';
import { installForTest } from '../support/installation';
import {
  errors,
  type FlowNode,
  helper,
  lastStatus,
  nodeModules,
  startFlow,
  statuses,
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
    expect(errors(n).join('\n')).toContain('profile: The profile needs at least one segment.');
  });

  it('tells a bad profile in a start command in plain words, naming the segment', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, [rig, node()], { clock });
    const n = helper.getNode('tp1');
    const bad = { name: 'x', segments: [{ name: 'dry', targetC: 100, rampCPerMin: 0, holdS: 60 }] };
    const done = new Promise<unknown>((r) =>
      n.on('call:error', (call: { args: unknown[] }) => r(call.args[0])),
    );
    n.receive({ payload: { command: 'start', profile: bad } });
    expect(String(await done)).toContain(
      "profile: Segment 1 (dry): the ramp rate must be more than 0 and at most 600 C per minute, or 'step'; got 0.",
    );
  });

  it('reports each sample with the segment, the time left by the plan, and the run beside the payload', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, [rig, node(), { id: 'out', type: 'helper' }, { id: 'events', type: 'helper' }], {
      clock,
    });
    const out = collect('out') as (Msg & { run?: { profile: { name: string } }; timeScale: number })[];
    helper.getNode('tp1').receive({ payload: { command: 'start' } });
    await run(clock, 600);
    const running = out.filter((m) => m.payload.status === 'running');
    expect(running[0]!.payload).toMatchObject({ segment: 0, segmentName: 'dry' });
    expect(running[0]!.run!.profile.name).toBe('short dry');
    expect(running[0]!.timeScale).toBe(1);
    const left = running.map((m) => m.payload.runLeftS as number);
    // From 25 C: 7 min ramp, 10 min soak, 4 min ramp, 10 min soak: 1860 s by the plan.
    expect(left[0]).toBeCloseTo(1860, -1);
    for (let i = 1; i < left.length; i++) expect(left[i]!).toBeLessThanOrEqual(left[i - 1]! + 1e-6);
  });
});

describe('thermal-profile time scale (simulated oven)', () => {
  it('runs the oven 60 times faster on the simulated rig, reporting once per second of the rig clock', async () => {
    const clock = new VirtualClock();
    await startFlow(
      mods,
      [rig, node({ simTimeScale: 60 }), { id: 'out', type: 'helper' }, { id: 'events', type: 'helper' }],
      { clock },
    );
    const out = collect('out');
    const events = collect('events');
    const t0 = clock.now();
    helper.getNode('tp1').receive({ payload: { command: 'start' } });
    // The profile takes about 2400 s on the oven: 40 s of rig time at 60x.
    // The oven's own clock, stepped by the rig's every 100 ms: each step waited for, as real time would.
    const ovenClock = (helper.getNode('tp1') as unknown as { ovenClock: { step(): Promise<void> } })
      .ovenClock;
    let completeAfterS = Number.NaN;
    for (let s = 1; s <= 60 && Number.isNaN(completeAfterS); s++) {
      for (let k = 0; k < 10; k++) {
        await clock.tick(100);
        await ovenClock.step();
      }
      if (events.some((e) => e.payload.code === 'run-complete')) completeAfterS = s;
    }
    expect(completeAfterS).toBeGreaterThan(30);
    expect(completeAfterS).toBeLessThan(50);
    const oven = out.filter((m) => m.stream === 'oven');
    expect(oven.length).toBeLessThanOrEqual(completeAfterS + events.length + 2);
    for (const m of oven) {
      expect(m.payload.timeScale).toBe(60);
      // Stamped on the rig's clock, not the oven's.
      expect(m.payload.ts as number).toBeLessThanOrEqual(clock.now());
      expect(m.payload.ts as number).toBeGreaterThanOrEqual(t0);
    }
    expect(lastStatus(helper.getNode('tp1'))!.text).toContain('×60');
    // Every control period and heater window at its time on the oven's clock: the soak holds within a
    // degree, as in real time.
    const soaking = oven.filter((m) => m.payload.phase === 'soak' && (m.payload.soakS as number) > 120);
    expect(soaking.length).toBeGreaterThan(5);
    for (const m of soaking)
      expect(Math.abs((m.payload.tempC as number) - (m.payload.setpointC as number))).toBeLessThanOrEqual(1);
  });

  it('refuses a time scale on a Firmata rig: red status, and the heater is never driven', async () => {
    await startFlow(mods, [simRig({ backend: 'firmata' }), node({ simTimeScale: 60 })]);
    const n = helper.getNode('tp1');
    expect(lastStatus(n)).toMatchObject({ fill: 'red', text: expect.stringContaining('simulated rig only') });
    expect(errors(n).join('\n')).toMatch(
      /time scale of 60 is for the simulated rig only; this rig is firmata/,
    );
    n.receive({ payload: { command: 'start' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(lastStatus(n)).toMatchObject({ fill: 'red', text: expect.stringContaining('simulated rig only') });
  });
});

/** The part of supertest's agent (what helper.request() returns) these tests use. */
type Reply = { body: Record<string, unknown> };
type Api = {
  get(url: string): { expect(status: number): Promise<{ body: unknown }> };
  post(url: string): { send(body: unknown): { expect(status: number): Promise<Reply> } };
};
const api = () => helper.request() as Api;

describe('thermal-profile editor form API', () => {
  it('lists the ready profiles and checks a draft as a start would, with a preview of its plan', async () => {
    await startFlow(mods, [rig, node()], { clock: new VirtualClock() });
    const ready = await api().get('/cellrig/thermal-profile/ready').expect(200);
    expect((ready.body as { id: string }[]).map((p) => p.id)).toEqual(['tfaa-drying', 'step-series-50-200']);
    const ok = await api()
      .post('/cellrig/thermal-profile/check')
      .send({ profile: 'tfaa-drying', overTempCutoffC: 220 })
      .expect(200);
    expect(ok.body).toMatchObject({ ok: true, totalS: 32_100 });
    expect(ok.body.svg).toMatch(/^<svg/);
    const hot = await api()
      .post('/cellrig/thermal-profile/check')
      .send({ profile: 'tfaa-drying', overTempCutoffC: 150 })
      .expect(200);
    expect(hot.body).toEqual({
      ok: false,
      problems: ["Segment 'heat-treat' targets 160 C, at the 150 C cutoff."],
    });
  });
});

describe('thermal-profile node against the oven ratings', () => {
  const FAST = JSON.stringify({
    name: 'fast',
    segments: [{ name: 'up', targetC: 150, rampCPerMin: 600, holdS: 60 }],
  });

  it('turns red at deploy for a profile the oven cannot follow, or a cutoff above its rating, in words', async () => {
    await startFlow(mods, [rig, node({ profile: FAST })], { clock: new VirtualClock() });
    const n = helper.getNode('tp1');
    expect(lastStatus(n)).toMatchObject({ fill: 'red', text: expect.stringMatching(/ramps at 600 C\/min/) });
    expect(errors(n).join('\n')).toMatch(/faster than the oven can heat.*allowed 0.1 to 10 C\/min/);
    await stopFlow();
    await startFlow(mods, [rig, node({ overTempCutoffC: 400 })], { clock: new VirtualClock() });
    expect(errors(helper.getNode('tp1')).join('\n')).toMatch(
      /overTempCutoffC 400 C is above what the oven is rated for/,
    );
  });

  it('refuses a start whose profile the oven cannot follow, heater off', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, [rig, node()], { clock });
    await run(clock, 2);
    helper.getNode('tp1').receive({ payload: { command: 'start', profile: JSON.parse(FAST) } });
    await run(clock, 5);
    expect(statuses(helper.getNode('tp1')).map((x) => x.text)).toContainEqual(
      expect.stringMatching(/^cannot start 'fast': segment 1 \('up'\) ramps at 600 C\/min/),
    );
    expect(lastStatus(helper.getNode('tp1'))).toMatchObject({
      fill: 'grey',
      text: expect.stringMatching(/idle/),
    });
    expect((await hw()).sim.digitalRead(20)).toBe(0);
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
    await startFlow(mods, [simRig({ backend: 'firmata' }), node()], {
      prepare: (dir) => installForTest(dir, { channels: {} }),
    });
    const n = helper.getNode('tp1');
    await waitForStatus(n, /not available/);
    expect(lastStatus(n)).toMatchObject({ fill: 'grey', text: expect.stringMatching(/not available/) });
    expect(errors(n)).toHaveLength(0);
  }, 20_000);
});
