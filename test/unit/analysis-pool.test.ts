/**
 * The analysis pool's promises, each tried against real worker threads: the queue bound refuses the job
 * past it with the numbers named; a job over its time limit is stopped, its worker replaced, and the
 * limit counts from when a worker takes the job, not from when it was queued; a job that throws or runs
 * out of memory fails alone; cancelling a waiting job means it never runs; close ends everything.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AnalysisCancelled,
  AnalysisPool,
  type AnalysisPoolOptions,
  AnalysisRefused,
  AnalysisTimedOut,
} from '../../services/analysis-pool';

const fixture = join(__dirname, '../support/analysis-fixture.cjs');
const pools: AnalysisPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});
const pool = (o: Partial<AnalysisPoolOptions> = {}) => {
  const p = new AnalysisPool({ filename: fixture, threads: 1, queue: 2, timeoutMs: 10_000, ...o });
  pools.push(p);
  return p;
};
type Spun = { threadId: number };

describe('analysis pool', () => {
  it('takes one job per worker plus the queue, and refuses the next with the numbers named', async () => {
    const p = pool({ threads: 1, queue: 2 });
    const taken = [0, 1, 2].map(() => p.run<Spun>('spin', { ms: 200 }));
    await expect(p.run('spin', { ms: 1 })).rejects.toThrow(
      new AnalysisRefused(
        'analysis queue full (1 running, 2 waiting, queue limit 2): job refused, send it again later',
      ),
    );
    expect(p.stats.refused).toBe(1);
    const done = await Promise.all(taken);
    expect(done.every((d) => d.threadId > 0)).toBe(true);
    // Room again once they are through.
    await expect(p.run<Spun>('spin', { ms: 1 })).resolves.toHaveProperty('threadId');
  });

  it('stops a job at its time limit, names the limit, and replaces the worker', async () => {
    const p = pool({ timeoutMs: 400 });
    const first = await p.run<Spun>('spin', { ms: 1 });
    const t0 = Date.now();
    const err = await p.run('spin', { ms: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnalysisTimedOut);
    expect((err as Error).message).toBe(
      'analysis stopped at its time limit of 0.4 s: its worker was terminated and replaced',
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    const next = await p.run<Spun>('spin', { ms: 1 });
    expect(next.threadId).not.toBe(first.threadId); // a new worker
    expect(p.stats).toMatchObject({ timedOut: 1, completed: 2 });
  });

  it("does not charge a job for its worker's loading: the limit starts when the worker begins it", async () => {
    // Each worker of this module spends 1 s loading; the limit is 0.3 s.
    const p = pool({
      filename: join(__dirname, '../support/analysis-fixture-slow-load.cjs'),
      timeoutMs: 300,
    });
    await expect(p.run<Spun>('spin', { ms: 50 })).resolves.toHaveProperty('threadId');
    await expect(p.run('spin', { ms: null })).rejects.toBeInstanceOf(AnalysisTimedOut);
    // The replacement loads for 1 s too, and the next job still has its whole 0.3 s.
    await expect(p.run<Spun>('spin', { ms: 50 })).resolves.toHaveProperty('threadId');
  });

  it('charges a job for its own run, not for its wait in the queue', async () => {
    const p = pool({ timeoutMs: 1500, queue: 3 });
    // Four jobs of 0.6 s each: the last waits 1.8 s, longer than the limit, and still completes.
    const all = await Promise.all([0, 1, 2, 3].map(() => p.run<Spun>('spin', { ms: 600 })));
    expect(all).toHaveLength(4);
    expect(p.stats.timedOut).toBe(0);
  });

  it('fails a job that throws or runs out of memory on its own; the pool goes on', async () => {
    const p = pool({ maxHeapMb: 32 });
    await expect(p.run('fail', { message: 'singular Jacobian' })).rejects.toThrow('singular Jacobian');
    await expect(p.run('hog', {})).rejects.toThrow(/memory/i);
    await expect(p.run<Spun>('spin', { ms: 1 })).resolves.toHaveProperty('threadId');
    expect(p.stats.failed).toBe(2);
  });

  it('drops a cancelled job: waiting, it never runs; running, its worker is stopped', async () => {
    const p = pool({ queue: 1 });
    const running = new AbortController();
    const waiting = new AbortController();
    const a = p.run('spin', { ms: null }, running.signal);
    const b = p.run('spin', { ms: null }, waiting.signal);
    waiting.abort();
    await expect(b).rejects.toBeInstanceOf(AnalysisCancelled);
    expect(p.queued).toBe(0);
    running.abort();
    await expect(a).rejects.toBeInstanceOf(AnalysisCancelled);
    await expect(p.run<Spun>('spin', { ms: 1 })).resolves.toHaveProperty('threadId');
  });

  it('lets a caller with its own backlog wait for room instead of being refused', async () => {
    const p = pool({ queue: 0 });
    const busy = p.run('spin', { ms: 300 });
    expect(p.hasRoom).toBe(false);
    await expect(p.run('spin', { ms: 1 })).rejects.toBeInstanceOf(AnalysisRefused);
    await p.room();
    expect(p.hasRoom).toBe(true);
    await busy;
  });

  it('closes: what waits is cancelled, what runs is stopped, nothing more is taken', async () => {
    const p = pool({ queue: 1 });
    const a = p.run('spin', { ms: null }).catch((e: unknown) => e);
    const b = p.run('spin', { ms: null }).catch((e: unknown) => e);
    await p.close();
    expect(await a).toBeInstanceOf(AnalysisCancelled);
    expect(await b).toBeInstanceOf(AnalysisCancelled);
    await expect(p.run('spin', { ms: 1 })).rejects.toBeInstanceOf(AnalysisCancelled);
  });
});
