import { describe, expect, it } from 'vitest';
import { runProfile } from '../../../devices/sim/runs/profile-run';
import type { ProfileRunState } from '../../../src/control/profile';
import { timeLeft } from '../../../src/control/profile-plan';
import { TFAA_DRYING } from '../../../src/control/ready-profiles';
import { OvenView } from '../../../src/panel/oven-view';

/** A TFAA run on the simulated oven as the thermal-profile node reports it, 60 times faster than the wall. */
function scaledRun(scale: number, startWallMs: number) {
  const msgs: {
    payload: Record<string, unknown>;
    run?: ProfileRunState;
    timeScale: number;
    ovenTimeS: number;
  }[] = [];
  runProfile({
    profile: TFAA_DRYING,
    seed: 2,
    onSample: (s) => {
      if (s.timeS % scale !== 0) return; // the node reports once per wall-clock second
      msgs.push({
        payload: {
          ts: startWallMs + (s.timeS * 1000) / scale,
          tempC: s.measuredC,
          setpointC: s.out.setpointC,
          heaterDuty: s.out.heaterDuty,
          status: s.out.status,
          ...(lastRun && timeLeft(lastRun, s.measuredC) ? timeLeft(lastRun, s.measuredC) : {}),
        },
        run: lastRun,
        timeScale: scale,
        ovenTimeS: s.timeS,
      });
    },
    onStep: ({ programmer }) => {
      lastRun = programmer.snapshot();
      return undefined;
    },
  });
  return msgs;
}
let lastRun: ProfileRunState | undefined;

describe('oven view', () => {
  it('draws a 60x run against its plan, anchored at its start, in at most about 600 points per series', () => {
    const t0 = Date.UTC(2026, 5, 1, 8);
    const msgs = scaledRun(60, t0);
    const v = new OvenView();
    const out = msgs.map((m) => v.accept(m));
    const first = out.findIndex((o) => o.replace);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(out.filter((o) => o.replace)).toHaveLength(1);
    const plan = out[first]!.points!.filter((p) => p.series === 'plan');
    // The plan's corners on the wall clock: 25 min ramp etc. divided by 60.
    expect(plan[0]!.x).toBeCloseTo(t0, -3);
    expect(plan.at(-1)!.x - plan[0]!.x).toBeCloseTo((32_100 * 1000) / 60, -3);
    const all = out.flatMap((o) => o.points ?? []);
    for (const series of ['temperature', 'setpoint']) {
      const n = all.filter((p) => p.series === series).length;
      expect(n).toBeGreaterThan(300);
      expect(n).toBeLessThanOrEqual(620);
    }
    // Mid-run: the readout's time left is on the wall clock, a sixtieth of the oven's.
    const mid = out[Math.floor(out.length / 2)]!.readout!;
    const midMsg = msgs[Math.floor(out.length / 2)]!;
    expect(mid.runLeftS).toBeCloseTo((midMsg.payload.runLeftS as number) / 60, 6);
    expect(mid).toMatchObject({ status: 'running', profileName: 'TFAA drying', segments: 3, timeScale: 60 });
    expect(mid.plannedEndMs! - mid.startedMs!).toBeCloseTo((32_100 * 1000) / 60, -3);
  });

  it('keeps the last half hour before the first run, redrawn whole, and starts over on a run', () => {
    const v = new OvenView();
    const idle = (ts: number) => v.accept({ payload: { ts, tempC: 25, status: 'idle' }, timeScale: 1 });
    expect(idle(0)).toMatchObject({ replace: true, points: [{ series: 'temperature', x: 0, y: 25 }] });
    expect(idle(10_000).points).toBeNull();
    for (let t = 15_000; t <= 3600_000; t += 15_000) idle(t);
    const window = idle(3615_000);
    expect(window.replace).toBe(true);
    expect(window.points).toHaveLength(120);
    expect(window.points![0]!.x).toBe(3615_000 - 119 * 15_000);
    const run = {
      runId: 'r1',
      profile: TFAA_DRYING,
      status: 'running',
      segmentIndex: 0,
      phase: 'ramp',
      rampSetpointC: 25,
      soakElapsedS: 0,
      startedAtS: 100,
      updatedAtS: 100,
    } as ProfileRunState;
    const started = v.accept({
      payload: { ts: 70_000, tempC: 25, setpointC: 25, status: 'running' },
      run,
      timeScale: 1,
      ovenTimeS: 100,
    });
    expect(started.replace).toBe(true);
    expect(started.points!.filter((p) => p.series === 'plan')[0]).toEqual({
      series: 'plan',
      x: 70_000,
      y: 25,
    });
    const again = v.accept({
      payload: { ts: 71_000, tempC: 25.1, status: 'running' },
      run,
      timeScale: 1,
      ovenTimeS: 101,
    });
    expect(again.replace).toBe(false);
  });
});
