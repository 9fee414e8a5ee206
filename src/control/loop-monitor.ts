/**
 * A control loop watching its own period on the clock. The loop calls `beat()` each time it completes a
 * period; the monitor measures the time between beats, and a timer of its own (every half period) notices a
 * beat that does not come at all (a sample stuck on a reply that never arrives). A period missed by more than
 * the margin calls `onOverrun` once, at once, and the monitor stays unhealthy (latched) until `reset()`:
 * the caller puts its outputs in the safe state and raises the alarm. After an event loop that was blocked,
 * whichever runs first (the timer or the late beat) reports it.
 *
 * `LoopHealth` gathers a process's monitors, so a heartbeat (to a hardware watchdog, to systemd) can go out
 * only while every loop is healthy and has beaten within its period and margin.
 */
import type { Clock, TimerHandle } from '../clock';

export type LoopOverrun = {
  loop: string;
  periodMs: number;
  marginMs: number;
  /** Time since the last completed period when it was noticed, ms. */
  gapMs: number;
  atMs: number;
  message: string;
};

export type LoopMonitorOptions = {
  /** Name for the alarm, e.g. 'stack-pressure ch1'. */
  loop: string;
  periodMs: number;
  /** How late a period may be before the loop counts as overrun, ms. */
  marginMs: number;
};

export class LoopPeriodMonitor {
  private lastBeatMs: number;
  private timer: TimerHandle | undefined;
  private overrun: LoopOverrun | undefined;
  private beats = 0;
  private worstGapMs = 0;

  constructor(
    private readonly clock: Clock,
    readonly options: LoopMonitorOptions,
    private readonly onOverrun: (o: LoopOverrun) => void,
  ) {
    this.lastBeatMs = clock.now();
  }

  /** Starts watching; the first period is counted from now. */
  start(): void {
    this.stop();
    this.lastBeatMs = this.clock.now();
    this.timer = this.clock.setInterval(() => this.check(), Math.max(1, this.options.periodMs / 2));
  }

  stop(): void {
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** The loop completed a period. */
  beat(): void {
    const now = this.clock.now();
    this.check(now);
    this.beats++;
    this.worstGapMs = Math.max(this.worstGapMs, now - this.lastBeatMs);
    this.lastBeatMs = now;
  }

  /** Healthy again after the operator's reset; the next period is counted from now. */
  reset(): void {
    this.overrun = undefined;
    this.lastBeatMs = this.clock.now();
  }

  /** Not overrun, and the last period completed within the period and margin. */
  get healthy(): boolean {
    return !this.overrun && this.clock.now() - this.lastBeatMs <= this.limitMs;
  }

  get lastOverrun(): LoopOverrun | undefined {
    return this.overrun;
  }

  get stats(): { beats: number; worstGapMs: number } {
    return { beats: this.beats, worstGapMs: this.worstGapMs };
  }

  private get limitMs(): number {
    return this.options.periodMs + this.options.marginMs;
  }

  private check(now = this.clock.now()): void {
    const gapMs = now - this.lastBeatMs;
    if (this.overrun || gapMs <= this.limitMs) return;
    const { loop, periodMs, marginMs } = this.options;
    this.overrun = {
      loop,
      periodMs,
      marginMs,
      gapMs,
      atMs: now,
      message: `${loop}: control period missed, ${(gapMs / 1000).toFixed(2)} s since the last one (period ${periodMs / 1000} s, margin ${marginMs / 1000} s)`,
    };
    this.onOverrun(this.overrun);
  }
}

/** Every control loop of a process, for the heartbeat. */
export class LoopHealth {
  private readonly monitors = new Set<LoopPeriodMonitor>();

  add(m: LoopPeriodMonitor): () => void {
    this.monitors.add(m);
    return () => this.monitors.delete(m);
  }

  get size(): number {
    return this.monitors.size;
  }

  /** True while every loop is healthy (vacuously true with none). */
  get healthy(): boolean {
    for (const m of this.monitors) if (!m.healthy) return false;
    return true;
  }

  /** The loops that are not healthy, by name. */
  get unhealthy(): string[] {
    return [...this.monitors].filter((m) => !m.healthy).map((m) => m.options.loop);
  }
}
