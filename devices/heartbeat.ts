/**
 * The rig's heartbeat to a watchdog outside the process: a digital output that changes level every
 * `halfPeriodMs` while every control loop is healthy (their period monitors, src/control/loop-monitor.ts),
 * and stays low otherwise. A retriggerable watchdog timer or relay in series with the heater SSR and the
 * press pumps (docs/safety.md) opens when the edges stop: a loop that missed its period, a blocked event
 * loop, a crashed or killed process, a board that lost its host. The same healthy beat is the moment to
 * tell systemd's watchdog (`onBeat`).
 */
import type { Clock, TimerHandle } from '../src/clock';
import type { DigitalIo } from './digital-out';

export type HeartbeatOptions = {
  pin: number;
  /** Time between edges, ms: well under the watchdog's timeout (4 edges per second for a 1 s timeout). */
  halfPeriodMs?: number;
  /** Whether every control loop is healthy now. */
  healthy: () => boolean;
  /** Called on each healthy edge. */
  onBeat?: () => void;
};

export class Heartbeat {
  private level = 0;
  private timer: TimerHandle | undefined;
  private edgeCount = 0;

  constructor(
    private readonly io: DigitalIo,
    private readonly clock: Clock,
    private readonly options: HeartbeatOptions,
  ) {
    io.pinMode(options.pin, io.MODES.OUTPUT);
    io.digitalWrite(options.pin, 0);
  }

  start(): void {
    this.stop();
    this.timer = this.clock.setInterval(() => this.tick(), this.options.halfPeriodMs ?? 250);
  }

  /** No more edges, pin low: the watchdog opens within its timeout. */
  stop(): void {
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.set(0);
  }

  get edges(): number {
    return this.edgeCount;
  }

  private tick(): void {
    if (!this.options.healthy()) {
      this.set(0);
      return;
    }
    this.set(this.level ? 0 : 1);
    this.edgeCount++;
    this.options.onBeat?.();
  }

  private set(level: number): void {
    if (level === this.level) return;
    this.level = level;
    this.io.digitalWrite(this.options.pin, level);
  }
}
