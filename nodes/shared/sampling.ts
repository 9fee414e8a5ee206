/**
 * The periodic life of a node that samples hardware (stack-pressure, thermal-profile): a "starting"
 * status, one sample at once and then every period, never two at a time, a grey "not available" status
 * and the safe state when a sample fails, and on close the timer cleared and the safe state again.
 */
import type { Node } from 'node-red';
import type { Clock } from '../../src/clock';
import { errorMessage, short, status } from './node-support';

export type SamplingHooks = {
  /** One sample; `isClosed()` says whether the node closed while it ran (then leave the hardware safe). */
  step(isClosed: () => boolean): Promise<void>;
  /** Puts the hardware in its safe state (press stopped, heater off): after a failed sample and on close. */
  safe(): void;
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
): { sample(): Promise<void> } {
  let busy = false;
  let closed = false;
  const isClosed = () => closed;

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
    }
  };

  node.status(status.idle('starting'));
  const timer = clock.setInterval(() => void sample(), periodMs);
  void sample();
  node.on('close', (done: () => void) => {
    closed = true;
    clock.clearTimer(timer);
    hooks.safe();
    node.status({});
    done();
  });
  return { sample };
}
