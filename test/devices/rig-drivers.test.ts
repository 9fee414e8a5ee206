import { describe, expect, it } from 'vitest';
import { openRigHardware, type RigHardware } from '../../devices/board';
import { HeaterSsr } from '../../devices/heater-ssr';
import { DeviceNotAvailableError } from '../../devices/i2c-bus';
import { StackLoadCell } from '../../devices/load-cell';
import { Mcp9601 } from '../../devices/mcp9601';
import { Mcp23017RelayBoard } from '../../devices/mcp23017';
import { PressActuator } from '../../devices/press-actuator';
import { SIM_PINS } from '../../devices/sim/sim-rig';
import { VirtualClock } from '../../src/clock';
import type { ControlEvent } from '../../src/control/events';
import { ChannelInterlock } from '../../src/control/interlock';
import { channelConfigSchema } from '../../src/rig/config';

async function open(seed = 1): Promise<{ clock: VirtualClock; hw: RigHardware }> {
  const clock = new VirtualClock();
  const hw = await openRigHardware({ rigId: 'rig01', backend: 'sim', seed }, clock);
  return { clock, hw };
}

async function settle<T>(clock: VirtualClock, p: Promise<T>, ms = 0): Promise<T> {
  await clock.tick(ms);
  return p;
}

describe('MCP9601 thermocouple on the simulated oven', () => {
  it('reads the oven at room temperature in 0.0625 C steps', async () => {
    const { clock, hw } = await open();
    const tc = new Mcp9601(hw.bus);
    const r = await settle(clock, tc.read());
    expect(r.fault).toBeNull();
    expect(r.tempC!).toBeGreaterThan(24);
    expect(r.tempC!).toBeLessThan(26);
    expect((r.tempC! / 0.0625) % 1).toBe(0);
    hw.close();
  });

  it('honours the open-circuit status bit: a fault, not a temperature', async () => {
    const { clock, hw } = await open();
    hw.sim!.inject({ device: 'oven', fault: 'thermocouple-open' });
    const r = await settle(clock, new Mcp9601(hw.bus).read());
    expect(r).toEqual({ tempC: null, fault: 'open' });
    hw.close();
  });

  it('reports a disconnected converter as not available', async () => {
    const { clock, hw } = await open();
    hw.sim!.inject({ device: 'oven', fault: 'sensor-disconnected' });
    const p = new Mcp9601(hw.bus).read();
    const caught = p.catch((e: unknown) => e);
    await clock.tick(500);
    expect(await caught).toBeInstanceOf(DeviceNotAvailableError);
    hw.close();
  });
});

describe('heater SSR with time proportioning', () => {
  it('switches the SSR for duty x window in each window and heats the oven', async () => {
    const { clock, hw } = await open();
    const heater = new HeaterSsr(hw.io, clock, {
      ssrPin: SIM_PINS.heaterSsr,
      contactorPin: SIM_PINS.heaterContactor,
      windowMs: 2000,
    });
    heater.set(0.25, true);
    let onMs = 0;
    for (let t = 0; t < 20_000; t += 10) {
      if (hw.sim!.digitalRead(SIM_PINS.heaterSsr)) onMs += 10;
      clock.advance(10);
    }
    expect(onMs).toBe(5000);
    heater.set(1, true);
    clock.advance(1800_000);
    hw.sim!.oven.advanceTo(hw.sim!.timeS());
    expect(hw.sim!.oven.chamberTempC).toBeGreaterThan(60);
    heater.off();
    expect(hw.sim!.digitalRead(SIM_PINS.heaterSsr)).toBe(0);
    expect(hw.sim!.digitalRead(SIM_PINS.heaterContactor)).toBe(0);
    expect(hw.sim!.oven.heaterPowerW).toBe(0);
    hw.close();
  });

  it('delivers no power through a welded SSR once the contactor is open', async () => {
    const { clock, hw } = await open();
    const heater = new HeaterSsr(hw.io, clock, {
      ssrPin: SIM_PINS.heaterSsr,
      contactorPin: SIM_PINS.heaterContactor,
    });
    heater.set(0.5, true);
    hw.sim!.inject({ device: 'oven', fault: 'heater-failed-on' });
    expect(hw.sim!.oven.heaterPowerW).toBe(800);
    heater.set(0, false);
    expect(hw.sim!.oven.heaterPowerW).toBe(0);
    hw.close();
  });
});

