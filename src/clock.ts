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
 * A clock that runs `scale` times faster than `base`, from `startMs` (base's now by default): timers
 * fire after 1/scale of their delay in base time. It lets a simulated oven run a 9 h profile in minutes
 * while the rest of the rig keeps real time; never for real hardware.
 */
export class ScaledClock implements Clock {
  private readonly baseStartMs: number;

  constructor(
    private readonly base: Clock,
    readonly scale: number,
    private readonly startMs = base.now(),
  ) {
    if (!(scale >= 1) || !Number.isFinite(scale)) throw new Error(`time scale must be >= 1, got ${scale}`);
    this.baseStartMs = base.now();
  }

  now(): number {
    return this.startMs + (this.base.now() - this.baseStartMs) * this.scale;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return this.base.setTimeout(fn, delayMs / this.scale);
  }

  setInterval(fn: () => void, periodMs: number): TimerHandle {
    return this.base.setInterval(fn, periodMs / this.scale);
  }

  clearTimer(handle: TimerHandle | undefined): void {
    this.base.clearTimer(handle);
  }

  sleep(delayMs: number): Promise<void> {
    return this.base.sleep(delayMs / this.scale);
  }
}
