/** `cellrig eis read FILE`: the detected format and f, Re Z, Im Z, as a table or JSON. */
import { basename } from 'node:path';
import { parseSpectrumFile } from '../../src/eis/readers';
import { EIS_EXIT } from './eis';
import { readSpectrumBytes, timeRuns, timingOf } from './eis-common';

export type ReadOptions = { repeat: number; json?: boolean };

export function run(file: string, opts: ReadOptions): number {
  // Timed on the file's bytes already in memory: the parse, not the disk.
  const content = readSpectrumBytes(file);
  const { result: parsed, times } = timeRuns(opts.repeat, () => parseSpectrumFile(basename(file), content));
  const { format, spectrum } = parsed;
  const timing = opts.repeat > 1 ? timingOf(times) : undefined;
  if (opts.json) {
    const out = {
      format,
      f: Array.from(spectrum.fHz),
      re: Array.from(spectrum.reOhm),
      im: Array.from(spectrum.imOhm),
      timing,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return EIS_EXIT.ok;
  }
  if (timing) {
    process.stdout.write(
      `parse time over ${timing.runs} runs: median ${timing.medianMs.toFixed(3)} ms, min ${timing.minMs.toFixed(3)} ms\n`,
    );
  }
  const n = spectrum.fHz.length;
  const lines = [
    `${file}: ${format}, ${n} points`,
    `${'f/Hz'.padStart(12)} ${'Re(Z)/Ohm'.padStart(14)} ${'Im(Z)/Ohm'.padStart(14)}`,
  ];
  for (let i = 0; i < n; i++) {
    lines.push(
      `${spectrum.fHz[i]!.toPrecision(6).padStart(12)} ${spectrum.reOhm[i]!.toPrecision(6).padStart(14)} ${spectrum.imOhm[i]!.toPrecision(6).padStart(14)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return EIS_EXIT.ok;
}
