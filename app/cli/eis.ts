/**
 * `cellrig eis`: impedance analysis from the command line. `read` and `fit` live here; `validate` and
 * `drt` live in their own modules (eis-validate.ts, eis-drt.ts), loaded only when asked for.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { circuitImpedance, parseCircuit } from '../../src/eis/circuit';
import { type FitResult, fitCircuit, fitReport } from '../../src/eis/fit';
import { parseSpectrumFile } from '../../src/eis/readers';
import type { Spectrum } from '../../src/eis/spectrum';
import { nyquistSvg } from '../../src/plot/svg';
import {
  loadSpectrumData,
  oneFile,
  parseCommandLine,
  parseFileCommand,
  readSpectrumBytes,
  reportErrors,
  timeRuns,
  timingOf,
  UsageError,
} from './eis-common';

const USAGE = `usage:
  cellrig eis read FILE [--repeat N] [--json]
  cellrig eis fit FILE --circuit STR [--guess v1,v2,...] [--fix NAME=V,...]
                  [--weight unit|modulus|proportional] [--method lm|trf] [--drop-inductive]
                  [--starts N] [--seed N] [--plot out.svg] [--repeat N] [--json]
  cellrig eis validate FILE [--drop-inductive] [--json]
  cellrig eis drt FILE [--lambda X] [--plot out.svg] [--json]
FILE is an instrument export (CSV/TXT, EC-Lab .mpt, Gamry .DTA, Autolab, NEISYS); the format is detected
from its content. --repeat N runs the computation N times in one process and reports the time per run.
fit --method: lm (default) goes to the least-squares minimum; trf is scipy's bounded trust region
reflective, impedance.py's default fit, which can stop short of it.
`;

type Sub = { main(argv: string[]): Promise<number> };

/** Loaded by specifier at run time, so this file builds whether or not the module is there yet. */
async function loadSub(file: string): Promise<Sub> {
  const specifier = `./${file}.js`;
  try {
    return (await import(specifier)) as Sub;
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ||
      /Cannot find module/.test(String(err))
    ) {
      throw new Error(
        `this build of cellrig has no '${file.replace('eis-', 'eis ')}' command (app/cli/${file}.ts is missing)`,
      );
    }
    throw err;
  }
}

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  return reportErrors('cellrig eis', USAGE, async () => {
    switch (sub) {
      case 'read':
        return runRead(rest);
      case 'fit':
        return runFit(rest);
      case 'validate':
        return await (await loadSub('eis-validate')).main(rest);
      case 'drt':
        return await (await loadSub('eis-drt')).main(rest);
      case undefined:
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return sub === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown eis command '${sub}'`);
    }
  });
}

function runRead(argv: string[]): number {
  const { values, positionals } = parseCommandLine(argv, {
    json: { type: 'boolean' },
    repeat: { type: 'string' },
  });
  const file = oneFile(positionals);
  const repeat = positiveInt.max(1_000_000).default(1).safeParse(values.repeat);
  if (!repeat.success) throw new UsageError(`--repeat: ${repeat.error.issues[0]!.message}`);
  // Timed on the file's bytes already in memory: the parse, not the disk.
  const content = readSpectrumBytes(file);
  const { result: parsed, times } = timeRuns(repeat.data, () => parseSpectrumFile(basename(file), content));
  const { format, spectrum } = parsed;
  const timing = repeat.data > 1 ? timingOf(times) : undefined;
  if (values.json) {
    const out = {
      format,
      f: Array.from(spectrum.fHz),
      re: Array.from(spectrum.reOhm),
      im: Array.from(spectrum.imOhm),
      timing,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
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
  return 0;
}

const numberList = z.string().transform((s, ctx) => {
  const parts = s.split(',').map((p) => p.trim());
  const nums = parts.map(Number);
  const bad = parts.findIndex((p, i) => p === '' || !Number.isFinite(nums[i]!));
  if (bad >= 0) {
    ctx.addIssue({ code: 'custom', message: `value ${bad + 1} ('${parts[bad]}') is not a number` });
    return z.NEVER;
  }
  return nums;
});

const fixList = z.string().transform((s, ctx) => {
  const out: Record<string, number> = {};
  for (const item of s.split(',')) {
    const m = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*=\s*(\S+)\s*$/.exec(item);
    if (!m || !Number.isFinite(Number(m[2]))) {
      ctx.addIssue({ code: 'custom', message: `'${item}' is not NAME=VALUE` });
      return z.NEVER;
    }
    out[m[1]!] = Number(m[2]);
  }
  return out;
});

const positiveInt = z.coerce.number().int().min(1);

const FitArgs = z.object({
  circuit: z.string({ error: 'is required (e.g. --circuit "R0-p(R1,CPE1)")' }).min(1),
  guess: numberList.optional(),
  fix: fixList.optional(),
  weight: z.enum(['unit', 'modulus', 'proportional']).default('unit'),
  method: z.enum(['lm', 'trf']).default('lm'),
  'drop-inductive': z.boolean().default(false),
  starts: positiveInt.optional(),
  seed: z.coerce.number().int().optional(),
  plot: z.string().min(1).optional(),
  repeat: positiveInt.max(1_000_000).default(1),
  json: z.boolean().default(false),
});

function runFit(argv: string[]): number {
  const { file, args } = parseFileCommand(
    argv,
    {
      circuit: { type: 'string' },
      guess: { type: 'string' },
      fix: { type: 'string' },
      weight: { type: 'string' },
      method: { type: 'string' },
      'drop-inductive': { type: 'boolean' },
      starts: { type: 'string' },
      seed: { type: 'string' },
      plot: { type: 'string' },
      repeat: { type: 'string' },
      json: { type: 'boolean' },
    },
    FitArgs,
  );
  const circuit = parseCircuit(args.circuit);
  const { format, data, dropped } = loadSpectrumData(file, args['drop-inductive']);
  const options = {
    initialGuess: args.guess,
    fixed: args.fix,
    weighting: args.weight,
    method: args.method,
    starts: args.starts,
    seed: args.seed,
  };
  const { result, times } = timeRuns(args.repeat, () => fitCircuit(circuit, data, options));
  if (args.plot) writeFileSync(args.plot, fitPlot(circuit, data, result, basename(file)));
  const timing = args.repeat > 1 ? timingOf(times) : undefined;
  if (args.json) {
    const out = {
      file: basename(file),
      format,
      points: data.fHz.length,
      dropped,
      ...fitReport(result),
      timing,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  const width = Math.max(...result.parameters.map((p) => p.name.length));
  const lines = [
    `${file}: ${format}, ${data.fHz.length} points${dropped ? ` (${dropped} inductive dropped)` : ''}`,
    `circuit ${result.circuit}, ${result.weighting} weighting, ${result.method === 'trf' ? 'trust region reflective, ' : ''}${options.initialGuess ? 'from the given guess' : `${result.starts} automatic starts`}`,
    ...result.parameters.map((p) => {
      const error = p.fixed
        ? '(fixed)'
        : p.stderr === null
          ? '+/- n/a'
          : `+/- ${p.stderr.toExponential(2)} (${formatPercent(p.relativeStderr!)})`;
      const flag = p.determined ? '' : `  not determined: ${p.reasons.join('; ')}`;
      return `  ${p.name.padEnd(width)}  ${p.value.toExponential(4).padStart(12)}  ${error.padEnd(22)}  ${p.unit}${flag}`;
    }),
    `rmse ${result.rmse.toExponential(3)} Ohm, rms relative ${(100 * result.rmsRelative).toFixed(2)} %, ${result.converged ? 'converged' : 'NOT converged'} (${result.reason}) after ${result.iterations} iterations, ${result.evaluations} evaluations`,
  ];
  if (result.attempts.length > 1) lines.push(`runs: ${describeAttempts(result)}`);
  lines.push(
    result.determined
      ? 'every free parameter is determined by the data'
      : `NOT DETERMINED by the data: ${result.notDetermined.join(', ')}`,
  );
  if (timing)
    lines.push(
      `time per fit over ${timing.runs} runs: median ${timing.medianMs.toFixed(3)} ms, min ${timing.minMs.toFixed(3)} ms`,
    );
  if (args.plot) lines.push(`plot written to ${args.plot}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function formatPercent(share: number): string {
  const pct = 100 * share;
  return pct < 1000 ? `${pct.toPrecision(2)} %` : `${pct.toExponential(1)} %`;
}

/** The runs a fit made, and which one is reported. */
function describeAttempts(fit: FitResult): string {
  const from = {
    guess: 'from the guess',
    automatic: 'from the automatic starts',
    'trf-result': "on from TRF's end",
  };
  return fit.attempts
    .map(
      (a, i) =>
        `${a.method.toUpperCase()} ${from[a.start]}: rmse ${a.rmse.toExponential(3)}${a.notDetermined.length ? ` (${a.notDetermined.join(', ')} not determined)` : ''}${i === fit.chosenAttempt ? ' <- reported' : ''}`,
    )
    .join('; ');
}

/** Data as points and the fitted model as a smooth line over the measured frequency range. */
export function fitPlot(
  circuit: ReturnType<typeof parseCircuit>,
  data: Spectrum,
  fit: FitResult,
  title: string,
): string {
  const lo = Math.min(...data.fHz);
  const hi = Math.max(...data.fHz);
  const n = 300;
  const fHz = Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
  const model = circuitImpedance(circuit, fit.values, fHz);
  return nyquistSvg(
    [
      { name: 'data', reOhm: data.reOhm, imOhm: data.imOhm, style: 'points' },
      { name: `fit ${fit.circuit}`, reOhm: model.re, imOhm: model.im, style: 'line' },
    ],
    `${title}: rms relative ${(100 * fit.rmsRelative).toFixed(2)} %`,
  );
}
