/**
 * The cycler's trace on the panel: cell-health's `cycling` samples (up to 100 per cycle and channel) as
 * points for a voltage chart (V) or a current chart (µA, where a C/10 current of a few hundred µA reads
 * plainly), one series per channel, every `every`-th sample of each channel.
 */
import { type ChartPoint, finite } from './chart';

export type Quantity = 'voltage' | 'current';

export class CyclingView {
  private readonly seen = new Map<string, number>();

  constructor(
    readonly quantity: Quantity,
    private readonly every = 4,
  ) {}

  accept(msg: { channel?: unknown; stream?: unknown; payload?: unknown }): ChartPoint[] | null {
    if (msg.stream !== 'cycling' || typeof msg.channel !== 'string') return null;
    const p = msg.payload as Record<string, unknown> | null;
    const value = this.quantity === 'voltage' ? p?.voltageV : p?.currentA;
    if (!p || !finite(p.ts) || !finite(value)) return null;
    const n = this.seen.get(msg.channel) ?? 0;
    this.seen.set(msg.channel, n + 1);
    if (n % this.every !== 0) return null;
    return [{ series: msg.channel, x: p.ts, y: this.quantity === 'voltage' ? value : value * 1e6 }];
  }
}
