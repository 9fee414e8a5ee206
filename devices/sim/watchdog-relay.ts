/**
 * The simulated hardware watchdog: a retriggerable timer that keeps a relay closed while the heartbeat pin
 * keeps changing, and opens it when the pin has not changed for `timeoutMs`. The relay sits in series with
 * the heater SSR's control line and the press pumps (docs/safety.md has the wiring). Open at power-up: the
 * outputs have no power until the software is running and healthy.
 *
 * On the real clock it runs in a worker thread that watches the pin through shared memory, because the
 * point is a Node.js whose event loop is blocked: anything on that loop stops with it. On a virtual clock a
 * blocked event loop cannot happen (time only moves when the test moves it), so the same rule is evaluated
 * on that clock, exactly.
 */
import { Worker } from 'node:worker_threads';
import { type Clock, VirtualClock } from '../../src/clock';

export interface WatchdogRelay {
  /** The heartbeat pin changed level: retriggers the timer. */
  pulse(): void;
  readonly closed: boolean;
  /** When the relay last changed state, ms on the rig's clock. */
  readonly changedAtMs: number;
  /** Times it opened after having been closed. */
  readonly openings: number;
  /** Stops watching (the worker ends); the relay stays as it is. */
  dispose(): void;
}

export type WatchdogRelayOptions = {
  /** Time without a heartbeat edge after which the relay opens, ms. */
  timeoutMs: number;
  /** How often the worker looks when no edge wakes it, ms. */
  pollMs?: number;
};

/** The relay the rig's clock calls for. */
export function simWatchdogRelay(clock: Clock, options: WatchdogRelayOptions): WatchdogRelay {
  return clock instanceof VirtualClock
    ? new ClockWatchdogRelay(clock, options)
    : new WorkerWatchdogRelay(options);
}

// Shared memory layout: Int32 [edges, closed, stop, openings], then Float64 changedAtMs.
const EDGES = 0;
const CLOSED = 1;
const STOP = 2;
const OPENINGS = 3;

/**
 * The worker's body. It runs in its own thread from its source text, so it uses nothing from this module:
 * it sleeps on the edge counter (Atomics.wait wakes it at once on an edge) and opens the relay when no edge
 * came for the timeout.
 */
function watchdogWorker(): void {
  const { workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { sab, timeoutMs, pollMs } = workerData as {
    sab: SharedArrayBuffer;
    timeoutMs: number;
    pollMs: number;
  };
  const i32 = new Int32Array(sab, 0, 4);
  const f64 = new Float64Array(sab, 16, 1);
  let seen = Atomics.load(i32, 0);
  let lastEdgeMs = Date.now();
  while (Atomics.load(i32, 2) === 0) {
    Atomics.wait(i32, 0, seen, pollMs);
    const now = Date.now();
    const edges = Atomics.load(i32, 0);
    if (edges !== seen) {
      seen = edges;
      lastEdgeMs = now;
      if (Atomics.load(i32, 1) === 0) {
        f64[0] = now;
        Atomics.store(i32, 1, 1);
      }
    } else if (Atomics.load(i32, 1) === 1 && now - lastEdgeMs > timeoutMs) {
      f64[0] = now;
      Atomics.store(i32, 1, 0);
      Atomics.add(i32, 3, 1);
    }
  }
}

export class WorkerWatchdogRelay implements WatchdogRelay {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly worker: Worker;

  constructor(options: WatchdogRelayOptions) {
    const sab = new SharedArrayBuffer(24);
    this.i32 = new Int32Array(sab, 0, 4);
    this.f64 = new Float64Array(sab, 16, 1);
    this.f64[0] = Date.now();
    this.worker = new Worker(`(${watchdogWorker.toString()})()`, {
      eval: true,
      workerData: { sab, timeoutMs: options.timeoutMs, pollMs: options.pollMs ?? 20 },
    });
    // It must never keep the process alive, nor take it down.
    this.worker.unref();
    this.worker.on('error', () => undefined);
  }

  pulse(): void {
    Atomics.add(this.i32, EDGES, 1);
    Atomics.notify(this.i32, EDGES);
  }

  get closed(): boolean {
    return Atomics.load(this.i32, CLOSED) === 1;
  }

  get changedAtMs(): number {
    return this.f64[0]!;
  }

  get openings(): number {
    return Atomics.load(this.i32, OPENINGS);
  }

  dispose(): void {
    Atomics.store(this.i32, STOP, 1);
    Atomics.notify(this.i32, EDGES);
    void this.worker.terminate();
  }
}

export class ClockWatchdogRelay implements WatchdogRelay {
  private lastEdgeMs: number | undefined;
  private closedSinceMs: number | undefined;
  private opened = 0;
  private openedAtMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly options: WatchdogRelayOptions,
  ) {
    this.openedAtMs = clock.now();
  }

  pulse(): void {
    const now = this.clock.now();
    if (!this.closed) this.closedSinceMs = now;
    this.lastEdgeMs = now;
  }

  get closed(): boolean {
    if (this.lastEdgeMs === undefined || this.closedSinceMs === undefined) return false;
    if (this.clock.now() - this.lastEdgeMs <= this.options.timeoutMs) return true;
    // Timed out: opened at the instant the timer ran out.
    this.openedAtMs = this.lastEdgeMs + this.options.timeoutMs;
    this.closedSinceMs = undefined;
    this.opened++;
    return false;
  }

  get changedAtMs(): number {
    return this.closed ? (this.closedSinceMs as number) : this.openedAtMs;
  }

  get openings(): number {
    void this.closed;
    return this.opened;
  }

  dispose(): void {}
}
