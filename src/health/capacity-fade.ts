/**
 * Capacity-fade detector.
 *
 * Criterion:
 *  - Retention is discharge capacity against the reference cycle (cycle 1 by default).
 *  - Alarm when retention is under 80 % on 2 cycles in a row (one low cycle can be a glitch).
 *  - Knee: the fade rate over the last 10 cycles (least-squares slope) is more than 2x the early rate
 *    (cycles 6-25, after formation) and faster than 0.1 % per cycle; the knee onset is the first cycle
 *    at which that held. A knee is reported as evidence and raises a warning, not the alarm.
 */
import type { RetentionPoint } from '../cycling/retention';
import { fitLine, round } from './stats';

export type CapacityFadeResult = {
  readonly alarm: boolean;
  readonly alarmCycle: number | null;
  readonly kneeCycle: number | null;
  readonly evidence: {
    readonly latestCycle: number | null;
    readonly latestRetention: number | null;
    readonly threshold: number;
    readonly consecutiveRequired: number;
    readonly earlyFadePerCycle: number | null;
    readonly recentFadePerCycle: number | null;
    readonly kneeRatio: number;
    readonly reason: string;
  };
  readonly warnings: readonly string[];
};

export const FADE_CRITERIA = {
  threshold: 0.8,
  consecutive: 2,
  earlyFrom: 6,
  earlyTo: 25,
  recentWindow: 10,
  kneeRatio: 2,
  kneeMinFadePerCycle: 0.001,
} as const;

export function detectCapacityFade(points: readonly RetentionPoint[], c = FADE_CRITERIA): CapacityFadeResult {
  const warnings: string[] = [];
  const series = [...points]
    .filter((p) => {
      const ok = Number.isFinite(p.retention) && p.retention >= 0;
      if (!ok) warnings.push(`cycle ${p.cycle}: retention ${p.retention} is not usable; left out`);
      return ok;
    })
    .sort((a, b) => a.cycle - b.cycle);
  let below = 0;
  let alarmCycle: number | null = null;
  let alarmNow = false;
  for (const p of series) {
    below = p.retention < c.threshold ? below + 1 : 0;
    alarmNow = below >= c.consecutive;
    if (alarmNow) alarmCycle ??= p.cycle;
  }
  const fade = (pts: readonly RetentionPoint[]) =>
    pts.length >= 3
      ? -fitLine(
          pts.map((p) => p.cycle),
          pts.map((p) => p.retention),
        ).slope
      : null;
  const early = series.filter((p) => p.cycle >= c.earlyFrom && p.cycle <= c.earlyTo);
  const earlyFade = early.length >= (c.earlyTo - c.earlyFrom + 1) / 2 ? fade(early) : null;
  let kneeCycle: number | null = null;
  let recentFade: number | null = null;
  if (earlyFade !== null) {
    const later = series.filter((p) => p.cycle > c.earlyTo);
    for (let end = c.recentWindow; end <= later.length; end++) {
      recentFade = fade(later.slice(end - c.recentWindow, end));
      const knee =
        recentFade !== null &&
        recentFade > c.kneeMinFadePerCycle &&
        recentFade > c.kneeRatio * Math.max(earlyFade, 0);
      if (knee && kneeCycle === null) kneeCycle = later[end - c.recentWindow]!.cycle;
    }
  }
  const latest = series[series.length - 1];
  const pct = (x: number) => `${round(x * 100, 3)} %`;
  const reason = !latest
    ? 'no retention data'
    : alarmNow
      ? `retention ${pct(latest.retention)} at cycle ${latest.cycle}, under ${pct(c.threshold)} for ${below} cycles`
      : `retention ${pct(latest.retention)} at cycle ${latest.cycle} (threshold ${pct(c.threshold)})`;
  return {
    alarm: alarmNow,
    alarmCycle,
    kneeCycle,
    evidence: {
      latestCycle: latest?.cycle ?? null,
      latestRetention: latest ? round(latest.retention) : null,
      threshold: c.threshold,
      consecutiveRequired: c.consecutive,
      earlyFadePerCycle: earlyFade === null ? null : round(earlyFade),
      recentFadePerCycle: recentFade === null ? null : round(recentFade),
      kneeRatio: c.kneeRatio,
      reason: kneeCycle === null ? reason : `${reason}; fade accelerates from cycle ${kneeCycle}`,
    },
    warnings,
  };
}
