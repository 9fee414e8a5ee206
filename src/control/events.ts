/**
 * What controllers tell the outside world besides their outputs. Alarms are latched per code, so a fault
 * that persists for hours still produces exactly one alarm event, and telemetry can count them.
 */
export type ControlEvent = {
  /** `alarm` needs a person; `event` is a record (segment change, excursion, phase change). */
  kind: 'alarm' | 'event';
  code: string;
  timeS: number;
  message: string;
  data?: Record<string, number | string | boolean | null>;
};

/** Remembers which alarms are active so each is raised once until it is cleared. */
export class AlarmLatch {
  private readonly active = new Set<string>();

  /** Pushes an alarm event unless the same code is already active; returns whether it did. */
  raise(
    events: ControlEvent[],
    code: string,
    timeS: number,
    message: string,
    data?: ControlEvent['data'],
  ): boolean {
    if (this.active.has(code)) return false;
    this.active.add(code);
    events.push({ kind: 'alarm', code, timeS, message, ...(data ? { data } : {}) });
    return true;
  }

  isActive(code: string): boolean {
    return this.active.has(code);
  }

  clear(code: string): void {
    this.active.delete(code);
  }

  clearAll(): void {
    this.active.clear();
  }

  get codes(): string[] {
    return [...this.active];
  }
}

/** A control event as a flat telemetry sample (the `events` stream): only numbers, booleans and strings. */
export function eventFields(e: ControlEvent): Record<string, number | boolean | string> {
  const fields: Record<string, number | boolean | string> = {
    kind: e.kind,
    code: e.code,
    message: e.message,
    timeS: e.timeS,
  };
  for (const [k, v] of Object.entries(e.data ?? {})) {
    if (v === null || !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(k) || k in fields) continue;
    fields[k] = v;
  }
  return fields;
}
