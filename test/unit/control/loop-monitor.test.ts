import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock';
import { LoopHealth, type LoopOverrun, LoopPeriodMonitor } from '../../../src/control/loop-monitor';

function setup(periodMs = 1000, marginMs = 500) {
  const clock = new VirtualClock();
  const overruns: LoopOverrun[] = [];
  const m = new LoopPeriodMonitor(clock, { loop: 'press ch1', periodMs, marginMs }, (o) => overruns.push(o));
  m.start();
  return { clock, m, overruns };
}

describe('a control loop watching its own period', () => {
  it('stays healthy while every period completes on time, for a day of rig time', () => {
    const { clock, m, overruns } = setup();
    for (let i = 0; i < 86_400; i++) {
      clock.advance(1000);
      m.beat();
    }
    expect(overruns).toEqual([]);
    expect(m.healthy).toBe(true);
    expect(m.stats).toEqual({ beats: 86_400, worstGapMs: 1000 });
  });

  it('reports a period that never completes within half a period of the margin running out, once', () => {
    const { clock, m, overruns } = setup();
    clock.advance(1000);
    m.beat();
    // The loop hangs (a reply that never comes): no more beats.
    clock.advance(1500);
    expect(overruns).toHaveLength(0);
    expect(m.healthy).toBe(true);
    clock.advance(500);
    expect(overruns).toHaveLength(1);
    expect(overruns[0]!.gapMs).toBeGreaterThan(1500);
    expect(overruns[0]!.gapMs).toBeLessThanOrEqual(2000);
    expect(overruns[0]!.message).toMatch(
      /press ch1: control period missed, 2.00 s since the last one \(period 1 s, margin 0.5 s\)/,
    );
    clock.advance(60_000);
    m.beat();
    expect(overruns).toHaveLength(1); // latched: one alarm
    expect(m.healthy).toBe(false);
  });

  it('reports a late period at the late beat itself, as after a blocked event loop', () => {
    const { clock, m, overruns } = setup();
    m.stop(); // no timer: only the beat can tell
    clock.advance(1600);
    m.beat();
    expect(overruns.map((o) => o.gapMs)).toEqual([1600]);
  });

  it('is healthy again only after reset, counting the next period from then', () => {
    const { clock, m, overruns } = setup();
    clock.advance(5000);
    expect(overruns).toHaveLength(1);
    m.reset();
    expect(m.healthy).toBe(true);
    clock.advance(1000);
    m.beat();
    expect(overruns).toHaveLength(1);
  });

  it('tells the rig when any loop is not healthy', () => {
    const clock = new VirtualClock();
    const health = new LoopHealth();
    const a = new LoopPeriodMonitor(clock, { loop: 'a', periodMs: 1000, marginMs: 500 }, () => undefined);
    const b = new LoopPeriodMonitor(clock, { loop: 'b', periodMs: 100, marginMs: 100 }, () => undefined);
    health.add(a);
    const remove = health.add(b);
    expect(health.healthy).toBe(true);
    clock.advance(150);
    a.beat();
    // b has not beaten for 150 ms of its 200: still healthy; at 250 ms not, even before its timer runs.
    expect(health.healthy).toBe(true);
    clock.advance(100);
    expect(health.unhealthy).toEqual(['b']);
    remove();
    expect(health.healthy).toBe(true);
  });
});
