/**
 * `cellrig eis drt FILE`: the distribution of relaxation times (src/eis/drt.ts) of an instrument export:
 * lambda (chosen by GCV unless --lambda), R_inf, L, the peaks with tau, f and resistance, and with
 * `--json` the whole gamma(tau). `--plot out.svg` draws gamma over log tau with the peaks marked.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { distributionOfRelaxationTimes } from '../../src/eis/drt';
import { drtPlotSvg } from '../../src/plot/eis-plots';
import { EIS_EXIT } from './eis';
import { loadSpectrumData, timeRuns, timingOf } from './eis-common';

export type DrtCliOptions = {
  lambda?: number;
  penalty: '1' | '2';
  fwhm: number;
  dropInductive?: boolean;
  plot?: string;
  repeat: number;
  json?: boolean;
};

export function run(file: string, opts: DrtCliOptions): number {
  const { format, data } = loadSpectrumData(file, opts.dropInductive === true);
  const options = {
    lambda: opts.lambda,
    penalty: Number(opts.penalty) as 1 | 2,
    fwhmCoefficient: opts.fwhm,
  };
  const { result: r, times } = timeRuns(opts.repeat, () => distributionOfRelaxationTimes(data, options));
  // The first run builds the per-grid matrices; later runs reuse them, as a rig's next spectrum does.
  const timing = opts.repeat > 1 ? { ...timingOf(times.slice(1)), firstMs: times[0]! } : undefined;
  if (opts.plot) writeFileSync(opts.plot, drtPlotSvg(r, basename(file)));
  if (opts.json) {
    const out = {
      file: basename(file),
      format,
      points: data.fHz.length,
      lambda: r.lambda,
      lambdaSource: r.lambdaSource,
      lambdaAtBound: r.lambdaAtBound,
      penalty: options.penalty,
      basisFunctions: r.lnTauCentres.length,
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
    return EIS_EXIT.ok;
  }
  const lines = [
    `${file}: ${format}, ${data.fHz.length} points`,
    `DRT (Gaussian RBF, ${r.lnTauCentres.length} basis functions, ${options.penalty === 1 ? '1st' : '2nd'}-derivative penalty): lambda ${r.lambda.toExponential(3)} ${
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
  if (opts.plot) lines.push(`plot written to ${opts.plot}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EIS_EXIT.ok;
}
