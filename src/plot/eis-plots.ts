/**
 * The impedance figures the CLI writes with --plot: a circuit fit (Nyquist with frequency labels, Bode
 * magnitude and phase, relative residuals against frequency), a Kramers-Kronig test (the data beside
 * the RC chain's fit, and the residuals against the verdict's limit) and a DRT (gamma over tau with
 * each peak marked). Built from svg.ts panels; pure functions of the results.
 */
import type { DrtResult } from '../eis/drt';
import type { KkResult } from '../eis/kk';
import type { Spectrum } from '../eis/spectrum';
import { type Annotation, type Box, frequencyLabel, heading, panel, svgDocument } from './svg';

const PANEL_W = 560;
const PANEL_H = 400;
const TITLE_H = 30;

/** A model's impedance on a frequency grid. */
export type ModelCurve = {
  readonly fHz: ArrayLike<number>;
  readonly re: ArrayLike<number>;
  readonly im: ArrayLike<number>;
};

/** Log-spaced frequencies across the data's range, for drawing a model as a smooth line. */
export function modelGrid(data: Spectrum, count = 300): number[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const f of data.fHz) {
    lo = Math.min(lo, f);
    hi = Math.max(hi, f);
  }
  return Array.from({ length: count }, (_, i) => lo * (hi / lo) ** (i / (count - 1)));
}

/** Labels at the data points nearest each decade of frequency (every other decade past eight). */
export function decadeAnnotations(
  data: Spectrum,
  x: (i: number) => number,
  y: (i: number) => number,
): Annotation[] {
  const n = data.fHz.length;
  if (n === 0) return [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const f of data.fHz) {
    lo = Math.min(lo, f);
    hi = Math.max(hi, f);
  }
  const first = Math.ceil(Math.log10(lo) - 1e-9);
  const last = Math.floor(Math.log10(hi) + 1e-9);
  const every = Math.max(1, Math.ceil((last - first + 1) / 8));
  const out: Annotation[] = [];
  for (let d = first; d <= last; d += every) {
    let best = 0;
    for (let i = 1; i < n; i++) {
      if (Math.abs(Math.log10(data.fHz[i]!) - d) < Math.abs(Math.log10(data.fHz[best]!) - d)) best = i;
    }
    if (Math.abs(Math.log10(data.fHz[best]!) - d) < 0.25)
      out.push({ x: x(best), y: y(best), text: frequencyLabel(data.fHz[best]!) });
  }
  return out;
}

const modulus = (re: ArrayLike<number>, im: ArrayLike<number>) =>
  Array.from(re, (r, i) => Math.hypot(r, im[i]!));
const phaseDeg = (re: ArrayLike<number>, im: ArrayLike<number>) =>
  Array.from(re, (r, i) => (-Math.atan2(im[i]!, r) * 180) / Math.PI);

/**
 * A circuit fit: Nyquist (equal axes, frequency labels), |Z| and -phase against frequency, and the
 * relative residuals (Z_fit - Z)/|Z| of both parts in % against frequency.
 */
export function fitPlotSvg(
  data: Spectrum,
  model: ModelCurve,
  residual: { readonly re: ArrayLike<number>; readonly im: ArrayLike<number> },
  title: string,
  modelName: string,
): string {
  const dataMod = modulus(data.reOhm, data.imOhm);
  const relRe = Array.from(residual.re, (v, i) => (100 * v) / dataMod[i]!);
  const relIm = Array.from(residual.im, (v, i) => (100 * v) / dataMod[i]!);
  const box = (col: number, row: number) => ({
    x: col * PANEL_W,
    y: TITLE_H + row * PANEL_H,
    width: PANEL_W,
    height: PANEL_H,
  });
  const parts = [
    heading(title, PANEL_W, 20),
    ...nyquistPanel(data, modelName, model, box(0, 0), 'nyquist'),
    ...panel(
      [
        { name: 'data', x: data.fHz, y: dataMod, style: 'points' },
        { name: 'fit', x: model.fHz, y: modulus(model.re, model.im), style: 'line' },
      ],
      {
        title: 'Bode: magnitude',
        xLabel: 'f / Hz',
        yLabel: '|Z| / Ohm',
        logX: true,
        logY: true,
        legend: 'top-right',
      },
      box(1, 0),
      'bode-mod',
    ),
    ...panel(
      [
        { name: 'real', x: data.fHz, y: relRe, style: 'points', color: 0 },
        { name: 'imaginary', x: data.fHz, y: relIm, style: 'points', color: 1 },
      ],
      {
        title: 'Residuals (Z_fit - Z) / |Z|',
        xLabel: 'f / Hz',
        yLabel: 'residual / %',
        logX: true,
        hLines: [{ y: 0 }],
        legend: 'top-right',
      },
      box(0, 1),
      'residuals',
    ),
    ...panel(
      [
        { name: 'data', x: data.fHz, y: phaseDeg(data.reOhm, data.imOhm), style: 'points' },
        { name: 'fit', x: model.fHz, y: phaseDeg(model.re, model.im), style: 'line' },
      ],
      { title: 'Bode: phase', xLabel: 'f / Hz', yLabel: '-phase / deg', logX: true, legend: 'top-right' },
      box(1, 1),
      'bode-phase',
    ),
  ];
  return svgDocument(2 * PANEL_W, TITLE_H + 2 * PANEL_H, parts);
}

