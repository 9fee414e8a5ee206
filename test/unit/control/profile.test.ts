import { describe, expect, it } from 'vitest';
import { DEFAULT_OVEN, type OvenFault, OvenModel } from '../../../devices/sim/models/oven';
import { type ProfileSample, runProfile } from '../../../devices/sim/runs/profile-run';
import type { ControlEvent } from '../../../src/control/events';
import { ProfileProgrammer, type TemperatureProfile } from '../../../src/control/profile';
import { STEP_SERIES_50_200, TFAA_DRYING } from '../../../src/control/ready-profiles';
import { seededRandom } from '../../../src/random';

/** Per segment: overshoot of the true chamber temperature, worst reading 10 min into the soak, soak times. */
function analyse(profile: TemperatureProfile, samples: ProfileSample[], events: ControlEvent[]) {
  const perSeg = profile.segments.map(() => ({ overshootC: 0, worstSettledC: 0 }));
  let soakStartS: number | undefined;
  let seg = -1;
  for (const s of samples) {
    const i = s.out.segmentIndex;
    if (i === null) continue;
    if (i !== seg) {
      seg = i;
      soakStartS = undefined;
    }
    const target = profile.segments[i]!.targetC;
    const from = i === 0 ? 25 : profile.segments[i - 1]!.targetC;
    const r = perSeg[i]!;
    if (target > from) r.overshootC = Math.max(r.overshootC, s.chamberC - target);
    else r.overshootC = Math.max(r.overshootC, target - s.chamberC);
    if (s.out.phase === 'soak') {
      soakStartS ??= s.timeS;
      if (s.timeS - soakStartS >= 600)
        r.worstSettledC = Math.max(r.worstSettledC, Math.abs(s.measuredC! - target));
    }
  }
  const soakStart = events.filter((e) => e.code === 'soak-start');
  const segEnd = events.filter((e) => e.code === 'segment-end');
  const holds = segEnd.map((e, k) => ({
    plannedS: profile.segments[k]!.holdS,
    inBandS: e.data!.soakS as number,
    wallS: e.timeS - soakStart[k]!.timeS,
  }));
  return { perSeg, holds };
}

function collect(profile: TemperatureProfile, seed: number) {
  const samples: ProfileSample[] = [];
  const res = runProfile({ profile, seed, batch: 'NMC811-TFAA-B07', onSample: (s) => samples.push(s) });
  return { res, samples, ...analyse(profile, samples, res.events) };
}

