/**
 * Byte-level faults on the serial line to the virtual StandardFirmata board, with the press holding and the
 * oven heating: each must end in "not available" and safe outputs (press stopped, heater SSR off and its
 * contactor open) within one control period, never an exception, and the line must come back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OvenLoopSample } from '../../devices/oven-loop';
import type { PressLoopSample } from '../../devices/press-loop';
import type { LineFault } from '../../devices/sim/firmata/virtual-board';
import { SIM_PINS } from '../../devices/sim/sim-rig';
import type { TemperatureProfile } from '../../src/control/profile';
import { openTestRig, ovenLoop, pressLoop, runPeriods, type TestRig } from '../support/rig-loops';

const HEAT: TemperatureProfile = {
  name: 'heat',
  segments: [{ name: 'dry', targetC: 120, rampCPerMin: 10, holdS: 3600, vacuum: false }],
};

let rig: TestRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** A running rig: ch1 held at 150 MPa, the oven heating; one sample of each per period. */
async function running() {
  rig = await openTestRig('firmata', 5);
  const press = pressLoop(rig, 0);
  const oven = ovenLoop(rig, HEAT);
  const last: { press?: PressLoopSample; oven?: OvenLoopSample } = {};
  const step = async () => {
    last.press = await press.loop.sample();
    last.oven = await oven.loop.sample();
  };
  const r = rig;
  const run = (s: number) => runPeriods(r, s, step);
  await run(60);
  expect(last.press?.unavailable).toBe(false);
  expect(last.oven?.out.heaterEnabled).toBe(true);
  expect(r.sim.digitalRead(SIM_PINS.heaterContactor)).toBe(1);
  return { rig: r, press, oven, last, run };
}

type Running = Awaited<ReturnType<typeof running>>;

/** The press's reading not available and the press stopped, on both sides of the line. */
function expectPressSafe({ rig, press, last }: Running): void {
  expect(last.press).toMatchObject({ unavailable: true, readError: 'not available', reading: null });
  expect(press.actuator.state).toEqual({ pumpOn: false, valveOpen: false });
  for (const pin of [SIM_PINS.press[0]!.pump, SIM_PINS.press[0]!.valve])
    expect(rig.sim.digitalRead(pin), `rig pin ${pin}`).toBe(0);
}

/** Both readings not available and every output off: press stopped, heater SSR off, contactor open. */
function expectAllSafe(r: Running): void {
  expectPressSafe(r);
  expect(r.last.oven?.unavailable).toBe(true);
  expect(r.oven.loop.heaterState).toMatchObject({ ssrOn: false, contactorClosed: false });
  for (const pin of [SIM_PINS.heaterSsr, SIM_PINS.heaterContactor])
    expect(r.rig.sim.digitalRead(pin), `rig pin ${pin}`).toBe(0);
}

describe('faults on the Firmata line', () => {
  for (const fault of ['drop-reply', 'truncate-reply', 'drop-byte'] as LineFault[]) {
    it(`${fault}: the reading it hit is not available and the press stopped within one period, then readings again`, async () => {
      const r = await running();
      // The press reads first in each period: the next reply is its multiplexer read-back.
      r.rig.bench!.board.inject(fault);
      await r.run(1);
      expectPressSafe(r);
      expect(r.last.oven?.out.heaterEnabled).toBe(true);
      await r.run(3);
      expect(r.last.press?.reading).not.toBeNull();
      expect(r.last.oven?.reading.tempC).not.toBeNull();
    });
  }

  it('board reset: outputs low, not available within one period, the link reconnects and reads again', async () => {
    const r = await running();
    r.rig.bench!.board.reset();
    await r.run(1);
    expectAllSafe(r);
    expect(r.rig.hw.link?.state).not.toBe('ready');
    expect(r.rig.hw.link?.lostReason).toMatch(/reset/);
    await r.run(5);
    expect(r.rig.hw.link?.state).toBe('ready');
    expect(r.last.press?.reading).not.toBeNull();
    expect(r.last.oven?.reading.tempC).not.toBeNull();
  });

  it('port vanishes (USB unplugged): not available within one period, reconnects when plugged back', async () => {
    const r = await running();
    await r.rig.bench!.unplug();
    await r.run(1);
    expectAllSafe(r);
    // The pty's hangup reaches serialport as a failed read ("bad file descriptor") or the period's first
    // write failing (EIO), whichever the OS brings first; test/devices/firmata-link.test.ts runs each order.
    expect(r.rig.hw.link?.lostReason).toMatch(
      /^the serial port went away \(unplugged\?\): (EIO: i\/o error, (read|write)|bad file descriptor)$/,
    );
    await r.run(4);
    expect(r.last.press?.unavailable).toBe(true);
    await r.rig.bench!.replug();
    await r.run(5);
    expect(r.rig.hw.link?.state).toBe('ready');
    expect(r.last.press?.reading).not.toBeNull();
    expect(r.last.oven?.reading.tempC).not.toBeNull();
  });
});
