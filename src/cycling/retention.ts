/**
 * Capacity retention: each cycle's discharge capacity as a fraction of a reference cycle's (cycle 1 by
 * default, as the reference study reports it; a later cycle leaves formation losses out).
 */
import type { CycleSummary } from './summary';

export type RetentionPoint = { readonly cycle: number; readonly retention: number };

export class RetentionReferenceError extends Error {
  override name = 'RetentionReferenceError';
}

export function retention(cycles: readonly CycleSummary[], referenceCycle = 1): RetentionPoint[] {
  const ref = cycles.find((c) => c.cycle === referenceCycle);
  if (!ref) throw new RetentionReferenceError(`reference cycle ${referenceCycle} has no data`);
  if (!(ref.dischargeAh > 0)) {
    throw new RetentionReferenceError(`reference cycle ${referenceCycle} delivered no discharge capacity`);
  }
  return cycles
    .filter((c) => c.cycle >= referenceCycle)
    .map((c) => ({ cycle: c.cycle, retention: c.dischargeAh / ref.dischargeAh }));
}
