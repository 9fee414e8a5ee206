/**
 * What the EIS benchmarks share: where the measured spectra are and the warm-up-then-time loop.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** From dist/bench/eis/ (compiled) or bench/eis/ (source), the repository root's sibling `shared`. */
export const eisDataDir = [
  path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'eis'),
  path.join(__dirname, '..', '..', '..', 'shared', 'data', 'eis'),
].find((d) => {
  try {
    readFileSync(path.join(d, 'SOURCES.md'));
    return true;
  } catch {
    return false;
  }
});

/**
 * Calls `work` `warmup` (>= 1) times untimed, then `runs` times timed; the last result and the wall
 * time of each timed run in ms.
 */
export function timeRuns<T>(work: () => T, warmup: number, runs: number): { result: T; times: number[] } {
  let result = work();
  for (let k = 1; k < warmup; k++) result = work();
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = process.hrtime.bigint();
    result = work();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { result, times };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