describe('temperature-profile programmer on the simulated oven', () => {
  it('runs the TFAA drying profile with under 2 C overshoot, within 1 C once settled, each hold to plan', () => {
    for (const seed of [1, 2, 3]) {
      const { res, perSeg, holds } = collect(TFAA_DRYING, seed);
      expect(res.status).toBe('completed');
      for (const s of perSeg) {
        expect(s.overshootC).toBeLessThan(2);
        expect(s.worstSettledC).toBeLessThanOrEqual(1);
      }
      expect(holds).toHaveLength(3);
      for (const h of holds) {
        expect(Math.abs(h.inBandS - h.plannedS)).toBeLessThanOrEqual(1);
        expect(Math.abs(h.wallS - h.plannedS)).toBeLessThanOrEqual(1);
      }
      // Every event of the run carries the run id and the powder batch it dried.
      for (const e of res.events)
        expect(e.data).toMatchObject({ runId: `sim-${seed}`, batch: 'NMC811-TFAA-B07' });
    }
  });

  it('runs the 50-200 C step series with under 2 C overshoot and every soak of one hour in the band', () => {
    const { res, perSeg, holds } = collect(STEP_SERIES_50_200, 4);
    expect(res.status).toBe('completed');
    for (const s of perSeg) expect(s.overshootC).toBeLessThan(2);
    for (const s of perSeg) expect(s.worstSettledC).toBeLessThanOrEqual(1);
    for (const h of holds) expect(Math.abs(h.inBandS - 3600)).toBeLessThanOrEqual(1);
  });

  it('counts the soak only inside the band and under vacuum: a 10 min vacuum leak adds 10 min to the hold', () => {
    const leakAtS = 15_000; // inside the 160 C vacuum soak
    const samples: ProfileSample[] = [];
    const res = runProfile({
      profile: TFAA_DRYING,
      seed: 5,
      onSample: (s) => samples.push(s),
      onStep: ({ timeS, oven }) => {
        if (timeS === leakAtS) oven.inject('vacuum-leak');
        if (timeS === leakAtS + 600) oven.clear('vacuum-leak');
        return undefined;
      },
    });
    expect(res.status).toBe('completed');
    expect(res.events.filter((e) => e.code === 'vacuum-lost')).toHaveLength(1);
    const starts = res.events.filter((e) => e.code === 'soak-start');
    const ends = res.events.filter((e) => e.code === 'segment-end');
    expect(ends[1]!.data!.soakS).toBe(4 * 3600);
    const wallS = ends[1]!.timeS - starts[1]!.timeS;
    // The soak stopped while the chamber was above 5 mbar (the leak, then the pump-down after it).
    expect(wallS).toBeGreaterThan(4 * 3600 + 600);
    expect(wallS).toBeLessThan(4 * 3600 + 600 + 600);
  });

  it('pauses (setpoint held, soak stopped), resumes, skips a segment and aborts on command', () => {
    const samples: ProfileSample[] = [];
    const res = runProfile({
      profile: TFAA_DRYING,
      seed: 6,
      onSample: (s) => samples.push(s),
      onStep: ({ timeS, programmer }) => {
        if (timeS === 3000) programmer.pause(timeS);
        if (timeS === 4800) programmer.resume(timeS);
        if (timeS === 12_000) programmer.skip(timeS);
        if (timeS === 14_000) programmer.abort(timeS);
        return undefined;
      },
    });
    expect(res.status).toBe('aborted');
    const codes = res.events.map((e) => e.code);
    expect(codes).toEqual(expect.arrayContaining(['paused', 'resumed', 'segment-skipped', 'aborted']));
    const paused = samples.filter((s) => s.timeS > 3000 && s.timeS < 4800);
    expect(paused.every((s) => s.out.status === 'paused' && s.setpointC === paused[0]!.setpointC)).toBe(true);
    // The soak of segment 1 took 1800 s longer on the wall clock because of the pause.
    const end0 = res.events.find((e) => e.code === 'segment-end')!;
    const soak0 = res.events.find((e) => e.code === 'soak-start')!;
    expect(end0.timeS - soak0.timeS).toBeGreaterThanOrEqual(7200 + 1800 - 1);
    const last = samples[samples.length - 1]!;
    expect(last.out.heaterDuty).toBe(0);
    expect(last.out.heaterEnabled).toBe(false);
  });

  it('refuses a profile that targets the over-temperature cutoff', () => {
    const p = new ProfileProgrammer({ guard: { overTempCutoffC: 180 } });
    expect(() => p.start(STEP_SERIES_50_200, { runId: 'r1' }, 0)).toThrow(/200 C.*180 C cutoff/);
  });
});

/** Runs TFAA until `stopAtS`, cuts the power for `outageS`, then restarts the programmer under `policy`. */
function powerLoss(policy: 'resume' | 'abort', stopAtS: number, outageS: number, maxOutageS?: number) {
  const oven = new OvenModel(DEFAULT_OVEN, seededRandom(7));
  const config = { powerLossPolicy: policy, ...(maxOutageS ? { maxOutageS } : {}) };
  let prog = new ProfileProgrammer(config);
  prog.start(TFAA_DRYING, { runId: 'run-42', batch: 'B42' }, 0);
  let saved = '';
  const events: ControlEvent[] = [];
  const drive = (t: number) => {
    oven.advanceTo(t);
    const r = oven.readThermocouple();
    const out = prog.step({ timeS: t, tempC: r.tempC, sensorFault: r.fault, vacuumOk: oven.vacuumOk });
    oven.setHeater(out.heaterDuty, out.heaterEnabled);
    oven.setVacuumPump(out.vacuumOn);
    events.push(...out.events);
    if (t % 10 === 0) saved = JSON.stringify(prog.snapshot());
    return out;
  };
  let t = 0;
  for (; t < stopAtS; t++) drive(t);
  // Power gone: heater, pump and programmer all stop; the oven cools and vents.
  oven.setHeater(0, false);
  oven.setVacuumPump(false);
  t += outageS;
  oven.advanceTo(t);
  prog = new ProfileProgrammer(config);
  const bankedAtSave = JSON.parse(saved).soakElapsedS as number;
  const restored = prog.restore(JSON.parse(saved), t);
  let out = drive(t);
  for (t++; t < 80_000 && (out.status === 'running' || out.status === 'paused'); t++) out = drive(t);
  return { restored, out, events, bankedAtSave };
}

