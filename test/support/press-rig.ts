/** A press channel on the simulated rig, on virtual time, as the press tests drive it. */
import { openRigHardware, type RigHardware } from '../../devices/board';
import { PressChannel } from '../../devices/press-channel';
import type { PressLoopSample } from '../../devices/press-loop';
import { SIM_PINS, simChannelAsBuilt } from '../../devices/sim/sim-rig';
import { VirtualClock } from '../../src/clock';
import { PressureHold, type PressureHoldConfigInput } from '../../src/control/pressure-hold';
import { channelConfigSchema, DEFAULT_LOAD_CELL } from '../../src/rig/config';
import { capacityMPa, REFERENCE_RIG } from '../../src/rig/hardware-limits';
import { dieAreaMm2, forceFromCounts } from '../../src/rig/load-cell';

export const DIE_AREA_MM2 = dieAreaMm2(10);
export const HW = REFERENCE_RIG.press;

export type PressRig = {
  clock: VirtualClock;
  hw: RigHardware;
  channel: PressChannel;
  hold: PressureHold;
  /** Makes a new channel and hold on the same hardware, as a redeploy does (the old one made safe first). */
  redeploy(): void;
  /** One control period: a sample, then the clock moved on by the period. */
  period(): Promise<PressLoopSample>;
  /** True stack pressure, MPa, from the physics. */
  trueMPa(): number;
  close(): void;
};

export async function openPressRig(seed: number, hold: PressureHoldConfigInput = {}): Promise<PressRig> {
  const clock = new VirtualClock();
  const hw = await openRigHardware({ rigId: 'rig01', backend: 'sim', seed }, clock);
  const config = channelConfigSchema.parse({ channel: 'ch1', cell: 'c1', coating: 'pristine', muxPort: 0 });
  const make = () => {
    const h = new PressureHold({ ...hold, plausibleMaxMPa: capacityMPa(HW, 10) });
    return {
      hold: h,
      channel: new PressChannel(hw, clock, {
        channel: config,
        hardware: HW,
        installed: simChannelAsBuilt(0),
        hold: h,
        pins: SIM_PINS.press[0]!,
      }),
    };
  };
  const rig = { clock, hw, ...make() } as PressRig;
  rig.redeploy = () => {
    rig.channel.safe();
    Object.assign(rig, make());
  };
  rig.period = async () => {
    const p = rig.channel.sample();
    await clock.tick(0);
    const s = await p;
    await clock.tick(config.samplePeriodMs);
    return s;
  };
  const press = hw.sim!.presses.get(0)!;
  rig.trueMPa = () => {
    press.advanceTo(hw.sim!.timeS());
    return press.forceN / DIE_AREA_MM2;
  };
  rig.close = () => {
    rig.channel.safe();
    hw.close();
  };
  return rig;
}

/** A raw reading as stack pressure by the calibration the rig was installed with. */
export function installedMPa(counts: number): number {
  return forceFromCounts(counts, DEFAULT_LOAD_CELL) / DIE_AREA_MM2;
}
