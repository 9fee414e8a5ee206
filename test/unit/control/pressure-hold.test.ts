import { describe, expect, it } from 'vitest';
import {
  type PressFault,
  type PressureSample,
  runPressureHold,
} from '../../../devices/sim/runs/pressure-run';
import { PressureHold } from '../../../src/control/pressure-hold';

describe('stack-pressure hold on the simulated press (LiIn creep, tau 3 h)', () => {
  it('holds 150 MPa for 24 h with at least 99 % of samples within 1.5 MPa after the first approach', () => {
    for (const seed of [1, 2, 3]) {
      const r = runPressureHold({ seed, hours: 24 });
      expect(r.approachS).not.toBeNull();
      expect(r.inBandFraction).toBeGreaterThanOrEqual(0.99);
      expect(r.measuredInBandFraction).toBeGreaterThanOrEqual(0.99);
      expect(r.events.filter((e) => e.kind === 'alarm')).toHaveLength(0);
      expect(r.finalPhase).toBe('hold');
    }
  });

  it('really has to compensate creep: with the press standing still the stack loses over 10 MPa in 24 h', () => {
    // The same stack with the controller's output thrown away after the ramp.
    let trueEnd = 0;
    const r = runPressureHold({
      seed: 1,
      hours: 24,
      config: { ki: 0, kp: 1e-12, stallMinExpectedMPa: 1e6 },
      startMPa: 150,
      onSample: (s) => {
        trueEnd = s.trueMPa;
      },
    });
    expect(r.finalPhase).toBe('hold');
    expect(150 - trueEnd).toBeGreaterThan(10);
  });

  it('ramps from 0 at the configured rate and overshoots 150 MPa by less than 2 MPa', () => {
    for (const rampMPaPerS of [0.2, 0.5, 2, 5]) {
      const r = runPressureHold({ seed: 4, hours: 1, config: { rampMPaPerS } });
      expect(r.maxRampRateMPaPerS).toBeLessThanOrEqual(rampMPaPerS * 1.05);
      expect(r.maxRampRateMPaPerS).toBeGreaterThan(rampMPaPerS * 0.8);
      expect(r.maxOvershootMPa).toBeLessThan(2);
      // The feed-forward of the last ramp step only covers what is left: no more than noise beyond.
      expect(r.maxOvershootMPa).toBeLessThan(0.2);
      expect(r.approachS).toBeLessThanOrEqual(150 / rampMPaPerS + 30);
    }
  });

  it('tags an excursion on the samples, with start and end events, and raises one holdback alarm if it lasts', () => {
    const samples: PressureSample[] = [];
    const r = runPressureHold({
      seed: 5,
      hours: 2,
      // A slow actuator (0.15 MPa/s) needs about 4 min to make up a 38 MPa slip: longer than the 120 s holdback.
      press: { maxActuatorSpeedMmPerS: 0.0002 },
      config: { maxSpeedMmPerS: 0.0002 },
      faults: [{ atS: 3600, fault: 'stack-slip' }],
      onSample: (s) => samples.push(s),
    });
    const codes = r.events.map((e) => e.code);
    expect(codes.filter((c) => c === 'excursion-start')).toHaveLength(1);
    expect(codes.filter((c) => c === 'excursion-end')).toHaveLength(1);
    expect(r.events.filter((e) => e.kind === 'alarm').map((e) => e.code)).toEqual(['holdback']);
    const holdback = r.events.find((e) => e.code === 'holdback')!;
    expect(holdback.timeS).toBe(3600 + 120);
    expect(codes).toContain('holdback-cleared');
    const tagged = samples.filter((s) => s.out.excursion);
    expect(tagged[0]!.timeS).toBe(3600);
    expect(tagged.every((s) => s.timeS >= 3600 && s.timeS < 3600 + 600)).toBe(true);
    // Making up the slip at full speed does not wind the loop up into an overshoot past the band.
    expect(Math.max(...samples.filter((s) => s.timeS >= 3600).map((s) => s.trueMPa))).toBeLessThan(151.5);
  });

  it('trips on overload: stops, releases to the target, stays stopped, one alarm', () => {
    const samples: PressureSample[] = [];
    const r = runPressureHold({
      seed: 6,
      hours: 3,
      faults: [{ atS: 3600, fault: 'overload-push' }],
      onSample: (s) => samples.push(s),
    });
    const alarms = r.events.filter((e) => e.kind === 'alarm');
    expect(alarms.map((a) => a.code)).toEqual(['overload']);
    expect(alarms[0]!.timeS).toBe(3600);
    // Within the same control period the press was already moving back.
    expect(samples.find((s) => s.timeS === 3600)!.out.velocityMmPerS).toBeLessThan(0);
    const released = r.events.find((e) => e.code === 'released')!;
    const atRelease = samples.find((s) => s.timeS === released.timeS)!;
    expect(atRelease.measuredMPa!).toBeLessThanOrEqual(150);
    expect(atRelease.measuredMPa!).toBeGreaterThan(145);
    for (const s of samples.filter((x) => x.timeS >= released.timeS)) expect(s.out.velocityMmPerS).toBe(0);
    // The stopped stack creeping across the band edge is not reported again and again.
    expect(r.events.filter((e) => e.timeS > released.timeS && e.code.startsWith('excursion'))).toHaveLength(
      0,
    );
    expect(r.finalPhase).toBe('tripped');
  });

  const faults: { fault: PressFault; code: string; detectWithinS: number }[] = [
    { fault: 'load-cell-disconnected', code: 'load-cell-lost', detectWithinS: 0 },
    // Five identical readings in a row: four control periods after the reading froze.
    { fault: 'load-cell-stuck', code: 'load-cell-stuck', detectWithinS: 4 },
    // In the hold the press moves only as fast as creep asks: it takes minutes to command 1.5 MPa of travel.
    { fault: 'actuator-stalled', code: 'actuator-stalled', detectWithinS: 300 },
  ];
  for (const f of faults) {
    it(`${f.fault}: press stopped (not released) in the period of detection, one alarm ${f.code}`, () => {
      const samples: PressureSample[] = [];
      const r = runPressureHold({
        seed: 7,
        hours: 3,
        faults: [{ atS: 3600, fault: f.fault }],
        onSample: (s) => samples.push(s),
      });
      const alarms = r.events.filter((e) => e.kind === 'alarm');
      expect(alarms.map((a) => a.code)).toEqual([f.code]);
      expect(alarms[0]!.timeS - 3600).toBeLessThanOrEqual(f.detectWithinS);
      for (const s of samples.filter((x) => x.timeS >= alarms[0]!.timeS)) {
        expect(s.out.velocityMmPerS).toBe(0);
        expect(s.out.phase).toBe('fault');
      }
      // Stopped where it was: the stack is still near its pressure when the press stops.
      expect(Math.abs(samples.find((s) => s.timeS === alarms[0]!.timeS)!.trueMPa - 150)).toBeLessThan(1.5);
    });
  }

  it('catches a stall during the ramp within the stall window', () => {
    const r = runPressureHold({ seed: 8, hours: 0.1, faults: [{ atS: 100, fault: 'actuator-stalled' }] });
    const alarm = r.events.find((e) => e.kind === 'alarm')!;
    expect(alarm.code).toBe('actuator-stalled');
    expect(alarm.timeS - 100).toBeLessThanOrEqual(31);
  });
});

