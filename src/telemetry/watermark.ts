/**
 * The highest sequence number below which every seq of a series is settled (written to InfluxDB,
 * dead-lettered, or passed as lost): the writer's durable acknowledgement. It only moves forward.
 * Seqs may arrive out of order (a replay fills a hole after later samples got through), so the ones
 * above the mark wait, as ranges: memory grows with the number of holes, not of seqs, and the holes
 * are capped. A hole is passed, never held: when there are too many, or when the writer decides it has
 * waited long enough (passHole). A passed hole is recorded as a gap; the few newest gaps are kept, so a
 * late sample can still fill one and a publisher that still has it can be told to send it again.
 */

export type SeqRange = [from: number, to: number];
export type WatermarkState = { mark: number; above: SeqRange[]; gaps: SeqRange[] };

/** Holes above the mark at most: past this the lowest is passed as a gap. */
export const MAX_HOLES = 64;
/** Gaps remembered per series (newest kept). */
export const MAX_GAPS = 8;

export type AddResult = 'new' | 'duplicate' | 'late';

export class ContiguousWatermark {
  private current: number;
  /** Disjoint, non-adjacent ranges of settled seqs above mark + 1, ascending. */
  private above: SeqRange[];
  private gapList: SeqRange[];
  /** Gaps passed over the life of this object (a count for alarms and stats). */
  passedGaps = 0;

  /** `mark` = -1: nothing settled yet; series start at seq 0. */
  constructor(state: Partial<WatermarkState> = {}) {
    this.current = state.mark ?? -1;
    this.above = (state.above ?? []).map(([a, b]) => [a, b] as SeqRange);
    this.gapList = (state.gaps ?? []).map(([a, b]) => [a, b] as SeqRange);
  }

  get mark(): number {
    return this.current;
  }

  /** Seqs settled above the mark, waiting for a hole to close (a stuck hole shows here). */
  get waiting(): number {
    let n = 0;
    for (const [a, b] of this.above) n += b - a + 1;
    return n;
  }

  /** Holes between the mark and the highest settled seq. */
  get holes(): number {
    return this.above.length;
  }

  /** The lowest hole: the seqs between the mark and the first one waiting above it. */
  get firstHole(): SeqRange | undefined {
    const first = this.above[0];
    return first ? [this.current + 1, first[0] - 1] : undefined;
  }

  /** Recently passed gaps (seqs the series never delivered), oldest first. */
  get gaps(): readonly SeqRange[] {
    return this.gapList;
  }

  get state(): WatermarkState {
    return {
      mark: this.current,
      above: this.above.map((r) => [...r]),
      gaps: this.gapList.map((r) => [...r]),
    };
  }

  /** Is `seq` settled (at or under the mark and not a passed gap, or waiting above it)? */
  has(seq: number): boolean {
    if (seq <= this.current) return !this.inGap(seq);
    return this.indexOf(seq) >= 0;
  }

  private inGap(seq: number): boolean {
    for (const [a, b] of this.gapList) if (seq >= a && seq <= b) return true;
    return false;
  }

  /**
   * Whether `seq` is worth writing: 'duplicate' when it is already settled, 'late' when it fills a
   * passed gap, else 'new'. Does not record it (settle does, once InfluxDB has it).
   */
  classify(seq: number): AddResult {
    if (seq <= this.current) return this.inGap(seq) ? 'late' : 'duplicate';
    return this.indexOf(seq) >= 0 ? 'duplicate' : 'new';
  }

  /** Records `seq` as settled; false when it already was (a duplicate delivery). */
  add(seq: number): boolean {
    if (seq <= this.current) return this.fillGap(seq);
    const i = this.insertAt(seq);
    if (i < 0) return false;
    this.advance();
    while (this.above.length > MAX_HOLES) this.passHole();
    return true;
  }

  /**
   * Raises the mark to at least `mark` (InfluxDB holds everything up to it): never lowers it. The
   * seqs waiting above are kept where they lie above the new mark.
   */
  raiseTo(mark: number): void {
    if (mark <= this.current) return;
    this.current = mark;
    this.above = this.above
      .filter(([, b]) => b > mark)
      .map(([a, b]) => [Math.max(a, mark + 1), b] as SeqRange);
    this.gapList = this.gapList.filter(([a]) => a > mark);
    this.advance();
  }

  /** Moves the mark over the lowest hole, recording it as a gap; the gap, or undefined if none. */
  passHole(): SeqRange | undefined {
    const first = this.above[0];
    if (!first) return undefined;
    const gap: SeqRange = [this.current + 1, first[0] - 1];
    this.gapList.push(gap);
    if (this.gapList.length > MAX_GAPS) this.gapList.shift();
    this.passedGaps++;
    this.current = first[1];
    this.above.shift();
    return gap;
  }

  /** A late sample of a passed gap: the gap shrinks (or splits). */
  private fillGap(seq: number): boolean {
    const i = this.gapList.findIndex(([a, b]) => seq >= a && seq <= b);
    if (i < 0) return false;
    const [a, b] = this.gapList[i] as SeqRange;
    const parts: SeqRange[] = [];
    if (a < seq) parts.push([a, seq - 1]);
    if (seq < b) parts.push([seq + 1, b]);
    this.gapList.splice(i, 1, ...parts);
    if (this.gapList.length > MAX_GAPS) this.gapList.shift();
    return true;
  }

  /** Index of the range holding seq, or -1. */
  private indexOf(seq: number): number {
    let lo = 0;
    let hi = this.above.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = this.above[mid] as SeqRange;
      if (seq < a) hi = mid - 1;
      else if (seq > b) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** Inserts seq (> mark) into the ranges, merging neighbours; -1 when it was there already. */
  private insertAt(seq: number): number {
    let lo = 0;
    let hi = this.above.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.above[mid] as SeqRange)[1] < seq) lo = mid + 1;
      else hi = mid;
    }
    // above[lo] is the first range ending at or after seq.
    const next = this.above[lo];
    if (next && next[0] <= seq) return -1;
    const prev = this.above[lo - 1];
    const joinsPrev = prev !== undefined && prev[1] === seq - 1;
    const joinsNext = next !== undefined && next[0] === seq + 1;
    if (joinsPrev && joinsNext) {
      (prev as SeqRange)[1] = (next as SeqRange)[1];
      this.above.splice(lo, 1);
    } else if (joinsPrev) (prev as SeqRange)[1] = seq;
    else if (joinsNext) (next as SeqRange)[0] = seq;
    else this.above.splice(lo, 0, [seq, seq]);
    return lo;
  }

  private advance(): void {
    const first = this.above[0];
    if (first && first[0] === this.current + 1) {
      this.current = first[1];
      this.above.shift();
    }
  }
}
