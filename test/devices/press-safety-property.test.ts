/**
 * The safety layer's promise, tried by random command sequences on the simulated rig (real drivers,
 * virtual clock): whatever a user sends, whatever the cable and the actuator do, and however often the
 * channel is redeployed, the stack never goes above the overload limit, judged by the raw reading with
 * the calibration installed at set-up, nor by the true force in the physics.
 */
import { describe, expect, it } from 'vitest';
import { runPressSequence, type SequenceResult } from '../../devices/sim/runs/press-sequences';
import { openPressRig } from '../support/press-rig';

const SEQUENCES = 16;
const HOURS = 1;

describe('random command sequences on the simulated press', () => {
  it(`never take the stack above the overload limit (${SEQUENCES} seeded sequences of ${HOURS} h rig time)`, async () => {
    const results: SequenceResult[] = [];
    for (let seed = 1; seed <= SEQUENCES; seed++)
      results.push(await runPressSequence({ seed, hours: HOURS }));
    for (const r of results) {
      expect(r.maxRawMPa, `seed ${r.seed}`).toBeLessThanOrEqual(r.overloadMPa);
      expect(r.maxTrueMPa, `seed ${r.seed}`).toBeLessThanOrEqual(r.overloadMPa);
    }
    // Not vacuous: every kind of command was accepted somewhere, the layer had to act, and came close.
    const accepted = (a: string) =>
      results.reduce((n, r) => n + ((r.accepted as Record<string, number>)[a] ?? 0), 0);
    for (const a of ['start', 'setpoint', 'stop', 'reset', 'tare', 'span', 'redeploy', 'extra-sample'])
      expect(accepted(a), a).toBeGreaterThan(0);
    const trips = results.reduce((n, r) => n + (r.alarms['overload-limit'] ?? 0), 0);
    expect(trips).toBeGreaterThan(0);
    const closest = Math.min(...results.map((r) => r.overloadMPa - r.maxRawMPa));
    expect(closest).toBeLessThan(2);
    const worst = Math.max(...results.map((r) => r.maxRawMPa - r.overloadMPa));
    console.info(
      `press safety: ${results.length} sequences, ${results.reduce((n, r) => n + r.periods, 0)} control periods; worst raw reading ${worst.toFixed(3)} MPa from the limit (negative = below); ${trips} overload-limit stops`,
    );
  }, 120_000);

  it('an outside push above the limit is let back by the raw reading, even when the controller under-reads', async () => {
    const r = await openPressRig(5);
    const alarms: string[] = [];
    const period = async (n: number) => {
      let last = 0;
      for (let i = 0; i < n; i++) {
        const s = await r.period();
        last = s.guard?.pressureMPa ?? last;
        alarms.push(...(s.control?.events ?? []).filter((e) => e.kind === 'alarm').map((e) => e.code));
      }
      return last;
    };
    await period(2);
    // The controller reads the stack 9 % low after this span: the push below takes the stack to about
    // 180 MPa while the controller reads 164, under its 170 MPa overload limit.
    r.channel.command({ command: 'span', knownForceN: 0.91 * r.trueMPa() * 78.54 });
    r.channel.command({ command: 'start', targetMPa: 130 });
    await period(60);
    r.hw.sim!.inject({ device: 'press', port: 0, fault: 'outside-push' });
    const pushed = await period(1);
    expect(pushed).toBeGreaterThan(170);
    expect(r.channel.guard!.trippedBy).toBe('raw-overload');
    expect(await period(20)).toBeLessThan(170);
    const after = await period(60);
    expect(after).toBeLessThanOrEqual(130.5);
    expect(alarms).toEqual(['raw-overload']);
    expect(r.hold.currentPhase).toBe('fault');
    expect(r.hw.sim!.presses.get(0)!.actuatorVelocityMmPerS).toBe(0);
    r.close();
  });
});
