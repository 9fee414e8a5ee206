/**
 * When an oven sample goes out and when the run's progress is saved. A sped-up simulated oven steps many
 * times a second, but its telemetry and status still go out once per control period of the rig's clock
 * (and at every event). Progress is saved at every event and every 10 s of an active run: after a power
 * loss at most 10 s of soak is done again (the safe side), and an SD card is not written every second
 * for days.
 */
export const SAVE_EVERY_MS = 10_000;

export class OvenReportCadence {
  private lastReportMs = Number.NEGATIVE_INFINITY;
  private lastSaveMs = 0;

  constructor(
    private readonly periodMs: number,
    private readonly timeScale: number,
  ) {}

  /** Whether this sample's telemetry and status go out (`wallMs` on the rig's clock). */
  report(wallMs: number, events: number): boolean {
    if (this.timeScale !== 1 && events === 0 && wallMs - this.lastReportMs < this.periodMs) return false;
    this.lastReportMs = wallMs;
    return true;
  }

  /** Whether the run's progress is saved now. */
  save(wallMs: number, events: number, active: boolean): boolean {
    if (events === 0 && !(active && wallMs - this.lastSaveMs >= SAVE_EVERY_MS)) return false;
    this.lastSaveMs = wallMs;
    return true;
  }
}
