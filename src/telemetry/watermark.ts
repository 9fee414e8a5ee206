/**
 * The highest sequence number below which every seq of a series has been written: the writer's durable
 * acknowledgement. Seqs may arrive out of order (a replay fills a gap after later samples got through),
 * so the ones above the mark wait in a set until the gap closes.
 */
export class ContiguousWatermark {
  private readonly above = new Set<number>();

  /** `mark` = -1: nothing written yet; series start at seq 0. */
  constructor(private current = -1) {}

  get mark(): number {
    return this.current;
  }

  /** Seqs written above the mark, waiting for a gap to close (a stuck gap shows here). */
  get waiting(): number {
    return this.above.size;
  }

  /** Records `seq` as written; returns false when it already was (a duplicate delivery). */
  add(seq: number): boolean {
    if (seq <= this.current || this.above.has(seq)) return false;
    if (seq !== this.current + 1) {
      this.above.add(seq);
      return true;
    }
    this.current = seq;
    while (this.above.delete(this.current + 1)) this.current++;
    return true;
  }
}
