/**
 * `cellrig eis drt FILE`: the distribution of relaxation times (src/eis/drt.ts) of an instrument export:
 * lambda (chosen by GCV unless --lambda), R_inf, L, the peaks with tau, f and resistance, and with
 * `--json` the whole gamma(tau). `--plot out.svg` draws gamma over log tau.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { type DrtResult, distributionOfRelaxationTimes } from '../../src/eis/drt';
import { plotSvg } from '../../src/plot/svg';
import { loadSpectrumData, parseFileCommand, reportErrors, timeRuns, timingOf } from './eis-common';

const DrtArgs = z.object({
  lambda: z.coerce.number().positive().finite().optional(),
  penalty: z.enum(['1', '2']).default('1'),
  fwhm: z.coerce.number().positive().max(10).default(0.5),
  'drop-inductive': z.boolean().default(false),
  plot: z.string().min(1).optional(),
  repeat: z.coerce.number().int().min(1).max(1_000_000).default(1),
  json: z.boolean().default(false),
});

const USAGE = `usage: cellrig eis drt FILE [--lambda X] [--penalty 1|2] [--fwhm C] [--drop-inductive] [--plot out.svg]
                [--repeat N] [--json]\n`;

/**
 * Errors are reported here rather than left to the dispatcher: a usage error exits 2 with the usage, a
 * bad file or spectrum exits 1 with the message (which names the file and line).
 */
export async function main(argv: string[]): Promise<number> {
  return reportErrors('cellrig eis drt', USAGE, () => run(argv));
}

function run(argv: string[]): number {
  const { file, args } = parseFileCommand(
    argv,
    {
      lambda: { type: 'string' },
      penalty: { type: 'string' },
      fwhm: { type: 'string' },
      'drop-inductive': { type: 'boolean' },
      plot: { type: 'string' },
      repeat: { type: 'string' },
      json: { type: 'boolean' },
    },
    DrtArgs,
  );
  const { format, data } = loadSpectrumData(file, args['drop-inductive']);
  const options = {
    lambda: args.lambda,
    penalty: Number(args.penalty) as 1 | 2,
    fwhmCoefficient: args.fwhm,
  };
  const { result: r, times } = timeRuns(args.repeat, () => distributionOfRelaxationTimes(data, options));
  // The first run builds the per-grid matrices; later runs reuse them, as a rig's next spectrum does.
  const timing = args.repeat > 1 ? { ...timingOf(times.slice(1)), firstMs: times[0]! } : undefined;
  if (args.plot) writeFileSync(args.plot, drtPlot(r, basename(file)));
  if (args.json) {
    const out = {
      file: basename(file),
      format,
      points: data.fHz.length,
      lambda: r.lambda,
      lambdaSource: r.lambdaSource,
      lambdaAtBound: r.lambdaAtBound,
      penalty: options.penalty,
      Rinf: r.rInfOhm,
      L: r.lH,
      Rpol: r.rPolOhm,
      rmsResidualOhm: r.rmsResidualOhm,
      tau: Array.from(r.tauS),
      gamma: Array.from(r.gammaOhm),
      peaks: r.peaks.map((p) => ({ tau: p.tauS, f: p.fHz, R: p.rOhm, share: p.share })),
      timing,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  const lines = [
    `${file}: ${format}, ${data.fHz.length} points`,
    `DRT (Gaussian RBF, ${options.penalty === 1 ? '1st' : '2nd'}-derivative penalty): lambda ${r.lambda.toExponential(3)} ${
      r.lambdaSource === 'gcv'
        ? `by GCV${r.lambdaAtBound ? ' (at the edge of the searched range)' : ''}`
        : '(given)'
    }`,
    `  R_inf ${r.rInfOhm.toExponential(4)} Ohm, L ${r.lH.toExponential(3)} H, R_pol ${r.rPolOhm.toExponential(4)} Ohm, rms residual ${r.rmsResidualOhm.toExponential(2)} Ohm`,
    `  ${'tau/s'.padStart(11)} ${'f/Hz'.padStart(11)} ${'R/Ohm'.padStart(11)} ${'share'.padStart(7)}`,
    ...r.peaks.map(
      (p) =>
        `  ${p.tauS.toExponential(3).padStart(11)} ${p.fHz.toExponential(3).padStart(11)} ${p.rOhm.toExponential(3).padStart(11)} ${`${(100 * p.share).toFixed(1)} %`.padStart(7)}`,
    ),
  ];
  if (timing) {
    lines.push(
      `time per DRT over ${timing.runs} runs after the first: median ${timing.medianMs.toFixed(3)} ms, min ${timing.minMs.toFixed(3)} ms (first run, building the grid's matrices: ${timing.firstMs.toFixed(1)} ms)`,
    );
  }
  if (args.plot) lines.push(`plot written to ${args.plot}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function drtPlot(r: DrtResult, title: string): string {
  return plotSvg([{ name: 'gamma', x: r.tauS, y: r.gammaOhm, style: 'line' }], {
    title: `${title}: DRT, lambda ${r.lambda.toExponential(2)}, ${r.peaks.length} peaks`,
    xLabel: 'tau / s',
    yLabel: 'gamma / Ohm',
    logX: true,
  });
}
