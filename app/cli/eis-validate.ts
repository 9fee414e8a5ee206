/**
 * `cellrig eis validate FILE`: the linear Kramers-Kronig test (src/eis/kk.ts) on an instrument export.
 * Prints the verdict, the M and mu it chose and the largest relative residuals; `--json` for scripts.
 * Exit code 0 whether the spectrum is valid or not (the verdict is in the output); 1 on a bad file,
 * 2 on a bad command line.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { type KkResult, kramersKronigTest } from '../../src/eis/kk';
import { loadSpectrumData, parseFileCommand, reportErrors, timeRuns, timingOf } from './eis-common';

const ValidateArgs = z.object({
  'drop-inductive': z.boolean().default(false),
  fit: z.enum(['complex', 'real', 'imag']).default('complex'),
  mu: z.coerce.number().gt(0).lt(1).default(0.85),
  threshold: z.coerce.number().positive().default(1),
  'max-m': z.coerce.number().int().min(1).max(200).default(50),
  'no-capacitance': z.boolean().default(false),
  rule: z.enum(['sustained', 'first']).default('sustained'),
  repeat: z.coerce.number().int().min(1).max(1_000_000).default(1),
  json: z.boolean().default(false),
});

const USAGE = `usage: cellrig eis validate FILE [--drop-inductive] [--fit complex|real|imag] [--mu C] [--threshold PCT] [--max-m N]
                     [--no-capacitance] [--rule sustained|first] [--repeat N] [--json]\n`;

/**
 * Errors are reported here rather than left to the dispatcher: a usage error exits 2 with the usage, a
 * bad file or spectrum exits 1 with the message (which names the file and line).
 */
export async function main(argv: string[]): Promise<number> {
  return reportErrors('cellrig eis validate', USAGE, () => run(argv));
}

function run(argv: string[]): number {
  const { file, args } = parseFileCommand(
    argv,
    {
      'drop-inductive': { type: 'boolean' },
      fit: { type: 'string' },
      mu: { type: 'string' },
      threshold: { type: 'string' },
      'max-m': { type: 'string' },
      'no-capacitance': { type: 'boolean' },
      rule: { type: 'string' },
      repeat: { type: 'string' },
      json: { type: 'boolean' },
    },
    ValidateArgs,
  );
  const { format, data, dropped } = loadSpectrumData(file, args['drop-inductive']);
  const options = {
    fitType: args.fit,
    muThreshold: args.mu,
    thresholdPct: args.threshold,
    maxM: args['max-m'],
    seriesCapacitance: !args['no-capacitance'],
    selection: args.rule,
  };
  const { result: r, times } = timeRuns(args.repeat, () => kramersKronigTest(data, options));
  const timing = args.repeat > 1 ? timingOf(times) : undefined;
  if (args.json) {
    const out = {
      file: basename(file),
      format,
      points: data.fHz.length,
      dropped,
      valid: r.valid,
      M: r.M,
      mu: r.mu,
      muCriterionMet: r.muCriterionMet,
      muThreshold: args.mu,
      rule: args.rule,
      fitType: r.fitType,
      seriesCapacitance: options.seriesCapacitance,
      thresholdPct: r.thresholdPct,
      maxResidualRealPct: r.maxResidualRealPct,
      maxResidualImagPct: r.maxResidualImagPct,
      rmsResidualPct: r.rmsResidualPct,
      seriesROhm: r.seriesROhm,
      seriesLH: r.seriesLH,
      seriesCF: r.inverseSeriesCPerF > 0 ? 1 / r.inverseSeriesCPerF : null,
      residuals: {
        f: Array.from(data.fHz),
        re: Array.from(r.residualReal),
        im: Array.from(r.residualImag),
      },
      timing,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  const worst = worstPoint(data.fHz, r);
  const lines = [
    `${file}: ${format}, ${data.fHz.length} points${dropped ? ` (${dropped} inductive dropped)` : ''}`,
    `Kramers-Kronig (linear, ${r.fitType} fit${options.seriesCapacitance ? ', series C' : ''}): ${r.valid ? 'VALID' : 'INVALID'}`,
    `  M = ${r.M} RC elements, mu = ${r.mu.toFixed(3)} (threshold ${args.mu}, ${args.rule} rule${r.muCriterionMet ? '' : ', never reached'})`,
    `  max |residual| ${r.maxResidualRealPct.toFixed(3)} % real, ${r.maxResidualImagPct.toFixed(3)} % imaginary (limit ${r.thresholdPct} %), rms ${r.rmsResidualPct.toFixed(3)} %`,
    `  largest residual at ${worst.fHz.toPrecision(4)} Hz (${worst.pct.toFixed(3)} %)`,
  ];
  if (timing) {
    lines.push(
      `time per test over ${timing.runs} runs: median ${timing.medianMs.toFixed(3)} ms, min ${timing.minMs.toFixed(3)} ms`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function worstPoint(fHz: Float64Array, r: KkResult): { fHz: number; pct: number } {
  let best = 0;
  let value = -1;
  for (let i = 0; i < fHz.length; i++) {
    const v = Math.max(Math.abs(r.residualReal[i]!), Math.abs(r.residualImag[i]!));
    if (v > value) {
      value = v;
      best = i;
    }
  }
  return { fHz: fHz[best]!, pct: 100 * value };
}
