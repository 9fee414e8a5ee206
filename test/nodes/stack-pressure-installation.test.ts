/**
 * The installation record through the nodes, in a real Node-RED runtime: a first start on a fresh data
 * folder seeds the simulated rig's record and holds; a redeploy under load with a zero shifted inside the
 * allowed window is refused (red, in words, the press left stopped); a damaged record stops every press
 * and the oven; a real rig without a record runs nothing.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import thermalProfile from '../../nodes/thermal-profile/thermal-profile';
import { VirtualClock } from '../../src/clock';
import { DEFAULT_LOAD_CELL } from '../../src/rig/config';
import { installForTest } from '../support/installation';
import {
  errors,
  type FlowNode,
  helper,
  lastStatus,
  nodeModules,
  startFlow,
  stopFlow,
} from '../support/node-red';
import { simRig } from '../support/rig-flow';

const stack = (extra: Partial<FlowNode> = {}): FlowNode => ({
  id: 'sp1',
  type: 'stack-pressure',
  rig: 'rig1',
  channel: 'ch1',
  cell: 'pristine-01',
  coating: 'pristine',
  muxPort: 0,
  samplePeriodMs: 1000,
  control: 'hold',
  targetMPa: 150,
  overloadMPa: 170,
  wires: [['out'], ['events']],
  ...extra,
});
const oven = (extra: Partial<FlowNode> = {}): FlowNode => ({
  id: 'tp1',
  type: 'thermal-profile',
  rig: 'rig1',
  profile: 'tfaa-drying',
  ...extra,
});
const helpers: FlowNode[] = [
  { id: 'out', type: 'helper' },
  { id: 'events', type: 'helper' },
];
const mods = [nodeModules.rig, nodeModules.stackPressure, thermalProfile];

type Hw = {
  sim: {
    digitalRead(pin: number): number;
    presses: Map<number, { forceN: number; advanceTo(t: number): void }>;
    timeS(): number;
  };
};
const hardware = (): Promise<Hw> =>
  (helper.getNode('rig1') as unknown as { runtime: { hardware(): Promise<Hw> } }).runtime.hardware();
async function trueMPa(port = 0): Promise<number> {
  const { sim } = await hardware();
  const press = sim.presses.get(port)!;
  press.advanceTo(sim.timeS());
  return press.forceN / 78.54;
}

let userDir = '';
const keepDir = (dir: string) => {
  userDir = dir;
};
afterEach(stopFlow);

describe('installation record: first start on the simulated rig', () => {
  it('seeds the record (0600, the simulator as built) on a fresh data folder and holds 150 MPa', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, [simRig(), stack(), ...helpers], { clock, prepare: keepDir });
    const pressures: number[] = [];
    helper
      .getNode('out')
      .on('input', (m: { payload: { pressureMPa: number } }) => pressures.push(m.payload.pressureMPa));
    for (let i = 0; i < 30; i++) await clock.tick(1000);
    const file = join(userDir, 'installation', 'rig01.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const record = JSON.parse(readFileSync(file, 'utf8'));
    expect(record).toMatchObject({
      rigId: 'rig01',
      backend: 'sim',
      hardwareSet: { how: 'sim-seed' },
      channels: {
        ch1: { muxPort: 0, dieDiameterMm: 10, pumpPin: 5, valvePin: 6, calibration: DEFAULT_LOAD_CELL },
      },
    });
    expect(record.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(pressures.length).toBeGreaterThanOrEqual(29);
    expect(Math.abs(pressures[pressures.length - 1]! - 150)).toBeLessThan(1.5);
    expect(errors(helper.getNode('sp1'))).toEqual([]);
    // The rig editor shows it, read only.
    const api = helper.request() as {
      get(url: string): { expect(status: number): Promise<{ body: unknown }> };
    };
    const res = await api.get('/cellrig/rig/rig1/installation').expect(200);
    const shown = res.body as { installed: boolean; text: string };
    expect(shown.installed).toBe(true);
    expect(shown.text).toMatch(/^rig rig01: installed on the simulated rig/);
    expect(shown.text).toMatch(/load cell: 20 kN, usable to 90 %/);
    expect(shown.text).toMatch(
      /ch1: mux port 0, die 10 mm, pump pin 5, valve pin 6; zero 8000 counts, span 107\.37 counts\/N \(seeded by the simulated rig/,
    );
  });
});

describe('installation record: a redeploy that would move the overload trip', () => {
  it('refuses a zero shifted by 4.9 MPa under load: red, in words, press stopped, and the next good deploy holds', async () => {
    const clock = new VirtualClock();
    await startFlow(mods, [simRig(), stack(), ...helpers], { clock, prepare: keepDir });
    for (let i = 0; i < 20; i++) await clock.tick(1000);
    const before = await trueMPa();
    expect(before).toBeGreaterThan(148);
    // 41,000 counts is within the zero window (45,000) a deploy alone would accept: 382 N, 4.9 MPa.
    const shifted = stack({ zeroCounts: DEFAULT_LOAD_CELL.zeroCounts - 41_000, countsPerN: 107.37 });
    await helper.setFlows([simRig(), shifted, ...helpers], 'nodes');
    const node = helper.getNode('sp1');
    expect(lastStatus(node)).toMatchObject({ fill: 'red', text: expect.stringContaining('Zero -33000') });
    const said = errors(node).join('\n');
    expect(said).toMatch(
      /rig01 ch1: Zero -33000 counts is not the installed calibration \(zero 8000 counts, span 107\.37 counts\/N; seeded by the simulated rig, .*\): at 170 MPa the two read the stack 4\.86 MPa apart/,
    );
    expect(said).toMatch(/Refused: the press stays stopped.*cellrig calibrate --channel ch1/);
    let pumped = 0;
    for (let i = 0; i < 60; i++) {
      await clock.tick(1000);
      pumped += (await hardware()).sim.digitalRead(5) + (await hardware()).sim.digitalRead(6);
    }
    expect(pumped).toBe(0);
    // Stopped where it was: only the anode's creep moves it, down.
    expect(await trueMPa()).toBeLessThanOrEqual(before + 0.05);

    // The installed values again: accepted, and holding.
    await helper.setFlows([simRig(), stack(), ...helpers], 'nodes');
    for (let i = 0; i < 30; i++) await clock.tick(1000);
    expect(Math.abs((await trueMPa()) - 150)).toBeLessThan(1.5);
    expect(lastStatus(helper.getNode('sp1'))).toMatchObject({ fill: 'green' });
  });

  it('refuses a span 9 % high, another die and another pump pin, each named', async () => {
    const clock = new VirtualClock();
    await startFlow(
      mods,
      [
        simRig(),
        stack({ zeroCounts: 8000, countsPerN: 117 }),
        stack({ id: 'sp2', channel: 'ch2', muxPort: 1, dieDiameterMm: 12 }),
        stack({ id: 'sp3', channel: 'ch3', muxPort: 2, pumpPin: 5, valvePin: 6 }),
        ...helpers,
      ],
      { clock },
    );
    expect(errors(helper.getNode('sp1')).join()).toMatch(
      /Span 117 counts\/N is not the installed calibration/,
    );
    expect(errors(helper.getNode('sp2')).join()).toMatch(/die 12 mm is not the installed 10 mm/);
    expect(errors(helper.getNode('sp3')).join()).toMatch(
      /pump pin 5 and valve pin 6 are not the installed press's \(19 and 23\)/,
    );
    for (const id of ['sp1', 'sp2', 'sp3'])
      expect(lastStatus(helper.getNode(id))).toMatchObject({ fill: 'red' });
  });
});

describe('installation record: damaged or missing', () => {
  it('a torn record stops every press and the oven, saying what is wrong; nothing is seeded over it', async () => {
    const clock = new VirtualClock();
    let torn = '';
    await startFlow(mods, [simRig(), stack(), oven(), ...helpers], {
      clock,
      prepare: (dir) => {
        const inst = installForTest(dir, { backend: 'sim' });
        const text = readFileSync(inst.file, 'utf8');
        // A write cut off mid-way (as a disk without the atomic rename would leave it).
        torn = text.slice(0, Math.floor(text.length / 2));
        writeFileSync(inst.file, torn, { mode: 0o600 });
        userDir = dir;
      },
    });
    for (let i = 0; i < 5; i++) await clock.tick(1000);
    for (const id of ['sp1', 'tp1']) {
      const n = helper.getNode(id);
      expect(lastStatus(n)).toMatchObject({ fill: 'red' });
      expect(errors(n).join()).toMatch(
        /installation record .*rig01\.json is damaged: not complete JSON .*a torn or damaged write\. The press and the oven do not run/,
      );
    }
    expect((await hardware()).sim.digitalRead(5)).toBe(0);
    expect(readFileSync(join(userDir, 'installation', 'rig01.json'), 'utf8')).toBe(torn);
  });

  it('a record edited by hand (checksum) is refused the same way', async () => {
    await startFlow(mods, [simRig(), stack(), ...helpers], {
      clock: new VirtualClock(),
      prepare: (dir) => {
        const inst = installForTest(dir, { backend: 'sim' });
        const text = readFileSync(inst.file, 'utf8').replace('"zeroCounts": 8000', '"zeroCounts": 7600');
        writeFileSync(inst.file, text, { mode: 0o600 });
      },
    });
    expect(errors(helper.getNode('sp1')).join()).toMatch(/sha256 checksum does not match .*edited by hand/);
  });

  it('a real rig (Firmata) without a record runs no press and no oven, and says how to install it', async () => {
    await startFlow(mods, [simRig({ backend: 'firmata' }), stack(), oven(), ...helpers], {
      clock: new VirtualClock(),
    });
    for (const id of ['sp1', 'tp1']) {
      const n = helper.getNode(id);
      expect(lastStatus(n)).toMatchObject({
        fill: 'red',
        text: expect.stringContaining('no installation record'),
      });
      expect(errors(n).join()).toMatch(
        /a real rig's hardware limits and load-cell calibrations are installed before its press or oven runs\. Stop cellrig, run `cellrig install hardware --reference`.*`cellrig calibrate --channel chN --known-n N`/,
      );
    }
  });

  it('a record seeded by the simulated rig does not serve a real one on the same data folder', async () => {
    await startFlow(mods, [simRig({ backend: 'firmata' }), stack(), ...helpers], {
      clock: new VirtualClock(),
      prepare: (dir) => installForTest(dir, { backend: 'sim' }),
    });
    expect(errors(helper.getNode('sp1')).join()).toMatch(
      /was made on the simulated rig and this rig runs on the firmata backend: the simulated rig's figures are not this rig's/,
    );
  });
});
