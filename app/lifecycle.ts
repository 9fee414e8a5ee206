/**
 * The launcher's way out, in place before anything can drive an output. Each part that starts adds
 * how to stop it; SIGINT, SIGTERM, an uncaught exception or a failed start undo what has started, last
 * first (the flows, so every output goes to its safe state and the rig says `offline`, before the broker
 * and the editor), all within a time limit. A signal in the middle of a start waits for the step under
 * way, then undoes it with the rest. The process then ends with `exit`, whatever handles Node-RED leaves
 * behind (an editor login keeps a session timer, a browser keeps its websocket).
 */

/** Thrown by `checkpoint` once a stop was asked for during the start. */
export class StartInterrupted extends Error {}

type Step = { name: string; stop: () => Promise<void> | void };

export class Lifecycle {
  private readonly steps: Step[] = [];
  private pending: Promise<unknown> = Promise.resolve();
  private stopping: Promise<number> | undefined;
  private unwound = false;
  private resolveFinished!: (code: number) => void;
  /** Resolves with the exit code once everything is stopped. */
  readonly finished = new Promise<number>((r) => {
    this.resolveFinished = r;
  });

  constructor(
    private readonly limitMs: number,
    private readonly log: { info(m: string): void; error(m: string): void },
  ) {
    // `on`, not `once`: a second Ctrl-C during the stop must not kill the process before outputs are safe.
    process.on('SIGINT', () => void this.stop('SIGINT', 0));
    process.on('SIGTERM', () => void this.stop('SIGTERM', 0));
    process.on('uncaughtException', (err) => {
      this.log.error(`uncaught exception: ${err.stack ?? err.message}`);
      void this.stop('uncaught exception', 1);
    });
  }

  get stopRequested(): boolean {
    return this.stopping !== undefined;
  }

  /**
   * Awaits one start step and registers how to undo it (undone in reverse order). A stop asked for
   * meanwhile waits for the step, then undoes it with the rest; the start goes no further.
   */
  async start<T>(name: string, work: Promise<T>, stop?: (value: T) => Promise<void> | void): Promise<T> {
    this.pending = work.catch(() => undefined);
    const value = await work;
    if (stop && this.unwound)
      await stop(value); // the stop ran while this step was under way
    else if (stop) this.steps.push({ name, stop: () => stop(value) });
    this.checkpoint();
    return value;
  }

  /** Registers how to undo something started outside `start` (undone in reverse order). */
  onStop(name: string, stop: Step['stop']): void {
    this.steps.push({ name, stop });
  }

  checkpoint(): void {
    if (this.stopping) throw new StartInterrupted('stopped while starting');
  }

  /** Undoes every started step, last first; resolves (and `finished` resolves) with the exit code. */
  stop(reason: string, code: number): Promise<number> {
    this.stopping ??= this.unwind(reason, code).then((c) => {
      this.resolveFinished(c);
      return c;
    });
    return this.stopping;
  }

  private async unwind(reason: string, code: number): Promise<number> {
    if (code === 0) this.log.info(`${reason}: stopping (outputs to their safe state)`);
    let timer: NodeJS.Timeout | undefined;
    let current = 'the start step under way';
    const limit = new Promise<number>((r) => {
      timer = setTimeout(() => {
        this.log.error(`stopping took over ${this.limitMs} ms (still stopping: ${current}); exiting`);
        r(1);
      }, this.limitMs);
    });
    const all = (async () => {
      let result = code;
      await this.pending;
      // Steps registered while unwinding (a start step that just finished) are undone too.
      for (let s = this.steps.pop(); s; s = this.steps.pop()) {
        current = s.name;
        try {
          await s.stop();
        } catch (err) {
          this.log.error(`while stopping ${s.name}: ${(err as Error).message}`);
          result = 1;
        }
      }
      this.unwound = true;
      return result;
    })();
    const result = await Promise.race([all, limit]);
    clearTimeout(timer);
    return result;
  }
}
