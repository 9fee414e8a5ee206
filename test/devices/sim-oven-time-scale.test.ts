import { describe, expect, it } from 'vitest';
import { SIM_PINS, SimRig } from '../../devices/sim/sim-rig';
import { ScaledClock, VirtualClock } from '../../src/clock';

/** A simulated rig with the oven's heater full on (SSR and contactor closed). */
function heatedRig(clock: VirtualClock): SimRig {
  const sim = new SimRig(clock, { seed: 3 });
  sim.digitalWrite(SIM_PINS.heaterContactor, 1);
  sim.digitalWrite(SIM_PINS.heaterSsr, 1);
  return sim;
}

describe('simulated oven on a faster clock', () => {
  it('heats in 10 s of rig time at 60x exactly as in 600 s at 1x: the same physics, only faster', () => {
    const realClock = new VirtualClock(0);
    const real = heatedRig(realClock);
    realClock.advance(600_000);
    real.advanceOven();

    const rigClock = new VirtualClock(0);
    const fast = heatedRig(rigClock);
    fast.runOvenOn(new ScaledClock(rigClock, 60));
    rigClock.advance(10_000);
    fast.advanceOven();

    expect(real.oven.chamberTempC).toBeGreaterThan(40);
    expect(fast.oven.chamberTempC).toBeCloseTo(real.oven.chamberTempC, 9);
  });

  it('carries on from where the oven is when a controller brings a new clock (a redeploy)', () => {
    const rigClock = new VirtualClock(0);
    const sim = heatedRig(rigClock);
    sim.runOvenOn(new ScaledClock(rigClock, 60));
    rigClock.advance(10_000);
    sim.advanceOven();
    const before = sim.oven.chamberTempC;
    // The new controller's clock starts at the rig's time, 590 s behind the oven's.
    sim.runOvenOn(new ScaledClock(rigClock, 60));
    sim.advanceOven();
    expect(sim.oven.chamberTempC).toBe(before);
    rigClock.advance(1000);
    sim.advanceOven();
    expect(sim.oven.chamberTempC).toBeGreaterThan(before);
  });
});
