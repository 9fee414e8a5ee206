import { describe, expect, it } from 'vitest';
import { type Clock, SteppedClock, type TimerHandle, VirtualClock } from '../../src/clock';
import { seededRandom } from '../../src/random';

describe('virtual clock', () => {
  it('fires timers in due order and moves time only when told', () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@200'), 200);
    clock.setTimeout(() => fired.push('a@100'), 100);
    const h = clock.setInterval(() => fired.push(`i@${clock.now()}`), 150);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(251);
    expect(fired).toEqual(['a@100', 'i@150', 'b@200', 'i@300']);
    clock.clearTimer(h);
    clock.advance(1000);
    expect(fired).toHaveLength(4);
    expect(clock.now()).toBe(1350);
  });

  it('runs a day of one-second ticks in well under a second of wall time', () => {
    const clock = new VirtualClock(0);
    let n = 0;
    clock.setInterval(() => n++, 1000);
    clock.advance(24 * 3600 * 1000);
    expect(n).toBe(86_400);
  });

  it('lets awaited sleeps resolve as virtual time passes', async () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    const run = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        seen.push(clock.now());
      }
    })();
    await clock.tick(30);
    await run;
    expect(seen).toEqual([10, 20, 30]);
  });
});

describe('seeded random', () => {
  it('repeats exactly from the same seed and differs across seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
  });

  it('gives normals with mean near 0 and sd near 1', () => {
    const r = seededRandom(7);
    const xs = Array.from({ length: 20_000 }, () => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});

describe('stepped clock', () => {
  it('runs 60 times faster than its base in steps, every timer at its exact time', async () => {
    const base = new VirtualClock(1_000_000);
    const oven = new SteppedClock(base, 60, 5_000_000, 100);
    const fired: number[] = [];
    oven.setInterval(() => fired.push(oven.now()), 1000);
    for (let i = 0; i < 10; i++) {
      await base.tick(100);
      await oven.step(); // the step the base's timer started has finished: nothing left to do
    }
    expect(oven.now()).toBe(5_060_000);
    expect(fired).toEqual(Array.from({ length: 60 }, (_, k) => 5_001_000 + k * 1000));
    oven.stop();
    await base.tick(1000);
    expect(oven.now()).toBe(5_060_000);
  });

  it('after a stall catches up at most its limit, then keeps the scale from there', async () => {
    // A base clock moved by hand, its stepping timer called by hand.
    let t = 0;
    const manual: Clock = {
      now: () => t,
      setTimeout: () => ({ id: 1 }),
      setInterval: (): TimerHandle => ({ id: 2 }),
      clearTimer: () => undefined,
      sleep: () => Promise.resolve(),
    };
    const oven = new SteppedClock(manual, 10, 0, 100, 2000);
    t = 100;
    await oven.step();
    expect(oven.now()).toBe(1000);
    t = 10_100; // the process stalled for 10 s
    await oven.step();
    expect(oven.now()).toBe(21_000);
    t = 10_200;
    await oven.step();
    expect(oven.now()).toBe(22_000);
  });

  it('refuses a scale that would slow time down or is not a number', () => {
    const base = new VirtualClock(0);
    for (const bad of [0.5, 0, -2, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new SteppedClock(base, bad)).toThrow(/time scale must be >= 1/);
  });
});