describe('power loss in mid-profile', () => {
  it("under 'resume', picks up the segment and banks only the remaining soak time", () => {
    const { restored, out, events, bankedAtSave } = powerLoss('resume', 5000, 1800);
    expect(restored.status).toBe('running');
    expect(restored.segmentIndex).toBe(0);
    expect(bankedAtSave).toBeGreaterThan(3000);
    expect(events.filter((e) => e.code === 'power-loss-resume')).toHaveLength(1);
    expect(out.status).toBe('completed');
    const soak0 = events.filter((e) => e.code === 'segment-end')[0]!.data!.soakS as number;
    expect(Math.abs(soak0 - 7200)).toBeLessThanOrEqual(1);
  });

  it("under 'abort', ends the run with exactly one alarm and the heater off", () => {
    const { restored, out, events } = powerLoss('abort', 5000, 600);
    expect(restored.status).toBe('aborted');
    expect(events.filter((e) => e.kind === 'alarm')).toHaveLength(1);
    expect(events.find((e) => e.kind === 'alarm')).toMatchObject({ code: 'power-loss-abort' });
    expect(out.heaterDuty).toBe(0);
    expect(out.heaterEnabled).toBe(false);
  });

  it("under 'resume', still aborts after an outage longer than maxOutageS", () => {
    const { restored } = powerLoss('resume', 5000, 7200, 3600);
    expect(restored.status).toBe('aborted');
    expect(restored.fault).toBe('power-loss');
  });
});

const DRY_ONLY: TemperatureProfile = { ...TFAA_DRYING, segments: [TFAA_DRYING.segments[0]!] };

type FaultCase = {
  fault: OvenFault;
  code: string;
  atS: number;
  detectWithinS: number;
  guard?: { runawayRiseC?: number; overTempCutoffC?: number };
};

describe('oven faults reach the safe state (heater off, contactor open) with exactly one alarm', () => {
  const cases: FaultCase[] = [
    { fault: 'sensor-disconnected', code: 'sensor-lost', atS: 3000, detectWithinS: 1 },
    { fault: 'thermocouple-open', code: 'thermocouple-open', atS: 3000, detectWithinS: 1 },
    { fault: 'reading-stuck', code: 'sensor-stuck', atS: 3000, detectWithinS: 121 },
    // Heater off during the ramp (high duty): no rise within the 180 s window.
    // The 180 s window opens when the duty reaches 0.9, which the loop takes a minute or two to ask for.
    { fault: 'heater-failed-off', code: 'heater-failure', atS: 600, detectWithinS: 300 },
    // A welded SSR in the hold: the loop cuts the duty, the temperature keeps rising.
    { fault: 'heater-failed-on', code: 'thermal-runaway', atS: 3000, detectWithinS: 900 },
    // The same with runaway detection switched off: the hard cutoff, independent of the PID, still acts.
    {
      fault: 'heater-failed-on',
      code: 'over-temperature',
      atS: 3000,
      detectWithinS: 20_000,
      guard: { runawayRiseC: 500, overTempCutoffC: 130 },
    },
  ];
  for (const c of cases) {
    it(`${c.fault} -> ${c.code}`, () => {
      const samples: ProfileSample[] = [];
      let ovenRef: OvenModel | undefined;
      const powerAfterTrip: number[] = [];
      const res = runProfile({
        profile: c.guard ? DRY_ONLY : TFAA_DRYING,
        seed: 11,
        config: c.guard ? { guard: c.guard } : {},
        faults: [{ atS: c.atS, fault: c.fault }],
        maxDurationS: c.atS + c.detectWithinS + 600,
        onSample: (s) => {
          samples.push(s);
          if (s.out.status === 'fault') powerAfterTrip.push(ovenRef!.heaterPowerW);
        },
        onStep: ({ oven }) => {
          ovenRef = oven;
          return undefined;
        },
      });
      const alarms = res.events.filter((e) => e.kind === 'alarm');
      expect(alarms).toHaveLength(1);
      expect(alarms[0]!.code).toBe(c.code);
      const tripS = alarms[0]!.timeS;
      expect(tripS - c.atS).toBeLessThanOrEqual(c.detectWithinS);
      // Safe within one control period: the step that raised the alarm already commanded heater off.
      const tripSample = samples.find((s) => s.timeS === tripS)!;
      expect(tripSample.out.heaterDuty).toBe(0);
      expect(tripSample.out.heaterEnabled).toBe(false);
      for (const s of samples.filter((x) => x.timeS >= tripS)) {
        expect(s.out.heaterEnabled).toBe(false);
        expect(s.out.vacuumOn).toBe(false);
      }
      // The contactor is open, so even a welded SSR delivers no power.
      expect(powerAfterTrip.every((w) => w === 0)).toBe(true);
      expect(res.status).toBe('fault');
    });
  }
});