/** The RC chain of a KK test on a grid of frequencies. */
export function kkChain(kk: KkResult, fHz: readonly number[]): ModelCurve {
  const re = new Float64Array(fHz.length);
  const im = new Float64Array(fHz.length);
  fHz.forEach((f, i) => {
    const w = 2 * Math.PI * f;
    let zr = kk.seriesROhm;
    let zi = w * kk.seriesLH - kk.inverseSeriesCPerF / w;
    for (let k = 0; k < kk.tauS.length; k++) {
      const wt = w * kk.tauS[k]!;
      const d = kk.rcOhm[k]! / (1 + wt * wt);
      zr += d;
      zi -= wt * d;
    }
    re[i] = zr;
    im[i] = zi;
  });
  return { fHz, re, im };
}

/** A KK test: the data and the chain's fit (Nyquist), and the relative residuals against the limit. */
export function kkPlotSvg(data: Spectrum, kk: KkResult, title: string): string {
  const chain = kkChain(kk, modelGrid(data));
  const box = (col: number) => ({ x: col * PANEL_W, y: TITLE_H, width: PANEL_W, height: PANEL_H });
  const verdict = kk.valid ? 'VALID' : 'INVALID';
  const parts = [
    heading(`${title}: Kramers-Kronig ${verdict}, M = ${kk.M}`, PANEL_W, 20),
    ...nyquistPanel(data, `RC chain, M = ${kk.M}`, chain, box(0), 'kk-nyquist'),
    ...panel(
      [
        {
          name: 'real',
          x: data.fHz,
          y: Array.from(kk.residualReal, (v) => 100 * v),
          style: 'points',
          color: 0,
        },
        {
          name: 'imaginary',
          x: data.fHz,
          y: Array.from(kk.residualImag, (v) => 100 * v),
          style: 'points',
          color: 1,
        },
      ],
      {
        title: 'KK residuals (Z - Z_chain) / |Z|',
        xLabel: 'f / Hz',
        yLabel: 'residual / %',
        logX: true,
        hLines: [
          { y: kk.thresholdPct, label: `+${kk.thresholdPct} % limit` },
          { y: 0 },
          { y: -kk.thresholdPct, label: `-${kk.thresholdPct} % limit` },
        ],
        legend: 'bottom-left',
      },
      box(1),
      'kk-residuals',
    ),
  ];
  return svgDocument(2 * PANEL_W, TITLE_H + PANEL_H, parts);
}

/** A DRT: gamma over tau, each peak marked with its frequency and resistance. */
export function drtPlotSvg(drt: DrtResult, title: string): string {
  const width = 800;
  const height = 480;
  return svgDocument(
    width,
    height,
    panel(
      [{ name: 'gamma; peaks: f = 1/(2 pi tau), R', x: drt.tauS, y: drt.gammaOhm, style: 'line' }],
      {
        title: `${title}: DRT, lambda ${drt.lambda.toExponential(2)}, ${drt.peaks.length} peaks`,
        xLabel: 'tau / s',
        yLabel: 'gamma / Ohm',
        logX: true,
        legend: 'top-left',
        vLines: drt.peaks.map((p) => ({ x: p.tauS })),
        markAnnotated: true,
        annotations: drt.peaks.map((p) => ({
          x: p.tauS,
          y: p.gammaOhm,
          text: `${frequencyLabel(p.fHz)}, ${p.rOhm.toPrecision(3)} Ohm`,
        })),
      },
      { x: 0, y: 0, width, height },
      'drt',
    ),
  );
}

/** The measured points against a model's curve on equal axes, with the decades marked. */
function nyquistPanel(
  data: Spectrum,
  curveName: string,
  curve: { re: ArrayLike<number>; im: ArrayLike<number> },
  at: Box,
  id: string,
): string[] {
  return panel(
    [
      { name: 'data', x: data.reOhm, y: Array.from(data.imOhm, (v) => -v), style: 'points' },
      { name: curveName, x: curve.re, y: Array.from(curve.im, (v) => -v), style: 'line' },
    ],
    {
      title: 'Nyquist',
      xLabel: "Z' / Ohm",
      yLabel: "-Z'' / Ohm",
      equalAspect: true,
      legend: 'top-left',
      annotations: decadeAnnotations(
        data,
        (i) => data.reOhm[i]!,
        (i) => -data.imOhm[i]!,
      ),
    },
    at,
    id,
  );
}
