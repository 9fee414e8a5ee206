/**
 * Between the cell-health output and the alert state: a health payload becomes one condition per alert
 * kind (absent = not active), and a channel's alert states become the flat record published, retained,
 * on cellrig/v1/<rig>/<channel>/alert (level 0 clear, 1 warning, 2 critical, as the dashboards read it).
 */
import { z } from 'zod';
import type { AlertCondition, AlertState } from './alert-state';
import type { AlertKind } from './assess';

export const ALERT_KINDS: readonly AlertKind[] = ['soft-short', 'resistance-growth', 'capacity-fade'];

export const healthPayloadSchema = z.object({
  channel: z.string().regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, _ and -'),
  cycle: z.number().int().min(0),
  alerts: z.array(
    z.object({
      kind: z.enum(['soft-short', 'resistance-growth', 'capacity-fade']),
      severity: z.enum(['info', 'warning', 'critical']),
      cycle: z.number(),
      active: z.boolean(),
      evidence: z.unknown().optional(),
    }),
  ),
});
export type HealthPayload = z.infer<typeof healthPayloadSchema>;

export function conditionsFromHealth(p: HealthPayload): AlertCondition[] {
  return ALERT_KINDS.map((kind) => {
    const a = p.alerts.find((x) => x.kind === kind);
    if (!a)
      return {
        channel: p.channel,
        kind,
        active: false,
        severity: 'info',
        // Published only when an alert of this kind has just cleared: say so in a sentence.
        message: `${p.channel}: ${kind.replace('-', ' ')} no longer seen (cycle ${p.cycle})`,
      };
    return {
      channel: p.channel,
      kind,
      active: a.active,
      severity: a.severity,
      message: describeAlert(p.channel, kind, a.cycle, a.evidence),
      cycle: a.cycle,
      evidence: a.evidence,
    };
  });
}

export function describeAlert(channel: string, kind: string, cycle: number, evidence: unknown): string {
  const e = evidence as { signals?: { name: string; present: boolean }[]; reason?: string } | undefined;
  const why = e?.signals
    ? e.signals
        .filter((s) => s.present)
        .map((s) => s.name)
        .join(', ')
    : (e?.reason ?? '');
  return `${channel}: ${kind.replace('-', ' ')} from cycle ${cycle}${why ? ` (${why})` : ''}`;
}

const levelOf = (s: AlertState) =>
  s.state === 'normal' ? 0 : s.severity === 'critical' ? 2 : s.severity === 'warning' ? 1 : 0;
const fieldName = (kind: string) => kind.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The channel's alert record: the highest level over its kinds; kind, state, message and cycle of the
 * most severe raised alert (of the one that just changed when none is raised); and every kind's state.
 */
export function channelAlertFields(
  states: readonly AlertState[],
  changed: AlertState,
): Record<string, string | number> {
  const raised = states
    .filter((s) => levelOf(s) > 0)
    .sort((a, b) => levelOf(b) - levelOf(a) || b.changedMs - a.changedMs);
  const head = raised[0] ?? changed;
  const fields: Record<string, string | number> = {
    level: levelOf(head),
    kind: head.kind,
    state: head.state,
    severity: head.severity,
    message: head.message.slice(0, 1000),
  };
  if (head.cycle !== null) fields.cycle = head.cycle;
  for (const s of states) fields[fieldName(s.kind)] = s.state;
  return fields;
}
