/**
 * One cycle (or one extra spectrum) through a channel's CellMonitor, as a plain function of plain data,
 * so the per-cycle fit and DRT run in an analysis worker thread, never on Node-RED's: the monitor is
 * rebuilt from its JSON state and the fit that seeds the next cycle's, and both go back with the outcome.
 */
import type { FitResult } from '../../src/eis/fit';
import { CellMonitor, type CycleOutcome, type MonitorState } from '../../src/health/cell-monitor';

export type CellHealthJob = { state: MonitorState; seed?: FitResult; payload: unknown; nowMs: number };
export type CellHealthStep = {
  outcome: CycleOutcome | { rejected: string };
  state: MonitorState;
  seed?: FitResult;
};

export function cellHealthStep(job: CellHealthJob): CellHealthStep {
  const monitor = new CellMonitor(job.state, job.seed);
  // A spectrum without samples (an instrument's extra sweep, or one from its own file).
  const p = job.payload;
  const spectrumOnly = typeof p === 'object' && p !== null && !('timeS' in p);
  const outcome = spectrumOnly ? monitor.addSpectrum(p, job.nowMs) : monitor.addCycle(p, job.nowMs);
  return { outcome, state: monitor.toJSON(), seed: monitor.seed };
}
