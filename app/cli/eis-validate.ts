/**
 * `cellrig eis validate FILE`: the linear Kramers-Kronig test (src/eis/kk.ts) on an instrument export.
 * Prints the verdict, the M it chose and why, and the largest relative residuals; `--json` for scripts.
 * Exit code 3 when the spectrum is INVALID.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type KkFitType, type KkResult, type KkSelection, kramersKronigTest } from '../../src/eis/kk';
import type { Spectrum } from '../../src/eis/spectrum';
import { kkPlotSvg } from '../../src/plot/eis-plots';
import { EIS_EXIT } from './eis';
import { loadSpectrumData, timeRuns, timingOf } from './eis-common';

export type ValidateOptions = {
  dropInductive?: boolean;
  fit: KkFitType;
  rule: KkSelection;
  mu: number;
  threshold: number;
  maxM: number;
  tauExtension: number;
  capacitance: boolean;
  inductance: boolean;
  plot?: string;
  repeat: number;
  json?: boolean;
};

export function run(file: string, opts: ValidateOptions): number {
  const { format, data, dropped } = loadSpectrumData(file, opts.dropInductive === true);
  const options = {
    fitType: opts.fit,
    muThreshold: opts.mu,
    thresholdPct: opts.threshold,
    maxM: opts.maxM,
    seriesCapacitance: opts.capacitance,
    seriesInductance: opts.inductance,
    selection: opts.rule,
    tauExtensionDecades: opts.tauExtension,
  };
  const { result: r, times } = timeRuns(opts.repeat, () => kramersKronigTest(data, options));
  const timing = opts.repeat > 1 ? timingOf(times) : undefined;
  if (opts.plot) writeFileSync(opts.plot, kkPlotSvg(data, r, basename(file)));
  const code = r.valid ? EIS_EXIT.ok : EIS_EXIT.kkInvalid;
  if (opts.json) {
    const out = {
      file: basename(file),
      format,
      points: data.fHz.length,
      dropped,
      valid: r.valid,
      M: r.M,
      rule: r.selection,
      reason: r.reason,
      maxM: r.maxM,
      mu: r.mu,
      muCriterionMet: r.muCriterionMet,
      muThreshold: opts.mu,
      chiSquare: r.chiSquare,
      noiseEstimatePct: r.noiseEstimatePct,
      fitType: r.fitType,
      seriesCapacitance: options.seriesCapacitance,
      seriesInductance: options.seriesInductance,
      tauExtensionDecades: r.tauExtensionDecades,
      thresholdPct: r.thresholdPct,
      maxResidualRealPct: r.maxResidualRealPct,
      maxResidualImagPct: r.maxResidualImagPct,
      rmsResidualPct: r.rmsResidualPct,
      seriesROhm: r.seriesROhm,
      seriesLH: r.seriesLH,
      seriesCF: r.inverseSeriesCPerF > 0 ? 1 / r.inverseSeriesCPerF : null,
      scan: r.scan,
      residuals: {
        f: Array.from(data.fHz),
        re: Array.from(r.residualReal),
        im: Array.from(r.residualImag),
      },
      timing,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return code;
  }
  const worst = worstPoint(data, r);
  const extras = [
    opts.capacitance ? 'series C' : 'no series C',
    opts.inductance ? 'series L' : 'no series L',
    ...(r.tauExtensionDecades > 0 ? [`time constants ${r.tauExtensionDecades} decades beyond the data`] : []),
  ].join(', ');
  const lines = [
    `${file}: ${format}, ${data.fHz.length} points${dropped ? ` (${dropped} inductive dropped)` : ''}`,
    `Kramers-Kronig (linear, ${r.fitType} fit, ${extras}): ${r.valid ? 'VALID' : 'INVALID'}`,
    `  ${r.reason} (${r.selection} rule; mu ${r.mu.toFixed(3)})`,
    `  max |residual| ${r.maxResidualRealPct.toFixed(3)} % real, ${r.maxResidualImagPct.toFixed(3)} % imaginary (limit ${r.thresholdPct} %), rms ${r.rmsResidualPct.toFixed(3)} %`,
    `  largest residual at ${worst.fHz.toPrecision(4)} Hz (${worst.pct.toFixed(3)} %)`,
  ];
  if (timing) {
    lines.push(
      `time per test over ${timing.runs} runs: median ${timing.medianMs.toFixed(3)} ms, min ${timing.minMs.toFixed(3)} ms`,
    );
  }
  if (opts.plot) lines.push(`plot written to ${opts.plot}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return code;
}

function worstPoint(data: Spectrum, r: KkResult): { fHz: number; pct: number } {
  let best = 0;
  let value = -1;
  for (let i = 0; i < data.fHz.length; i++) {
    const v = Math.max(Math.abs(r.residualReal[i]!), Math.abs(r.residualImag[i]!));
    if (v > value) {
      value = v;
      best = i;
    }
  }
  return { fHz: data.fHz[best]!, pct: 100 * value };
}
