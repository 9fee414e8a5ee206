/**
 * The panel's list of raised alerts, kept from the alert node's state messages: one row per channel and
 * kind that is not normal, those still needing someone (active, latched) first, critical before warning,
 * newest first.
 */
import { z } from 'zod';
import { alertStateSchema } from '../health/alert-state';

/** What the alert node publishes of an alert's state (src/health/alert-state.ts), named by channel and kind. */
const stateSchema = alertStateSchema
  .pick({ state: true, severity: true, message: true, cycle: true, sinceMs: true, changedMs: true })
  .extend({ channel: z.string().min(1), kind: z.string().min(1) });
export type AlertRow = z.infer<typeof stateSchema> & { key: string; needsAck: boolean };

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

export class AlertList {
  private readonly rows = new Map<string, AlertRow>();

  /** The list after this state message; null when the message is not an alert state. */
  accept(payload: unknown): AlertRow[] | null {
    const s = stateSchema.safeParse(payload);
    if (!s.success) return null;
    const key = `${s.data.channel}/${s.data.kind}`;
    if (s.data.state === 'normal') this.rows.delete(key);
    else
      this.rows.set(key, {
        ...s.data,
        key,
        needsAck: s.data.state === 'active' || s.data.state === 'latched',
      });
    return this.list();
  }

  list(): AlertRow[] {
    return [...this.rows.values()].sort(
      (a, b) =>
        Number(b.needsAck) - Number(a.needsAck) ||
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
        b.changedMs - a.changedMs,
    );
  }
}
