/**
 * The rig's control loops as the nodes run them (press loops per channel, the oven loop), on either
 * backend, for tests that compare the simulator's IO with the real serial path on the same seed and clock.
 */
import { openRigHardware, type RigHardware } from '../../devices/board';
import { StackLoadCell } from '../../devices/load-cell';
import { OvenLoop } from '../../devices/oven-loop';
import { PressActuator } from '../../devices/press-actuator';
import { PressGuard } from '../../devices/press-guard';
import { PressLoop } from '../../devices/press-loop';
import { SIM_PINS, SimRig } from '../../devices/sim/sim-rig';
import { VirtualClock } from '../../src/clock';
import { PressureHold } from '../../src/control/pressure-hold';
import { ProfileProgrammer, type TemperatureProfile } from '../../src/control/profile';
import { channelConfigSchema } from '../../src/rig/config';
import { REFERENCE_RIG } from '../../src/rig/hardware-limits';
import { type FirmataBench, startFirmataBench } from './firmata-board';
import { FakeGpioKernel, FakeI2cDev } from './linux-fakes';

export type TestRig = {
  clock: VirtualClock;
  hw: RigHardware;
  sim: SimRig;
  bench?: FirmataBench;
  linux?: { bus: FakeI2cDev; gpio: FakeGpioKernel };
  close(): Promise<void>;
};

export async function openTestRig(backend: 'sim' | 'firmata' | 'linux', seed: number): Promise<TestRig> {
  const clock = new VirtualClock();
  if (backend === 'sim') {
    const hw = await openRigHardware({ rigId: 'rig01', backend: 'sim', seed }, clock);
    return { clock, hw, sim: hw.sim!, close: async () => hw.close() };
  }
  if (backend === 'linux') {
    const sim = new SimRig(clock, { seed, loadCellPorts: [0, 1, 2, 3, 4, 5, 6, 7] });
    const bus = new FakeI2cDev(sim);
    const gpio = new FakeGpioKernel(sim);
    const hw = await openRigHardware({ rigId: 'rig01', backend: 'linux', seed }, clock, 5000, {
      bus,
      gpio,
      chips: () => gpio.chipPaths,
    });
    return { clock, hw, sim, linux: { bus, gpio }, close: async () => hw.close() };
  }
  const bench = await startFirmataBench(clock, seed);
  const hw = await openRigHardware(
    { rigId: 'rig01', backend: 'firmata', seed, serialPort: bench.hostPath },
    clock,
  );
  bench.watch(() => hw.link);
  return {
    clock,
    hw,
    sim: bench.sim,
    bench,
    close: async () => {
      hw.close();
      await bench.close();
    },
  };
}

export function pressLoop(
  rig: TestRig,
  port: number,
): { loop: PressLoop; hold: PressureHold; actuator: PressActuator } {
  const channel = channelConfigSchema.parse({
    channel: `ch${port + 1}`,
    cell: 'c',
    coating: 'pristine',
    muxPort: port,
  });
  const hold = new PressureHold();
  const pins = SIM_PINS.press[port]!;
  const actuator = new PressActuator(rig.hw.io, rig.clock, {
    pumpPin: pins.pump,
    valvePin: pins.valve,
    pumpSpeedMmPerS: hold.config.maxSpeedMmPerS,
    releaseSpeedMmPerS: hold.config.maxSpeedMmPerS,
  });
  // The safety layer the nodes run below the hold (devices/press-guard.ts).
  const guard = new PressGuard({
    installed: channel.calibration,
    dieDiameterMm: channel.dieDiameterMm,
    overloadMPa: hold.config.overloadMPa,
    hardware: REFERENCE_RIG.press,
    periodMs: channel.samplePeriodMs,
    releaseSpeedMmPerS: hold.config.releaseSpeedMmPerS,
  });
  hold.start(rig.clock.now() / 1000);
  return {
    loop: new PressLoop(new StackLoadCell(rig.hw.bus, rig.clock, channel), rig.clock, hold, actuator, guard),
    hold,
    actuator,
  };
}

export function ovenLoop(
  rig: TestRig,
  profile: TemperatureProfile,
): { loop: OvenLoop; programmer: ProfileProgrammer } {
  const programmer = new ProfileProgrammer({ controlPeriodS: 1 });
  programmer.start(profile, { runId: 'firmata-test', batch: 'B1' }, rig.clock.now() / 1000);
  const loop = new OvenLoop(rig.hw.bus, rig.hw.io, rig.clock, programmer, {
    ssr: SIM_PINS.heaterSsr,
    contactor: SIM_PINS.heaterContactor,
    vacuumPump: SIM_PINS.vacuumPump,
    vacuumSwitch: SIM_PINS.vacuumSwitch,
  });
  return { loop, programmer };
}

/**
 * Runs `step` at the start of each 1 s period on the rig clock for `seconds` periods, as the nodes' sampling
 * does: the period's timers (an I2C read's timeout, the outputs' time proportioning) fire while it runs,
 * and it has finished before the next period starts.
 */
export async function runPeriods(rig: TestRig, seconds: number, step: () => Promise<void>): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    const done = step();
    await rig.clock.tick(1000);
    await done;
  }
}
