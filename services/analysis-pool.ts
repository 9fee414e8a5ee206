/**
 * Heavy analysis (circuit fits, Kramers-Kronig, DRT, a cell's per-cycle fit) off the control thread: a
 * small pool of worker threads (piscina) with a bounded queue and a time limit per job. A job that finds
 * the queue full is refused at once; a job over its limit has its worker terminated (piscina replaces
 * it) and fails with the limit named. Nothing here can take the calling process down: a worker that
 * throws, runs out of memory or is killed only fails its own job.
 *
 * The queue is kept here, not in piscina, so that a job's time limit runs from the moment a worker
 * begins it (a job waiting behind a slow one, or for a fresh worker to load, is not charged for the
 * wait) and the refusal can say how full the pool is. The worker module wraps each job in `poolJob`.
 */
import { parentPort } from 'node:worker_threads';
import { Piscina } from 'piscina';

export type AnalysisPoolOptions = {
  /** The worker module: each job names one of its exported functions. */
  filename: string;
  /** Worker threads (each runs one job at a time). */
  threads: number;
  /** Jobs that may wait for a free worker; one more is refused. */
  queue: number;
  /** A running job's time limit. */
  timeoutMs: number;
  /** Added to the workers' nice value (Linux), so the control thread wins the CPU when both want it. */
  niceIncrement?: number;
  /** Heap limit of each worker: a runaway job ends its worker, not the process. */
  maxHeapMb?: number;
};

/** What the worker posts (to its parentPort) as it begins a job: `{ [JOB_STARTED]: token }`. */
export const JOB_STARTED = 'cellrigAnalysisJobStarted';
/** How long a worker may take to load before the job it was given counts as started anyway. */
const START_ALLOWANCE_MS = 30_000;

/** What a job's worker function receives: the caller's input and the token it reports its start with. */
export type PoolTask = { token: number; input: unknown };

/**
 * Wraps a job function for the worker module: says it began (so the time limit starts now, not while the
 * worker was still loading), then runs it on the input.
 */
export function poolJob<I, O>(fn: (input: I) => O): (task: PoolTask) => O {
  return ({ token, input }) => {
    parentPort?.postMessage({ [JOB_STARTED]: token });
    return fn(input as I);
  };
}

/** The queue was full: the job was not started. */
export class AnalysisRefused extends Error {
  override name = 'AnalysisRefused';
}
/** The job ran over its time limit: its worker was terminated and replaced. */
export class AnalysisTimedOut extends Error {
  override name = 'AnalysisTimedOut';
}
/** The job was cancelled by its caller (its node closed) or the pool closed. */
export class AnalysisCancelled extends Error {
  override name = 'AnalysisCancelled';
}

type Job = {
  name: string;
  input: unknown;
  signal?: AbortSignal;
  resolve(value: unknown): void;
  reject(err: Error): void;
  onCancel?: () => void;
};

export class AnalysisPool {
  readonly stats = { completed: 0, failed: 0, refused: 0, timedOut: 0 };
  private readonly piscina: Piscina;
  private readonly waiting: Job[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  /** Jobs handed to a worker that has not yet said it began them: token -> start the time limit. */
  private readonly starting = new Map<number, () => void>();
  private tokens = 0;
  private running = 0;
  private closed = false;

  constructor(private readonly options: AnalysisPoolOptions) {
    this.piscina = new Piscina({
      filename: options.filename,
      minThreads: options.threads,
      maxThreads: options.threads,
      // Never queue inside piscina: a job is handed over only when a worker is free.
      maxQueue: 'auto',
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      niceIncrement: options.niceIncrement ?? 0,
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 512 },
    });
    // A worker that dies between jobs is replaced by piscina; say nothing, never throw.
    this.piscina.on('error', () => undefined);
    this.piscina.on('message', (m: unknown) => {
      const token = (m as Record<string, unknown> | null)?.[JOB_STARTED];
      if (typeof token === 'number') this.starting.get(token)?.();
    });
  }

