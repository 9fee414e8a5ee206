/**
 * The panel's profile editor: the ready profiles to start from, and a draft checked by the oven's own
 * node (the same checks as a start) with its planned setpoint for a preview chart (hours on a linear
 * axis). A ready profile's id stands for its segments, so the table can show them.
 */
import type { TemperatureProfile } from '../control/profile';
import type { ProfileCheck } from '../control/profile-check';
import type { PlannedSegment } from '../control/profile-plan';
import { READY_PROFILES } from '../control/ready-profiles';
import type { ChartPoint } from './chart';

export type ReadyEntry = { id: string } & TemperatureProfile;

export type ProfileEditorReadout = {
  ready: ReadyEntry[];
  /** The draft as the table shows it (a ready id replaced by its profile). */
  draft: unknown;
  ok: boolean;
  problems: string[];
  totalS?: number;
  segments?: readonly PlannedSegment[];
};

export const READY_LIST: ReadyEntry[] = Object.entries(READY_PROFILES).map(([id, p]) => ({ id, ...p }));

export function profileEditorView(
  draft: unknown,
  check: (profile: unknown) => ProfileCheck,
): { points: ChartPoint[]; readout: ProfileEditorReadout } {
  const shown =
    typeof draft === 'string' && READY_PROFILES[draft] ? structuredClone(READY_PROFILES[draft]) : draft;
  const c = check(draft);
  if (!c.ok)
    return { points: [], readout: { ready: READY_LIST, draft: shown, ok: false, problems: c.problems } };
  return {
    points: c.plan.points.map((p) => ({ series: 'plan', x: p.tS / 3600, y: p.tempC })),
    readout: {
      ready: READY_LIST,
      draft: shown,
      ok: true,
      problems: [],
      totalS: c.plan.totalS,
      segments: c.plan.segments,
    },
  };
}
