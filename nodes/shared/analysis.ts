/**
 * The analysis pool the nodes share (one per Node-RED process): created by the first node that needs it
 * with the runtime's `cellrigAnalysis` settings (the launcher fills them from CELLRIG_ANALYSIS_*), closed
 * with its workers when the last such node closes.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { NodeAPI } from 'node-red';
import { AnalysisCancelled, AnalysisPool, AnalysisRefused } from '../../services/analysis-pool';

export type AnalysisSettings = { threads?: number; queue?: number; timeoutMs?: number };

/** One worker on a 2-core Pi (the other core is Node-RED's), two on four cores. */
export const DEFAULT_ANALYSIS = {
  threads: Math.min(2, Math.max(1, Math.floor(availableParallelism() / 2))),
  queue: 4,
  timeoutMs: 120_000,
};

let shared: { pool: AnalysisPool; users: number } | undefined;

export type AnalysisLease = {
  run<T>(name: string, job: unknown, signal?: AbortSignal): Promise<T>;
  /** As run, but waits for room in the pool's queue instead of being refused (the caller bounds its own backlog). */
  runInTurn<T>(name: string, job: unknown, signal?: AbortSignal): Promise<T>;
  release(): Promise<void>;
};

export function acquireAnalysis(RED: NodeAPI): AnalysisLease {
  if (!shared) {
    const asked = (RED.settings as unknown as { cellrigAnalysis?: AnalysisSettings }).cellrigAnalysis ?? {};
    const o = { ...DEFAULT_ANALYSIS, ...definedOnly(asked) };
    shared = {
      pool: new AnalysisPool({
        filename: workerFile(),
        threads: o.threads,
        queue: o.queue,
        timeoutMs: o.timeoutMs,
        niceIncrement: 10,
      }),
      users: 0,
    };
  }
  const mine = shared;
  mine.users++;
  let released = false;
  return {
    run: (name, job, signal) => mine.pool.run(name, job, signal),
    async runInTurn(name, job, signal) {
      for (;;) {
        await mine.pool.room();
        try {
          return await mine.pool.run(name, job, signal);
        } catch (err) {
          if (!(err instanceof AnalysisRefused)) throw err; // taken by another caller meanwhile: wait again
        }
      }
    },
    async release() {
      if (released) return;
      released = true;
      if (--mine.users > 0) return;
      if (shared === mine) shared = undefined;
      await mine.pool.close();
    },
  };
}

export function isCancelled(err: unknown): boolean {
  return err instanceof AnalysisCancelled;
}

/**
 * The compiled worker module. Worker threads run JavaScript only, so tests that load the nodes from
 * TypeScript use the build in dist/ (npm test builds first).
 */
function workerFile(): string {
  const file = __filename.endsWith('.ts')
    ? join(__dirname, '..', '..', 'dist', 'nodes', 'shared', 'analysis-worker.js')
    : join(__dirname, 'analysis-worker.js');
  if (!existsSync(file)) throw new Error(`analysis worker ${file} not built (npm run build)`);
  return file;
}

/** Runs jobs one at a time, in order (a node's cycles); with `limit` already waiting, one more is refused. */
export function serialQueue(limit: number): <T>(job: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  return <T>(job: () => Promise<T>): Promise<T> => {
    if (waiting >= limit)
      return Promise.reject(
        new AnalysisRefused(`${waiting} jobs of this node waiting (limit ${limit}): refused`),
      );
    waiting++;
    const run = chain.then(job);
    chain = run.catch(() => undefined).finally(() => waiting--);
    return run;
  };
}

function definedOnly(s: AnalysisSettings): AnalysisSettings {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}
