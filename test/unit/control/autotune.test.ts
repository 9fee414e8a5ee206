import { describe, expect, it } from 'vitest';
import { DEFAULT_OVEN, OvenModel } from '../../../devices/sim/models/oven';
import { RelayAutotune } from '../../../src/control/autotune';
import { Pid } from '../../../src/control/pid';
import { seededRandom } from '../../../src/random';

describe('relay autotune', () => {
  it('finds the ultimate period of an integrator with dead time (exactly 4 x the dead time)', () => {
    // dy/dt = K u(t - L): the relay oscillation has period 4L and amplitude d K L.
    const K = 0.5;
    const L = 10;
    const dt = 0.1;
    const tune = new RelayAutotune({ setpoint: 0, outputHigh: 1, outputLow: -1, cycles: 4 });
    const delayLine: number[] = new Array(Math.round(L / dt)).fill(0);
    let y = 0;
    let t = 0;
    while (tune.status === 'running' && t < 2000) {
      const u = tune.step(y, t);
      delayLine.push(u);
      y += K * delayLine.shift()! * dt;
      t += dt;
    }
    expect(tune.status).toBe('done');
    const r = tune.result!;
    expect(r.ultimatePeriodS).toBeCloseTo(4 * L, 0);
    expect(r.amplitude).toBeCloseTo(K * L, 1);
    // The describing function under-estimates Ku of this plant (true value pi / (2 K L)) by about 19 %.
    const trueKu = Math.PI / (2 * K * L);
    expect(r.ultimateGain / trueKu).toBeGreaterThan(0.75);
    expect(r.ultimateGain / trueKu).toBeLessThan(0.9);
  });

  it('proposes gains that hold the simulated oven at 100 C within 1 C', () => {
    const oven = new OvenModel(DEFAULT_OVEN, seededRandom(3), 95);
    const tune = new RelayAutotune({
      setpoint: 100,
      outputHigh: 0.6,
      outputLow: 0,
      hysteresis: 0.3,
      cycles: 3,
    });
    let t = 0;
    for (; tune.status === 'running'; t += 1) {
      oven.advanceTo(t);
      oven.setHeater(tune.step(oven.readThermocouple().tempC!, t), true);
    }
    expect(tune.status).toBe('done');
    const gains = tune.result!.gains.tyreusLuybenPid;
    const pid = new Pid({ ...gains, outputMin: 0, outputMax: 1, derivativeFilterS: 10 });
    const start = t;
    let worst = 0;
    for (; t < start + 4 * 3600; t += 1) {
      oven.advanceTo(t);
      const y = oven.readThermocouple().tempC!;
      oven.setHeater(pid.update(100, y, 1), true);
      if (t > start + 3600) worst = Math.max(worst, Math.abs(oven.chamberTempC - 100));
    }
    expect(worst).toBeLessThan(1);
  });

  it('fails, with a reason, when the measurement is lost', () => {
    const tune = new RelayAutotune({ setpoint: 1, outputHigh: 1, outputLow: 0 });
    tune.step(0, 0);
    expect(tune.step(Number.NaN, 1)).toBe(0);
    expect(tune.status).toBe('failed');
    expect(tune.failureReason).toMatch(/lost/);
  });
});
