/**
 * `cellrig eis fit FILE --circuit STR`: an equivalent-circuit fit (src/eis/fit.ts) with each parameter's
 * standard error and whether the data determine it; exit code 4 when one is not determined or the fit
 * did not converge.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { circuitImpedance, parseCircuit } from '../../src/eis/circuit';
import { type FitMethod, type FitResult, fitCircuit, fitReport, type Weighting } from '../../src/eis/fit';
import type { Spectrum } from '../../src/eis/spectrum';
import { fitPlotSvg, modelGrid } from '../../src/plot/eis-plots';
import { EIS_EXIT } from './eis';
import { loadSpectrumData, timeRuns, timingOf } from './eis-common';

export type FitCliOptions = {
  circuit: string;
  guess?: number[];
  fix?: Record<string, number>;
  weight: Weighting;
  method: FitMethod;
  dropInductive?: boolean;
  starts?: number;
  seed?: number;
  plot?: string;
  repeat: number;
  json?: boolean;
};

export function run(file: string, opts: FitCliOptions): number {
  const circuit = parseCircuit(opts.circuit);
  const { format, data, dropped } = loadSpectrumData(file, opts.dropInductive === true);
  const options = {
    initialGuess: opts.guess,
    fixed: opts.fix,
    weighting: opts.weight,
    method: opts.method,
    starts: opts.starts,
    seed: opts.seed,
  };
  const { result, times } = timeRuns(opts.repeat, () => fitCircuit(circuit, data, options));
  if (opts.plot) writeFileSync(opts.plot, fitPlot(circuit, data, result, basename(file)));
  const timing = opts.repeat > 1 ? timingOf(times) : undefined;
  const code = result.determined && result.converged ? EIS_EXIT.ok : EIS_EXIT.notDetermined;
  if (opts.json) {
    const out = {
      file: basename(file),
      format,
      points: data.fHz.length,
      dropped,
      ...fitReport(result),
      timing,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return code;
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
  if (opts.plot) lines.push(`plot written to ${opts.plot}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return code;
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

/** The fit's figure: Nyquist, Bode magnitude and phase, residuals (src/plot/eis-plots.ts). */
export function fitPlot(
  circuit: ReturnType<typeof parseCircuit>,
  data: Spectrum,
  fit: FitResult,
  title: string,
): string {
  const fHz = modelGrid(data);
  const model = circuitImpedance(circuit, fit.values, fHz);
  return fitPlotSvg(
    data,
    { fHz, re: model.re, im: model.im },
    { re: fit.residualRe, im: fit.residualIm },
    `${title}: ${fit.circuit}, rms relative ${(100 * fit.rmsRelative).toFixed(2)} %${fit.determined ? '' : `, not determined: ${fit.notDetermined.join(', ')}`}`,
    'fit',
  );
}
