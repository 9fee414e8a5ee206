/**
 * Cycler samples as a cell's cycling.csv holds them, cleaned before anything is computed from them:
 * rows with a non-finite value or a timestamp that goes backwards are dropped, a cycle counter that
 * restarts (the cycler was restarted) is continued from where it was, and gaps in the cycle numbers are
 * reported. Every change is a warning, so a caller can show what was done to the data.
 */
export type CyclingSample = {
  readonly timeS: number;
  readonly cycle: number;
  readonly voltageV: number;
  /** Positive while charging. */
  readonly currentA: number;
  /** The cell's temperature when the cycler logs it (cycling.csv's optional temperature_C column). */
  readonly temperatureC?: number;
};

export type CyclingWarning = {
  readonly kind: 'not-finite' | 'time-backwards' | 'counter-restart' | 'missing-cycles' | 'empty';
  /** Index of the sample in the input (0-based), when the warning is about one sample. */
  readonly index?: number;
  readonly message: string;
};

export type CleanedSamples = {
  readonly samples: CyclingSample[];
  readonly warnings: CyclingWarning[];
};

/** Reports at most this many warnings of one kind one by one; the rest are counted in a summary. */
const MAX_WARNINGS_PER_KIND = 5;

export function cleanSamples(input: readonly CyclingSample[]): CleanedSamples {
  const samples: CyclingSample[] = [];
  const warnings: CyclingWarning[] = [];
  const counts = new Map<CyclingWarning['kind'], number>();
  const warn = (w: CyclingWarning) => {
    const n = (counts.get(w.kind) ?? 0) + 1;
    counts.set(w.kind, n);
    if (n <= MAX_WARNINGS_PER_KIND) warnings.push(w);
  };
  let offset = 0;
  let lastRaw = Number.NEGATIVE_INFINITY;
  let lastCycle = Number.NEGATIVE_INFINITY;
  let lastTime = Number.NEGATIVE_INFINITY;
  input.forEach((s, index) => {
    if (![s.timeS, s.cycle, s.voltageV, s.currentA].every(Number.isFinite)) {
      warn({
        kind: 'not-finite',
        index,
        message: `sample ${index}: a value is not a finite number; dropped`,
      });
      return;
    }
    if (s.timeS < lastTime) {
      warn({
        kind: 'time-backwards',
        index,
        message: `sample ${index}: time ${s.timeS} s is before the previous ${lastTime} s; dropped`,
      });
      return;
    }
    if (s.cycle < lastRaw) {
      // A restarted counter: continue numbering after the last cycle seen.
      offset = lastCycle - s.cycle + 1;
      warn({
        kind: 'counter-restart',
        index,
        message: `sample ${index}: cycle counter went from ${lastRaw} back to ${s.cycle}; continued as ${s.cycle + offset}`,
      });
    }
    lastRaw = s.cycle;
    const cycle = s.cycle + offset;
    if (Number.isFinite(lastCycle) && cycle > lastCycle + 1) {
      warn({
        kind: 'missing-cycles',
        index,
        message: `cycles ${lastCycle + 1}..${cycle - 1} have no samples`,
      });
    }
    lastCycle = cycle;
    lastTime = s.timeS;
    samples.push(cycle === s.cycle ? s : { ...s, cycle });
  });
  for (const [kind, n] of counts) {
    if (n > MAX_WARNINGS_PER_KIND) {
      warnings.push({ kind, message: `${n - MAX_WARNINGS_PER_KIND} more '${kind}' warnings not listed` });
    }
  }
  if (samples.length === 0) warnings.push({ kind: 'empty', message: 'no usable samples' });
  return { samples, warnings };
}
