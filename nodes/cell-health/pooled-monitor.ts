/**
 * A channel's CellMonitor whose per-cycle work (fit, DRT, assessment) runs in the analysis pool: cycles
 * are taken in order, one at a time, each waiting its turn in the pool; with `maxBacklog` already
 * waiting, one more is refused. The monitor itself stays here between cycles (its JSON state and the fit
 * that seeds the next cycle's go to the worker and come back).
 */
import type { NodeAPI } from 'node-red';
import { CellMonitor, type CycleOutcome } from '../../src/health/cell-monitor';
import { acquireAnalysis, serialQueue } from '../shared/analysis';
import type { CellHealthJob, CellHealthStep } from './step';

export class PooledMonitor {
  private current: CellMonitor;
  private readonly analysis;
  private readonly inOrder;
  private readonly closing = new AbortController();

  constructor(RED: NodeAPI, restored: unknown, maxBacklog: number) {
    this.current = new CellMonitor(restored);
    this.analysis = acquireAnalysis(RED);
    this.inOrder = serialQueue(maxBacklog);
  }

  /** The monitor as of the last cycle taken. */
  get monitor(): CellMonitor {
    return this.current;
  }

  /** Takes one cycle (or a spectrum of its own); rejects when refused, stopped at the time limit or closed. */
  take(payload: unknown, nowMs: number): Promise<CycleOutcome | { rejected: string }> {
    return this.inOrder(async () => {
      const m = this.current;
      const job: CellHealthJob = { state: m.toJSON(), seed: m.seed, payload, nowMs };
      const step = await this.analysis.runInTurn<CellHealthStep>('cellHealthStep', job, this.closing.signal);
      this.current = new CellMonitor(step.state, step.seed);
      return step.outcome;
    });
  }

  /** Drops a cycle under way (the monitor keeps the state before it) and releases the pool. */
  close(): Promise<void> {
    this.closing.abort();
    return this.analysis.release();
  }
}
