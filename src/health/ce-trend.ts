/**
 * Coulombic-efficiency trend detector for mild persistent shorts: a leak that takes 1-2 % of each
 * cycle's charge moves no voltage by much, but it lowers the coulombic efficiency for good. A one-sided
 * CUSUM (Page) on the drop of CE below a baseline catches a persistent drop quickly and ignores scatter:
 *
 *     S(n) = max(0, S(n-1) + (baseline - CE(n)) - k),   alarm while S(n) > h,
 *
 * with k (slack) = 1 sigma and h (threshold) = 5 sigma, sigma being this cell's own CE scatter (robust:
 * 1.4826 MAD of the first differences of its clean cycles / sqrt 2, or of their last 20 values about
 * their median when that is larger: slow wander), never under 0.07 %.
 * Until 5 clean cycles give a scatter, a prior of 0.3 % stands in. The baseline is the median CE of the
 * last 10 clean cycles after the 2 formation cycles: a cycle is clean when S stayed under h/2 and no
 * other soft-short sign was present, so suspect and flagged cycles never enter it and the baseline
 * cannot follow a short down. After formation (cycle 8 on), a clean baseline under 98.5 % while the
 * median of the last 3 cycles is under it too is a persistent deficit (a short from the first cycles has
 * no healthy baseline to drop from; a slow formation still climbs past the floor).
 */
import { median, robustScale, round } from './stats';

export const CE_CRITERIA = {
  formationCycles: 2,
  baselineCycles: 10,
  minBaselineCycles: 3,
  scatterCycles: 5,
  priorSigma: 0.003,
  minSigma: 0.0007,
  slackSigmas: 1,
  thresholdSigmas: 5,
  steadyFrom: 8,
  steadyFloor: 0.985,
  steadyCycles: 3,
} as const;

export type CeStep = {
  readonly cycle: number;
  readonly ce: number;
  readonly baseline: number | null;
  readonly sigma: number;
  readonly slack: number;
  readonly threshold: number;
  readonly cusum: number;
  /** The CUSUM is over its threshold, or the clean baseline is under the steady floor. */
  readonly alarm: boolean;
  readonly deficit: boolean;
  readonly clean: boolean;
  readonly baselineCycles: readonly number[];
};

/** Fed one cycle at a time, in order; each step uses only what came before it. */
export class CeTrend {
  private readonly clean: { cycle: number; ce: number }[] = [];
  private readonly recent: number[] = [];
  private s = 0;

  constructor(private readonly c = CE_CRITERIA) {}

  /** Cycles that may serve as a baseline for other signs too: the last clean ones. */
  cleanCycles(): readonly number[] {
    return this.clean.map((x) => x.cycle);
  }

  /** `otherSign`: another soft-short sign was present in this cycle (it then never enters the baseline). */
  step(cycle: number, ce: number, otherSign: boolean): CeStep {
    const c = this.c;
    const pool = this.clean.slice(-c.baselineCycles);
    const baseline = pool.length >= c.minBaselineCycles ? median(pool.map((p) => p.ce)) : null;
    const sigma = scatter(this.clean, c);
    const slack = c.slackSigmas * sigma;
    const threshold = c.thresholdSigmas * sigma;
    if (baseline !== null) this.s = Math.max(0, this.s + (baseline - ce) - slack);
    this.recent.push(ce);
    if (this.recent.length > c.steadyCycles) this.recent.shift();
    // A deficit: formation is over and neither the clean baseline nor the last cycles reach the floor.
    const deficit =
      baseline !== null &&
      cycle >= c.steadyFrom &&
      baseline < c.steadyFloor &&
      median(this.recent) < c.steadyFloor;
    const alarm = this.s > threshold || deficit;
    const clean = cycle > c.formationCycles && this.s <= threshold / 2 && !otherSign && !alarm;
    if (clean) this.clean.push({ cycle, ce });
    return {
      cycle,
      ce,
      baseline,
      sigma,
      slack,
      threshold,
      cusum: this.s,
      alarm,
      deficit,
      clean,
      baselineCycles: pool.map((p) => p.cycle),
    };
  }
}

/**
 * The CE's scatter from cycle to cycle (first differences: blind to a slow trend) or about its level
 * (blind to nothing, but catches slow wander that differences miss), whichever is larger.
 */
function scatter(clean: readonly { cycle: number; ce: number }[], c: typeof CE_CRITERIA): number {
  if (clean.length < c.scatterCycles + 1) return c.priorSigma;
  const recent = clean.slice(-40);
  const diffs: number[] = [];
  for (let i = 1; i < recent.length; i++) diffs.push(recent[i]!.ce - recent[i - 1]!.ce);
  const level = robustScale(recent.slice(-20).map((x) => x.ce));
  return Math.max(c.minSigma, robustScale(diffs) / Math.SQRT2, level);
}

/** Words for the evidence: CE against its baseline, the CUSUM against its threshold, all in %. */
export function describeCeStep(st: CeStep): string {
  const pct = (x: number) => `${round(x * 100, 3)} %`;
  if (st.baseline === null) return `coulombic efficiency ${pct(st.ce)}; no baseline yet`;
  const head = `coulombic efficiency ${pct(st.ce)} vs baseline ${pct(st.baseline)} (cycles ${st.baselineCycles[0]}-${st.baselineCycles[st.baselineCycles.length - 1]})`;
  const tail = `CUSUM ${pct(st.cusum)} vs threshold ${pct(st.threshold)} (5 x the cell's CE scatter ${pct(st.sigma)}, slack ${pct(st.slack)})`;
  return st.deficit
    ? `${head}: the baseline itself is under ${pct(CE_CRITERIA.steadyFloor)} since formation; ${tail}`
    : `${head}; ${tail}`;
}
