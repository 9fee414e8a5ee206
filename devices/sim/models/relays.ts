/**
 * A bank of signal relays with the time their contacts take to move: a contact closes `operateMs` after
 * its coil is energised and opens `releaseMs` after it is released. Each relay has an auxiliary contact
 * that follows the main one, which is what the interlock reads back. Faults: a welded contact stays
 * closed whatever the coil does; a failed-open relay never closes.
 */
export type RelayParams = { count: number; operateMs: number; releaseMs: number };
export const DEFAULT_RELAYS: RelayParams = { count: 8, operateMs: 10, releaseMs: 5 };

export type RelayFault = 'welded' | 'failed-open';

type Relay = { coil: boolean; changedAtMs: number; closedBefore: boolean; fault?: RelayFault };
export type ContactChange = { relay: number; closed: boolean; atMs: number };

export class RelayBankModel {
  private readonly relays: Relay[];
  /** Every contact change that happened or is under way, for monitors (kept only when `keepLog`). */
  readonly log: ContactChange[] = [];
  private readonly pending = new Map<number, ContactChange>();

  constructor(
    private readonly nowMs: () => number,
    private readonly params: RelayParams = DEFAULT_RELAYS,
    private readonly keepLog = false,
  ) {
    this.relays = Array.from({ length: params.count }, () => ({
      coil: false,
      changedAtMs: 0,
      closedBefore: false,
    }));
  }

  get count(): number {
    return this.relays.length;
  }

  setCoil(index: number, on: boolean): void {
    const r = this.relays[index];
    if (!r || r.coil === on) return;
    const now = this.nowMs();
    const before = this.contactAt(r, now);
    r.closedBefore = before;
    r.coil = on;
    r.changedAtMs = now;
    const delay = on ? this.params.operateMs : this.params.releaseMs;
    const after = this.contactAt(r, now + delay);
    // A change still under way when the coil flips back never happens.
    const under = this.pending.get(index);
    if (under && under.atMs > now) this.log.splice(this.log.lastIndexOf(under), 1);
    this.pending.delete(index);
    if (after !== before) this.record({ relay: index, closed: after, atMs: now + delay });
  }

  /** Whether the main (and auxiliary) contact of relay `index` is closed now. */
  contact(index: number): boolean {
    const r = this.relays[index];
    return r ? this.contactAt(r, this.nowMs()) : false;
  }

  coil(index: number): boolean {
    return this.relays[index]?.coil ?? false;
  }

  inject(index: number, fault: RelayFault): void {
    const r = this.relays[index];
    if (!r) return;
    // A weld happens with the contact closed: it stays as it is now if closed, and closes for good otherwise.
    const under = this.pending.get(index);
    if (under && under.atMs > this.nowMs()) this.log.splice(this.log.lastIndexOf(under), 1);
    if (fault === 'welded' && !this.contact(index))
      this.record({ relay: index, closed: true, atMs: this.nowMs() });
    r.fault = fault;
    this.pending.delete(index);
  }

  clear(index: number): void {
    const r = this.relays[index];
    if (r) r.fault = undefined;
  }

  private record(change: ContactChange): void {
    if (!this.keepLog) return;
    this.log.push(change);
    this.pending.set(change.relay, change);
  }

  private contactAt(r: Relay, atMs: number): boolean {
    if (r.fault === 'welded') return true;
    if (r.fault === 'failed-open') return false;
    const delay = r.coil ? this.params.operateMs : this.params.releaseMs;
    return atMs - r.changedAtMs >= delay ? r.coil : r.closedBefore;
  }
}
