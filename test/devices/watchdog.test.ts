/**
 * The watchdog outside the process, on the simulated rig: a heartbeat pin that toggles only while every
 * control loop is healthy, and a simulated retriggerable watchdog relay in series with the heater SSR and
 * the press pumps that runs in a worker thread, so a blocked event loop cannot stop it.
 */
import { describe, expect, it } from 'vitest';
import { openRigHardware } from '../../devices/board';
import { Heartbeat } from '../../devices/heartbeat';
import { SIM_PINS } from '../../devices/sim/sim-rig';
import { simWatchdogRelay, WorkerWatchdogRelay } from '../../devices/sim/watchdog-relay';
import { RealClock, VirtualClock } from '../../src/clock';
import { LoopHealth, LoopPeriodMonitor } from '../../src/control/loop-monitor';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('watchdog relay on the simulated rig', () => {
  it('cuts the heater and the pump within 2 s of a hung event loop', async () => {
    const clock = new RealClock();
    const hw = await openRigHardware({ rigId: 'rig01', backend: 'sim', seed: 1 }, clock);
    const sim = hw.sim!;
    const relay = simWatchdogRelay(clock, { timeoutMs: 1000 });
    expect(relay).toBeInstanceOf(WorkerWatchdogRelay);
    sim.attachWatchdog(SIM_PINS.heartbeat, relay);
    expect(sim.outputsPowered).toBe(false); // open at power-up, until the heartbeat runs
    const health = new LoopHealth();
    const loop = new LoopPeriodMonitor(
      clock,
      { loop: 'press ch1', periodMs: 100, marginMs: 100 },
      () => undefined,
    );
    health.add(loop);
    loop.start();
    const beats = clock.setInterval(() => loop.beat(), 100);
    const heartbeat = new Heartbeat(hw.io, clock, { pin: SIM_PINS.heartbeat, healthy: () => health.healthy });
    heartbeat.start();
    await sleep(600);
    expect(relay.closed).toBe(true);
    expect(sim.outputsPowered).toBe(true);
    // The outputs a hung process leaves on: heater SSR and contactor, ch1's pump.
    for (const pin of [SIM_PINS.heaterSsr, SIM_PINS.heaterContactor, SIM_PINS.press[0]!.pump])
      hw.io.digitalWrite(pin, 1);
    const press = sim.presses.get(0)!;
    press.advanceTo(sim.timeS());
    const startMm = press.actuatorPositionMm;
    expect(sim.oven.heaterPowerW).toBeGreaterThan(0);

    const blockedAt = Date.now();
    while (Date.now() - blockedAt < 4000) {
      // The event loop hung: no timer, no heartbeat, nothing on this thread runs.
    }
    const freeAt = Date.now();
    const cutMs = relay.changedAtMs - blockedAt;
    expect(relay.closed).toBe(false);
    expect(relay.openings).toBe(1);
    expect(cutMs).toBeGreaterThan(0);
    expect(cutMs).toBeLessThanOrEqual(2000);
    // The physics saw the cut when it happened: heater unpowered, the ram moved only until the relay opened.
    expect(sim.outputsPowered).toBe(false);
    sim.advanceOven();
    expect(sim.oven.heaterPowerW).toBe(0);
    press.advanceTo(sim.timeS());
    const movedMm = press.actuatorPositionMm - startMm;
    expect(movedMm).toBeLessThanOrEqual((0.01 * (relay.changedAtMs - blockedAt + 50)) / 1000);
    expect(movedMm).toBeLessThan((0.01 * (freeAt - blockedAt)) / 1000 / 2);
    console.info(`watchdog: heater and pump cut ${cutMs} ms after the event loop hung (timeout 1000 ms)`);
    clock.clearTimer(beats);
    heartbeat.stop();
    loop.stop();
    relay.dispose();
    hw.close();
  }, 20_000);

  it('stays closed while the heartbeat runs, and opens when a loop stops being healthy (virtual clock)', async () => {
    const clock = new VirtualClock();
    const hw = await openRigHardware({ rigId: 'rig01', backend: 'sim', seed: 1 }, clock);
    const sim = hw.sim!;
    const relay = simWatchdogRelay(clock, { timeoutMs: 1000 });
    sim.attachWatchdog(SIM_PINS.heartbeat, relay);
    const health = new LoopHealth();
    const loop = new LoopPeriodMonitor(
      clock,
      { loop: 'oven', periodMs: 1000, marginMs: 1000 },
      () => undefined,
    );
    health.add(loop);
    loop.start();
    let beating = true;
    clock.setInterval(() => beating && loop.beat(), 1000);
    new Heartbeat(hw.io, clock, { pin: SIM_PINS.heartbeat, healthy: () => health.healthy }).start();
    await clock.tick(3600_000);
    expect(sim.outputsPowered).toBe(true);
    expect(relay.openings).toBe(0);
    hw.io.digitalWrite(SIM_PINS.heaterSsr, 1);
    hw.io.digitalWrite(SIM_PINS.heaterContactor, 1);
    const stoppedAt = clock.now();
    beating = false; // the loop stops completing its periods
    await clock.tick(10_000);
    expect(sim.outputsPowered).toBe(false);
    // Unhealthy once 2 s passed without a period; the relay opens 1 s after the last edge.
    expect(relay.changedAtMs - stoppedAt).toBeLessThanOrEqual(3250);
    sim.advanceOven();
    expect(sim.oven.heaterPowerW).toBe(0);
    hw.close();
  });
});
