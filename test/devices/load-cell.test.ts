import { describe, expect, it } from 'vitest';
import { openRigHardware } from '../../devices/board';
import { StackLoadCell } from '../../devices/load-cell';
import { VirtualClock } from '../../src/clock';
import { channelConfigSchema } from '../../src/rig/config';

const channel = (muxPort: number) =>
  channelConfigSchema.parse({ channel: `ch${muxPort + 1}`, cell: 'c1', coating: 'pristine', muxPort });

async function readAt(clock: VirtualClock, cell: StackLoadCell) {
  const p = cell.read();
  await clock.tick(0);
  return p;
}

describe('stack load cell on the simulated rig', () => {
  it('reads a freshly pressed stack at 150 MPa (11.78 kN on a 10 mm die) through mux and ADC', async () => {
    const clock = new VirtualClock();
    const hw = await openRigHardware({ rigId: 'rig01', backend: 'sim', seed: 1 }, clock);
    const cell = new StackLoadCell(hw.bus, clock, channel(0));
    const r = await readAt(clock, cell);
    expect(r.forceN).toBeGreaterThan(11_780 - 30);
    expect(r.forceN).toBeLessThan(11_780 + 30);
    expect(r.pressureMPa).toBeCloseTo(150, 0);
    hw.close();
  });

  it('sees the pressure relax over hours as the anode creeps under a press that holds its position', async () => {
    const clock = new VirtualClock();
    const hw = await openRigHardware({ rigId: 'rig01', backend: 'sim', seed: 2 }, clock);
    const cell = new StackLoadCell(hw.bus, clock, channel(1));
    const first = await readAt(clock, cell);
    await clock.tick(3 * 3600 * 1000);
    const later = await readAt(clock, cell);
    await clock.tick(24 * 3600 * 1000);
    const settled = await readAt(clock, cell);
    expect(later.pressureMPa).toBeLessThan(first.pressureMPa - 10);
    expect(settled.pressureMPa).toBeLessThan(later.pressureMPa);
    // k2/(k1+k2) of the preload remains when the creep has run its course.
    expect(settled.pressureMPa).toBeGreaterThan(120);
    hw.close();
  });

  it('repeats its readings exactly from the same seed', async () => {
    const run = async () => {
      const clock = new VirtualClock();
      const hw = await openRigHardware({ rigId: 'rig01', backend: 'sim', seed: 7 }, clock);
      const cell = new StackLoadCell(hw.bus, clock, channel(2));
      const out: number[] = [];
      for (let i = 0; i < 5; i++) {
        out.push((await readAt(clock, cell)).counts);
        await clock.tick(1000);
      }
      hw.close();
      return out;
    };
    expect(await run()).toEqual(await run());
  });

  it('reports a load cell that does not answer as not available instead of hanging', async () => {
    const clock = new VirtualClock();
    const hw = await openRigHardware({ rigId: 'rig01', backend: 'sim', seed: 1 }, clock);
    hw.close();
    const cell = new StackLoadCell(hw.bus, clock, channel(0));
    const p = cell.read();
    const settled = expect(p).rejects.toThrow(/not available/);
    await clock.tick(1000);
    await settled;
  });
});