describe('pressure-hold controller', () => {
  it('flags an implausible reading as a wiring fault and stops', () => {
    const h = new PressureHold();
    h.start(0);
    h.step({ timeS: 0, pressureMPa: 10 });
    const out = h.step({ timeS: 1, pressureMPa: 900 });
    expect(out.velocityMmPerS).toBe(0);
    expect(out.events.map((e) => e.code)).toEqual(['load-cell-implausible']);
  });

  it('refuses to start while a trip is latched, and after reset starts again', () => {
    const h = new PressureHold();
    h.start(0);
    h.step({ timeS: 0, pressureMPa: null });
    expect(() => h.start(1)).toThrow(/reset first/);
    h.reset(2);
    expect(() => h.start(3)).not.toThrow();
    expect(h.step({ timeS: 4, pressureMPa: 100 }).phase).toBe('ramp');
  });

  it('rejects an overload limit under the target band, naming the field', () => {
    expect(() => new PressureHold({ targetMPa: 150, overloadMPa: 151 })).toThrow(/overloadMPa/);
  });

  it('stop leaves the press where it is', () => {
    const h = new PressureHold();
    h.start(0);
    h.step({ timeS: 0, pressureMPa: 50 });
    h.stop(1);
    expect(h.step({ timeS: 2, pressureMPa: 50.1 }).velocityMmPerS).toBe(0);
  });
});
