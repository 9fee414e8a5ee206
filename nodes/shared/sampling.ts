/**
 * The periodic life of a node that samples hardware (stack-pressure, thermal-profile): a "starting"
 * status, one sample at once and then every period, never two at a time, a grey "not available" status
 * and the safe state when a sample fails, and on close the timer cleared and the safe state again.
 * The loop watches its own period (src/control/loop-monitor.ts): a period missed by more than the margin
 * puts the outputs in the safe state at once and raises the alarm, latched until the monitor is reset,
 * and the rig's heartbeat stops while any loop is not healthy.
 */
import type { Node } from 'node-red';
import type { Clock } from '../../src/clock';
import { type LoopHealth, type LoopOverrun, LoopPeriodMonitor } from '../../src/control/loop-monitor';
import { errorMessage, short, status } from './node-support';

export type SamplingHooks = {
  /** One sample; `isClosed()` says whether the node closed while it ran (then leave the hardware safe). */
  step(isClosed: () => boolean): Promise<void>;
  /** Puts the hardware in its safe state (press stopped, heater off): after a failed sample and on close. */
  safe(): void;
  /** After `safe()` when the loop missed its period: latch the controller, send the alarm, show it. */
  overrun(o: LoopOverrun): void;
};

export type LoopWatch = {
  /** The loop's name in the alarm. */
  loop: string;
  /** How late a period may be before it counts as missed, ms. */
  marginMs: number;
  /** The rig's loops, for its heartbeat. */
  health?: LoopHealth;
};

/**
 * Starts sampling every `periodMs` on `clock` and registers the node's close handler. Returns `sample`
 * for an extra sample now (an input message): skipped while one runs or after close.
 */
export function startSampling(
  node: Node,
  clock: Clock,
  periodMs: number,
  hooks: SamplingHooks,
  watch: LoopWatch,
): { sample(): Promise<void>; monitor: LoopPeriodMonitor } {
  let busy = false;
  let closed = false;
  const isClosed = () => closed;

  const monitor = new LoopPeriodMonitor(
    clock,
    { loop: watch.loop, periodMs, marginMs: watch.marginMs },
    (o) => {
      if (closed) return;
      hooks.safe();
      node.error(o.message);
      hooks.overrun(o);
    },
  );
  const unregister = watch.health?.add(monitor);

  const sample = async (): Promise<void> => {
    if (busy || closed) return;
    busy = true;
    try {
      await hooks.step(isClosed);
    } catch (err) {
      hooks.safe();
      if (!closed) node.status(status.unavailable(short(`not available: ${errorMessage(err)}`)));
    } finally {
      busy = false;
      // A failed sample still completed its period: the loop itself is alive.
      if (!closed) monitor.beat();
    }
  };

  node.status(status.idle('starting'));
  const timer = clock.setInterval(() => void sample(), periodMs);
  monitor.start();
  void sample();
  node.on('close', (done: () => void) => {
    closed = true;
    clock.clearTimer(timer);
    monitor.stop();
    unregister?.();
    hooks.safe();
    node.status({});
    done();
  });
  return { sample, monitor };
}
