/**
 * Alert state per channel and kind, so a researcher is told once, early, and not woken again for the
 * same thing: hysteresis (a condition must hold `raiseAfter` evaluations in a row to raise and be gone
 * `clearAfter` in a row to clear), latching (a raised alert stays until acknowledged, even when its
 * condition goes away), de-duplication (an unchanged condition notifies once; a higher severity
 * notifies again) and a per-channel rate limit on notifications (state changes are never dropped).
 *
 * States: normal -> active (raised, unacknowledged) -> acknowledged (condition still there) -> normal,
 * or active -> latched (condition gone, not yet acknowledged) -> normal on acknowledgement.
 */
import { z } from 'zod';
import type { Severity } from './assess';

export const severityRank: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export const alertRuleSchema = z.object({
  raiseAfter: z.coerce.number().int().min(1).max(100).default(1),
  clearAfter: z.coerce.number().int().min(1).max(100).default(2),
  rateLimitCount: z.coerce.number().int().min(1).max(1000).default(3),
  rateLimitWindowMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600_000)
    .default(3600_000),
});
export type AlertRule = z.infer<typeof alertRuleSchema>;

export type AlertCondition = {
  readonly channel: string;
  readonly kind: string;
  readonly active: boolean;
  readonly severity: Severity;
  readonly message: string;
  readonly cycle?: number;
  readonly evidence?: unknown;
};

export const alertStateSchema = z.object({
  channel: z.string(),
  kind: z.string(),
  state: z.enum(['normal', 'active', 'acknowledged', 'latched']),
  severity: z.enum(['info', 'warning', 'critical']),
  message: z.string(),
  cycle: z.number().nullable(),
  sinceMs: z.number(),
  changedMs: z.number(),
  activeRun: z.number().int(),
  inactiveRun: z.number().int(),
  notifiedSeverity: z.enum(['info', 'warning', 'critical']).nullable(),
  evidence: z.unknown().optional(),
});
export type AlertState = z.infer<typeof alertStateSchema>;

export type AlertNotification = {
  readonly channel: string;
  readonly kind: string;
  readonly severity: Severity;
  readonly state: AlertState['state'];
  readonly message: string;
  readonly cycle: number | null;
  readonly ts: number;
  readonly evidence?: unknown;
  /** Notifications held back by the rate limit on this channel since the last one sent. */
  readonly suppressedBefore: number;
};

export type AlertUpdate = {
  readonly state: AlertState;
  /** The state changed (publish it, retained). */
  readonly changed: boolean;
  readonly notification: AlertNotification | null;
  /** A notification was due but the rate limit held it back. */
  readonly rateLimited: boolean;
};

export class AlertBook {
  private readonly states = new Map<string, AlertState>();
  private readonly sent = new Map<string, number[]>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly rule: AlertRule,
    restored: readonly AlertState[] = [],
  ) {
    for (const s of restored) this.states.set(key(s.channel, s.kind), s);
  }

  snapshot(): AlertState[] {
    return [...this.states.values()];
  }

  get(channel: string, kind: string): AlertState | undefined {
    return this.states.get(key(channel, kind));
  }

  update(c: AlertCondition, nowMs: number): AlertUpdate {
    const prev = this.states.get(key(c.channel, c.kind)) ?? fresh(c, nowMs);
    const s: AlertState = {
      ...prev,
      activeRun: c.active ? prev.activeRun + 1 : 0,
      inactiveRun: c.active ? 0 : prev.inactiveRun + 1,
    };
    let notify = false;
    if (c.active) {
      Object.assign(s, { message: c.message, evidence: c.evidence, cycle: c.cycle ?? s.cycle });
      const raised = s.state !== 'normal';
      const escalated = raised && severityRank[c.severity] > severityRank[s.severity];
      if (!raised && s.activeRun >= this.rule.raiseAfter) {
        Object.assign(s, { state: 'active', severity: c.severity, sinceMs: nowMs, notifiedSeverity: null });
        notify = true;
      } else if (escalated) {
        Object.assign(s, { state: 'active', severity: c.severity });
        notify = true;
      } else if (s.state === 'latched') s.state = 'active';
    } else if (s.inactiveRun >= this.rule.clearAfter) {
      if (s.state === 'active') s.state = 'latched';
      else if (s.state === 'acknowledged') s.state = 'normal';
    }
    // De-duplication: a severity already notified for this raise is not sent again.
    if (
      notify &&
      s.notifiedSeverity !== null &&
      severityRank[s.notifiedSeverity] >= severityRank[s.severity]
    ) {
      notify = false;
    }
    const changed =
      s.state !== prev.state || s.severity !== prev.severity || !this.states.has(key(c.channel, c.kind));
    if (changed) s.changedMs = nowMs;
    let notification: AlertNotification | null = null;
    let rateLimited = false;
    if (notify) {
      if (this.allow(c.channel, nowMs)) {
        notification = {
          channel: s.channel,
          kind: s.kind,
          severity: s.severity,
          state: s.state,
          message: s.message,
          cycle: s.cycle,
          ts: nowMs,
          evidence: s.evidence,
          suppressedBefore: this.suppressed.get(c.channel) ?? 0,
        };
        this.suppressed.set(c.channel, 0);
        s.notifiedSeverity = s.severity;
      } else {
        rateLimited = true;
        this.suppressed.set(c.channel, (this.suppressed.get(c.channel) ?? 0) + 1);
      }
    }
    this.states.set(key(c.channel, c.kind), s);
    return { state: s, changed, notification, rateLimited };
  }

  /** Acknowledges one kind on a channel, or all kinds when `kind` is omitted; returns the states changed. */
  acknowledge(channel: string, kind: string | undefined, nowMs: number): AlertState[] {
    const changed: AlertState[] = [];
    for (const s of this.states.values()) {
      if (s.channel !== channel || (kind !== undefined && s.kind !== kind)) continue;
      const next = s.state === 'active' ? 'acknowledged' : s.state === 'latched' ? 'normal' : null;
      if (next === null) continue;
      s.state = next;
      s.changedMs = nowMs;
      if (next === 'normal') s.notifiedSeverity = null;
      changed.push(s);
    }
    return changed;
  }

  private allow(channel: string, nowMs: number): boolean {
    const times = (this.sent.get(channel) ?? []).filter((t) => nowMs - t < this.rule.rateLimitWindowMs);
    const ok = times.length < this.rule.rateLimitCount;
    if (ok) times.push(nowMs);
    this.sent.set(channel, times);
    return ok;
  }
}

function key(channel: string, kind: string): string {
  return `${channel}\u0000${kind}`;
}

function fresh(c: AlertCondition, nowMs: number): AlertState {
  return {
    channel: c.channel,
    kind: c.kind,
    state: 'normal',
    severity: c.severity,
    message: c.message,
    cycle: c.cycle ?? null,
    sinceMs: nowMs,
    changedMs: nowMs,
    activeRun: 0,
    inactiveRun: 0,
    notifiedSeverity: null,
  };
}
