/**
 * Points as the panel's charts (FlowFuse Dashboard ui-chart, series from each point's `series` key)
 * take them: x is a time in ms since the epoch on a time axis, or a number on a linear or log axis.
 */
export type ChartPoint = { readonly series: string; readonly x: number; readonly y: number };

/** At most `max` of `points`, evenly spaced, the first and the last kept (for a curve, not for peaks). */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * step)]!);
  return out;
}

export const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