describe('press actuator (pump and release valve)', () => {
  const ch1 = channelConfigSchema.parse({ channel: 'ch1', cell: 'c1', coating: 'pristine', muxPort: 0 });

  it('raises the stack pressure with the pump, lowers it with the valve, holds it stopped', async () => {
    const { clock, hw } = await open(3);
    const cell = new StackLoadCell(hw.bus, clock, ch1);
    const press = new PressActuator(hw.io, clock, {
      pumpPin: SIM_PINS.press[0]!.pump,
      valvePin: SIM_PINS.press[0]!.valve,
      pumpSpeedMmPerS: 0.01,
      releaseSpeedMmPerS: 0.01,
    });
    // Each command is one pulse of one window (1 s): a loop renews it every period.
    const command = async (mmPerS: number, periods: number) => {
      for (let i = 0; i < periods; i++) {
        press.setVelocity(mmPerS);
        await clock.tick(1000);
      }
    };
    const p0 = (await settle(clock, cell.read())).pressureMPa;
    await command(0.001, 10); // 10 % pump duty
    const p1 = (await settle(clock, cell.read())).pressureMPa;
    // 0.01 mm at 764 MPa/mm: about 7.6 MPa.
    expect(p1 - p0).toBeGreaterThan(6);
    expect(p1 - p0).toBeLessThan(9);
    await command(-0.001, 5);
    const p2 = (await settle(clock, cell.read())).pressureMPa;
    expect(p1 - p2).toBeGreaterThan(3);
    press.stop();
    expect(press.state).toEqual({ pumpOn: false, valveOpen: false });
    const p3 = (await settle(clock, cell.read())).pressureMPa;
    await clock.tick(10_000);
    const p4 = (await settle(clock, cell.read())).pressureMPa;
    // Only creep (a few hundredths of an MPa in 10 s) and noise move it now.
    expect(Math.abs(p4 - p3)).toBeLessThan(0.5);
    hw.close();
  });

  it('runs a command for one window only: a loop that stops commanding leaves the press stopped', async () => {
    const { clock, hw } = await open(3);
    const press = new PressActuator(hw.io, clock, {
      pumpPin: SIM_PINS.press[0]!.pump,
      valvePin: SIM_PINS.press[0]!.valve,
      pumpSpeedMmPerS: 0.01,
      releaseSpeedMmPerS: 0.01,
      windowMs: 1000,
    });
    press.setVelocity(0.01); // full pump, once
    await clock.tick(999);
    expect(press.state.pumpOn).toBe(true);
    await clock.tick(1);
    expect(press.state).toEqual({ pumpOn: false, valveOpen: false });
    const before = hw.sim!.presses.get(0)!.actuatorPositionMm;
    await clock.tick(60_000);
    hw.sim!.presses.get(0)!.advanceTo(hw.sim!.timeS());
    expect(hw.sim!.presses.get(0)!.actuatorPositionMm).toBe(before);
    // Half the speed is half the window; the valve and the pump are never on together.
    press.setVelocity(0.005);
    await clock.tick(500);
    expect(press.state.pumpOn).toBe(false);
    press.setVelocity(0.01);
    press.setVelocity(-0.01);
    expect(press.state).toEqual({ pumpOn: false, valveOpen: true });
    hw.close();
  });
});

describe('MCP23017 relay board under the interlock', () => {
  it('switches a cell to the analyser through I2C and catches a welded relay from its auxiliary contact', async () => {
    const { clock, hw } = await open();
    const events: ControlEvent[] = [];
    const board = new Mcp23017RelayBoard(hw.bus);
    const interlock = new ChannelInterlock(
      board,
      clock,
      {
        channels: [
          { channel: 'ch1', cyclerRelay: 0, analyserRelay: 1 },
          { channel: 'ch2', cyclerRelay: 2, analyserRelay: 3 },
        ],
      },
      (e) => events.push(e),
    );
    expect(await settle(clock, interlock.request('ch1', 'analyser'), 200)).toMatchObject({ ok: true });
    expect(hw.sim!.relays.contact(1)).toBe(true);
    hw.sim!.inject({ device: 'relay', relay: 1, fault: 'welded' });
    expect(await settle(clock, interlock.request('ch2', 'analyser'), 200)).toMatchObject({ ok: false });
    expect(hw.sim!.relays.contact(3)).toBe(false);
    expect(events.filter((e) => e.kind === 'alarm').map((e) => e.code)).toEqual(['relay-welded-1']);
    hw.close();
  });
});