  get queued(): number {
    return this.waiting.length;
  }

  get active(): number {
    return this.running;
  }

  /** Whether a job submitted now would be taken (run or queued) rather than refused. */
  get hasRoom(): boolean {
    return this.running < this.options.threads || this.waiting.length < this.options.queue;
  }

  /**
   * Resolves when a job submitted then would be taken: for a caller with its own bounded backlog (a
   * node's cycles, which must not be dropped) that waits its turn instead of being refused.
   */
  room(): Promise<void> {
    if (this.hasRoom || this.closed) return Promise.resolve();
    return new Promise((r) => this.roomWaiters.push(r));
  }

  /** Runs `name(input)` in a worker; rejects with AnalysisRefused, AnalysisTimedOut, AnalysisCancelled or the job's own error. */
  run<T>(name: string, input: unknown, signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(new AnalysisCancelled('analysis pool is closed'));
    if (signal?.aborted) return Promise.reject(new AnalysisCancelled('cancelled'));
    if (!this.hasRoom) {
      this.stats.refused++;
      return Promise.reject(
        new AnalysisRefused(
          `analysis queue full (${this.running} running, ${this.waiting.length} waiting, queue limit ` +
            `${this.options.queue}): job refused, send it again later`,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const job: Job = { name, input, signal, resolve: resolve as (v: unknown) => void, reject };
      if (signal) {
        job.onCancel = () => {
          const at = this.waiting.indexOf(job);
          if (at >= 0) {
            this.waiting.splice(at, 1);
            reject(new AnalysisCancelled('cancelled'));
          }
        };
        signal.addEventListener('abort', job.onCancel, { once: true });
      }
      this.waiting.push(job);
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (!this.closed && this.running < this.options.threads && this.waiting.length > 0) {
      const job = this.waiting.shift() as Job;
      if (job.onCancel) job.signal?.removeEventListener('abort', job.onCancel);
      this.start(job);
    }
  }

  private start(job: Job): void {
    this.running++;
    const abort = new AbortController();
    let why: 'timeout' | 'cancelled' | undefined;
    const expire = () => {
      why = 'timeout';
      abort.abort();
    };
    // The limit runs from the worker's word that it began (a fresh worker loads its modules first);
    // the longer timer stands in should that word never come.
    const token = ++this.tokens;
    let timer = setTimeout(expire, this.options.timeoutMs + START_ALLOWANCE_MS);
    this.starting.set(token, () => {
      clearTimeout(timer);
      timer = setTimeout(expire, this.options.timeoutMs);
    });
    const cancel = () => {
      why ??= 'cancelled';
      abort.abort();
    };
    job.signal?.addEventListener('abort', cancel, { once: true });
    this.piscina
      .run({ token, input: job.input } satisfies PoolTask, { name: job.name, signal: abort.signal })
      .then(
        (value) => {
          this.stats.completed++;
          job.resolve(value);
        },
        (err: Error) => {
          if (why === 'timeout') {
            this.stats.timedOut++;
            const limit = `${+(this.options.timeoutMs / 1000).toFixed(3)} s`;
            job.reject(
              new AnalysisTimedOut(
                `analysis stopped at its time limit of ${limit}: its worker was terminated and replaced`,
              ),
            );
          } else if (why === 'cancelled' || this.closed) job.reject(new AnalysisCancelled('cancelled'));
          else {
            this.stats.failed++;
            job.reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
      )
      .finally(() => {
        clearTimeout(timer);
        this.starting.delete(token);
        job.signal?.removeEventListener('abort', cancel);
        this.running--;
        this.dispatch();
        for (const wake of this.roomWaiters.splice(0)) wake();
      });
  }

  /** Cancels what waits, terminates the workers (and what runs in them). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new AnalysisCancelled('analysis pool is closed'));
    for (const wake of this.roomWaiters.splice(0)) wake();
    await this.piscina.destroy();
  }
}
