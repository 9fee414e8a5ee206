/**
 * One clock for everything time-based. The real clock drives hardware; the virtual clock lets a test run
 * a 24 h pressure hold in seconds, deterministically.
 */
export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the Unix epoch, in rig time. */
  now(): number;
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  setInterval(fn: () => void, periodMs: number): TimerHandle;
  clearTimer(handle: TimerHandle | undefined): void;
  /** Resolves after `delayMs` of this clock's time. */
  sleep(delayMs: number): Promise<void>;
}

export class RealClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        fn();
      }, delayMs),
    );
    return { id };
  }

  setInterval(fn: () => void, periodMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, setInterval(fn, periodMs));
    return { id };
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t) clearTimeout(t); // clearTimeout also clears intervals in Node
    this.timers.delete(handle.id);
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }
}

type VirtualTimer = { id: number; dueMs: number; periodMs: number | null; fn: () => void; order: number };

/** A clock that moves only when told to. Timers fire in due order; ties fire in the order they were set. */
export class VirtualClock implements Clock {
  private nowMs: number;
  private nextId = 1;
  private nextOrder = 0;
  private readonly timers = new Map<number, VirtualTimer>();
  /**
   * What `tick` waits for after each timer. By default pending promise callbacks and due I/O callbacks;
   * a test with real I/O behind the rig (a serial line to a virtual board) waits for the line to go quiet.
   */
  settle: () => Promise<void> = settleImmediate;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return this.add(fn, delayMs, null);
  }

  setInterval(fn: () => void, periodMs: number): TimerHandle {
    // A zero period would never let time advance.
    return this.add(fn, periodMs, Math.max(1, periodMs));
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete(handle.id);
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers synchronously. Use for purely synchronous code. */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (let t = this.nextDue(target); t; t = this.nextDue(target)) this.fire(t);
    this.nowMs = target;
  }

  /**
   * Moves time forward by `ms`, letting promise chains settle after each timer, so code that awaits
   * `sleep()` or an I/O callback behaves as it would on the real clock.
   */
  async tick(ms: number): Promise<void> {
    const target = this.nowMs + ms;
    await this.settle();
    for (let t = this.nextDue(target); t; t = this.nextDue(target)) {
      this.fire(t);
      await this.settle();
    }
    this.nowMs = target;
  }

  private add(fn: () => void, delayMs: number, periodMs: number | null): TimerHandle {
    const id = this.nextId++;
    const dueMs = this.nowMs + Math.max(0, delayMs);
    this.timers.set(id, { id, dueMs, periodMs, fn, order: this.nextOrder++ });
    return { id };
  }

  private nextDue(limitMs: number): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.dueMs > limitMs) continue;
      if (!best || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.order < best.order)) best = t;
    }
    return best;
  }

  private fire(t: VirtualTimer): void {
    this.nowMs = Math.max(this.nowMs, t.dueMs);
    if (t.periodMs === null) this.timers.delete(t.id);
    else {
      t.dueMs += t.periodMs;
      t.order = this.nextOrder++;
    }
    t.fn();
  }
}

/** Lets pending promise callbacks and already-due I/O callbacks run. */
export function settleImmediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A virtual clock that a base clock drives `scale` times faster: every `stepMs` of base time it moves
 * on to `scale` times the base time elapsed since it started, firing its own timers in order at their
 * exact times (as `tick` does). A simulated oven and its controller run a 9 h profile in minutes on it,
 * with every control period and heater window where it belongs however late the base's timers fire;
 * never used for real hardware. After a long stall it catches up at most `maxCatchUpMs` of base time at
 * once, so a busy process falls behind the scale rather than behind its other work.
 */
export class SteppedClock extends VirtualClock {
  /** This clock's time at base time `anchorBaseMs`: where the scale counts from. */
  private anchorMs: number;
  private anchorBaseMs: number;
  private readonly stepper: TimerHandle;
  private stepping: Promise<void> | undefined;

  constructor(
    private readonly base: Clock,
    readonly scale: number,
    startMs = base.now(),
    stepMs = 100,
    private readonly maxCatchUpMs = 2000,
  ) {
    super(startMs);
    if (!(scale >= 1) || !Number.isFinite(scale)) throw new Error(`time scale must be >= 1, got ${scale}`);
    this.anchorMs = startMs;
    this.anchorBaseMs = base.now();
    this.stepper = base.setInterval(() => void this.step(), stepMs);
  }

  /** Moves to where the scale says this clock should be; while a step runs, that step is the answer. */
  step(): Promise<void> {
    this.stepping ??= this.move().finally(() => {
      this.stepping = undefined;
    });
    return this.stepping;
  }

  private async move(): Promise<void> {
    const baseNow = this.base.now();
    let lag = this.anchorMs + (baseNow - this.anchorBaseMs) * this.scale - this.now();
    const cap = this.maxCatchUpMs * this.scale;
    if (lag > cap) {
      // Too far behind after a stall: catch up this much, and count the scale from here on.
      lag = cap;
      this.anchorMs = this.now() + cap;
      this.anchorBaseMs = baseNow;
    }
    if (lag > 0) await this.tick(lag);
  }

  /** Stops following the base clock (the node that owns it closed). */
  stop(): void {
    this.base.clearTimer(this.stepper);
  }
}
