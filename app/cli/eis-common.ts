/**
 * What the `cellrig eis` commands share (eis.ts, eis-validate.ts, eis-drt.ts): the error reporting
 * (usage error -> exit 2 with the usage, anything else -> exit 1 with the message), the command line
 * (options, one FILE, zod-checked values), reading a spectrum file and timing `--repeat N` runs.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { dropInductive } from '../../src/eis/drop-inductive';
import { parseSpectrumFile } from '../../src/eis/readers';
import type { Spectrum } from '../../src/eis/spectrum';

/** A command-line mistake: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Runs a command and turns what it throws into an exit code: a usage error prints
 * `COMMAND: message` and the usage (exit 2), any other error `COMMAND: message` (exit 1).
 */
export async function reportErrors(
  command: string,
  usage: string,
  body: () => number | Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${command}: ${err.message}\n${usage}`);
      return 2;
    }
    process.stderr.write(`${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

export type ArgOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

/** node:util parseArgs, strict, positionals allowed; its complaints become usage errors. */
export function parseCommandLine(argv: string[], options: ArgOptions) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** The single FILE argument, or a usage error saying what is wrong. */
export function oneFile(positionals: string[]): string {
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? 'FILE is missing' : `one FILE expected, got ${positionals.length}`,
    );
  }
  return positionals[0]!;
}

/**
 * `COMMAND FILE [options]`: parses the options, takes the one FILE and checks the option values with
 * `schema`; the first failing option is the usage error (`--name: message`).
 */
export function parseFileCommand<S extends z.ZodType>(
  argv: string[],
  options: ArgOptions,
  schema: S,
): { file: string; args: z.output<S> } {
  const { values, positionals } = parseCommandLine(argv, options);
  const file = oneFile(positionals);
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(issue.path.length ? `--${issue.path.join('.')}: ${issue.message}` : issue.message);
  }
  return { file, args: parsed.data };
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

/** A file's bytes; a missing file or a folder is named as such. */
export function readSpectrumBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
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
