import { describe, expect, it } from 'vitest';
import { Pid } from '../../../src/control/pid';

/** A first-order plant (gain 1, time constant 20 s), stepped with the controller. */
function firstOrder(tauS: number) {
  let y = 0;
  return {
    get y() {
      return y;
    },
    step(u: number, dtS: number) {
      y += ((u - y) * dtS) / tauS;
      return y;
    },
  };
}

describe('PID', () => {
  it('acts on the measurement, so a setpoint step gives no derivative kick', () => {
    const pid = new Pid({ kp: 1, ki: 0, kd: 50, outputMin: -100, outputMax: 100 });
    pid.update(0, 0, 0);
    pid.update(0, 0, 1);
    const out = pid.update(10, 0, 1);
    // Derivative on error would add kd * 10 / 1 = 500 here.
    expect(out).toBeCloseTo(10, 9);
  });

  it('keeps its output inside the limits', () => {
    const pid = new Pid({ kp: 5, ki: 1, outputMin: 0, outputMax: 1 });
    const outs = [0, 1, 2, 3].map((t) => pid.update(100, 0, t === 0 ? 0 : 1));
    for (const o of outs) {
      expect(o).toBeLessThanOrEqual(1);
      expect(o).toBeGreaterThanOrEqual(0);
    }
    expect(pid.update(-100, 0, 1)).toBe(0);
  });

  it('does not wind up while saturated: it leaves saturation at once when the error reverses', () => {
    const pid = new Pid({ kp: 0.1, ki: 0.05, outputMin: 0, outputMax: 1 });
    // An hour with an unreachable setpoint.
    for (let t = 0; t < 3600; t++) pid.update(100, 10, 1);
    expect(pid.integralTerm).toBeLessThanOrEqual(1);
    // The setpoint drops below the measurement: the output must fall within a few steps.
    let steps = 0;
    while (pid.update(5, 10, 1) > 0.5 && steps < 1000) steps++;
    expect(steps).toBeLessThan(15);
  });

  it('settles a first-order plant on the setpoint with no steady error', () => {
    const pid = new Pid({ kp: 2, ki: 0.2, outputMin: -10, outputMax: 10 });
    const plant = firstOrder(20);
    for (let t = 0; t < 600; t++) plant.step(pid.update(3, plant.y, t === 0 ? 0 : 1), 1);
    expect(plant.y).toBeCloseTo(3, 3);
  });

  it('transfers from manual to auto without a bump', () => {
    const pid = new Pid({ kp: 2, ki: 0.2, kd: 1, outputMin: -10, outputMax: 10 });
    const plant = firstOrder(20);
    pid.setManual(1.5);
    for (let t = 0; t < 300; t++) plant.step(pid.update(3, plant.y, 1), 1);
    expect(pid.mode).toBe('manual');
    expect(pid.lastOutput).toBe(1.5);
    pid.setAuto();
    const error = 3 - plant.y;
    const first = pid.update(3, plant.y, 1);
    // Only one step's worth of integral action separates the two; the proportional term (kp * error = 3
    // here) does not appear as a jump.
    expect(Math.abs(first - 1.5)).toBeLessThanOrEqual(0.2 * Math.abs(error) * 1 + 1e-9);
    expect(Math.abs(first - 1.5)).toBeLessThan(0.35);
  });

  it('ramps the working setpoint at the configured rate and then holds it', () => {
    const pid = new Pid({ kp: 1, ki: 0, outputMin: -1000, outputMax: 1000, setpointRampPerS: 0.5 });
    pid.update(100, 0, 0);
    const sps: number[] = [];
    for (let t = 1; t <= 300; t++) {
      pid.update(100, 0, 1);
      sps.push(pid.workingSetpoint!);
    }
    for (let i = 1; i < sps.length; i++) expect(sps[i]! - sps[i - 1]!).toBeLessThanOrEqual(0.5 + 1e-9);
    expect(sps[99]).toBeCloseTo(50, 9);
    expect(sps[299]).toBe(100);
  });

  it('rejects output limits the wrong way round, naming the field', () => {
    expect(() => new Pid({ kp: 1, outputMin: 1, outputMax: 0 })).toThrow(/outputMax/);
  });
});
