/**
 * What the `cellrig eis` commands share: turning what they throw into the exit codes of eis.ts (bad
 * input -> 5 with the message, a circuit that does not parse -> 2, anything else -> 1), reading a
 * spectrum file (bounded in size, errors naming the file) and timing `--repeat N` runs.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { CircuitSyntaxError } from '../../src/eis/circuit';
import { dropInductive } from '../../src/eis/drop-inductive';
import { FitInputError } from '../../src/eis/fit';
import { MAX_FILE_BYTES } from '../../src/eis/limits';
import { parseSpectrumFile, SpectrumFileError } from '../../src/eis/readers';
import type { Spectrum } from '../../src/eis/spectrum';
import { SpectrumInputError } from '../../src/eis/spectrum-checks';
import { EIS_EXIT } from './eis';

/** A file that cannot be read as a spectrum file at all (missing, a folder, too large). */
export class InputFileError extends Error {
  override name = 'InputFileError';
}

const BAD_INPUT = [InputFileError, SpectrumFileError, SpectrumInputError, FitInputError];

/** Runs a subcommand, printing `command: message` for what it throws and returning the exit code. */
export async function runReported(command: string, body: () => Promise<number> | number): Promise<number> {
  try {
    return await body();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${command}: ${message}\n`);
    if (BAD_INPUT.some((c) => err instanceof c)) return EIS_EXIT.badInput;
    if (err instanceof CircuitSyntaxError) {
      process.stderr.write(`(run '${command} --help' for usage)\n`);
      return EIS_EXIT.usage;
    }
    return EIS_EXIT.failure;
  }
}

/**
 * Reads and parses a spectrum file (errors name the file, and the line, from the reader); with
 * `dropInductivePoints` the inductive points are dropped (src/eis/drop-inductive.ts), `dropped` of them.
 */
export function loadSpectrumData(
  file: string,
  dropInductivePoints: boolean,
): { format: string; data: Spectrum; dropped: number } {
  const { format, spectrum } = parseSpectrumFile(basename(file), readSpectrumBytes(file));
  const data = dropInductivePoints ? dropInductive(spectrum) : spectrum;
  return { format, data, dropped: spectrum.fHz.length - data.fHz.length };
}

/** A file's bytes; a missing file, a folder or a file over MAX_FILE_BYTES is named as such. */
export function readSpectrumBytes(file: string): Buffer {
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) {
      throw new InputFileError(
        `${file}: ${(size / 2 ** 20).toFixed(0)} MB; spectrum files of at most ${MAX_FILE_BYTES / 2 ** 20} MB are read`,
      );
    }
    return readFileSync(file);
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputFileError(
      `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : String(err)}`,
    );
  }
}

/** Runs `compute` `repeat` (>= 1) times; the last result and each run's wall time in ms. */
export function timeRuns<T>(repeat: number, compute: () => T): { result: T; times: number[] } {
  const times: number[] = [];
  let result: T | undefined;
  for (let k = 0; k < repeat; k++) {
    const t0 = process.hrtime.bigint();
    result = compute();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { result: result as T, times };
}

export function timingOf(times: readonly number[]): { runs: number; medianMs: number; minMs: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { runs: times.length, medianMs: median, minMs: sorted[0]! };
}

/** A number for text output that is never NaN or Infinity on the page. */
export function finite(x: number, format: (v: number) => string): string {
  return Number.isFinite(x) ? format(x) : 'n/a';
}
