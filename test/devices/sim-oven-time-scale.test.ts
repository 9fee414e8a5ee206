import { describe, expect, it } from 'vitest';
import { SIM_PINS, SimRig } from '../../devices/sim/sim-rig';
import { VirtualClock } from '../../src/clock';

/** A simulated rig with the oven's heater full on (SSR and contactor closed). */
function heatedRig(clock: VirtualClock): SimRig {
  const sim = new SimRig(clock, { seed: 3 });
  sim.digitalWrite(SIM_PINS.heaterContactor, 1);
  sim.digitalWrite(SIM_PINS.heaterSsr, 1);
  return sim;
}

describe('simulated oven on a clock of its own', () => {
  it("heats by the clock it runs on, not the rig's: 600 s of oven time in 10 s of rig time as in 600 s", () => {
    const realClock = new VirtualClock(0);
    const real = heatedRig(realClock);
    realClock.advance(600_000);
    real.advanceOven();

    const rigClock = new VirtualClock(0);
    const fast = heatedRig(rigClock);
    const ovenClock = new VirtualClock(0);
    fast.runOvenOn(ovenClock);
    rigClock.advance(10_000);
    ovenClock.advance(600_000);
    fast.advanceOven();

    expect(real.oven.chamberTempC).toBeGreaterThan(40);
    expect(fast.oven.chamberTempC).toBeCloseTo(real.oven.chamberTempC, 9);
  });

  it('carries on from where the oven is when a controller brings a new clock (a redeploy)', () => {
    const rigClock = new VirtualClock(0);
    const sim = heatedRig(rigClock);
    const first = new VirtualClock(0);
    sim.runOvenOn(first);
    first.advance(600_000);
    sim.advanceOven();
    const before = sim.oven.chamberTempC;
    // The new controller's clock starts at the rig's time, 600 s behind the oven's.
    const second = new VirtualClock(0);
    sim.runOvenOn(second);
    sim.advanceOven();
    expect(sim.oven.chamberTempC).toBe(before);
    second.advance(60_000);
    sim.advanceOven();
    expect(sim.oven.chamberTempC).toBeGreaterThan(before);
  });
});
