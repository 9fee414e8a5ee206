/**
 * A simulated cell on a cycler, paced by a clock: every `periodMs` it finishes one more cycle of the
 * study's protocol and hands over what a cycler and a potentiostat would (samples and the charged-state
 * spectrum), on a compressed time scale (a 25 h cycle in about 20 s by default).
 */
import type { Clock, TimerHandle } from '../../../src/clock';
import { type SimulatedCycle, simulateCycles } from './cell';
import { lnoCell, pristineCell, type SimCellParams, tfaaCell } from './cell-params';

export type CyclerOutput = {
  cycle: number;
  timeS: number[];
  voltageV: number[];
  currentA: number[];
  /** The cell's temperature per sample, as the cycler logs it. */
  temperatureC: number[];
  spectrum: { fHz: number[]; reOhm: number[]; imOhm: number[] };
};

/** The reference cell for a coating as the rig config names it (pristine, LNO, TFAA-2wt%). */
export function referenceCellFor(coating: string): SimCellParams | undefined {
  return [pristineCell, lnoCell, tfaaCell].find((c) => c.coating === coating);
}

export class SimulatedCycler {
  private readonly cycles: Generator<SimulatedCycle>;
  private timer: TimerHandle | undefined;

  constructor(
    params: SimCellParams,
    seed: number,
    private readonly clock: Clock,
    private readonly periodMs: number,
    maxCycles = 1000,
  ) {
    this.cycles = simulateCycles(params, seed, maxCycles);
  }

  /** Runs `n` cycles without pacing or reporting: a restarted rig picks its cell up where it was. */
  skip(n: number): void {
    for (let i = 0; i < n; i++) if (this.cycles.next().done) return;
  }

  /** Calls `onCycle` once per period until the cell's cycles run out or stop() is called. */
  start(onCycle: (c: CyclerOutput) => void): void {
    this.stop();
    this.timer = this.clock.setInterval(() => {
      const next = this.cycles.next();
      if (next.done) {
        this.stop();
        return;
      }
      const c = next.value;
      onCycle({
        cycle: c.cycle,
        timeS: c.timeS,
        voltageV: c.voltageV,
        currentA: c.currentA,
        temperatureC: c.temperatureC,
        spectrum: {
          fHz: Array.from(c.spectrum.fHz),
          reOhm: Array.from(c.spectrum.reOhm),
          imOhm: Array.from(c.spectrum.imOhm),
        },
      });
    }, this.periodMs);
  }

  stop(): void {
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}
