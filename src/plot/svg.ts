/**
 * Small self-contained SVG charts for the CLI and the node: a Nyquist plot (equal scales on both axes,
 * -Im Z up, as electrochemists draw it) and an x-y line plot with an optional log x axis (for DRT).
 * Pure functions returning the SVG text; the caller decides where it goes.
 */

export type PlotSeries = {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** Markers for measured points, a line for a model. */
  readonly style: 'points' | 'line';
};

export type PlotOptions = {
  readonly title?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
  readonly logX?: boolean;
  /** Same length per unit on both axes (a Nyquist plot's semicircles stay round). */
  readonly equalAspect?: boolean;
};

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const MARGIN = { left: 72, right: 20, top: 36, bottom: 52 };

/** Nyquist plot of one or more spectra: Re Z right, -Im Z up, in Ohm. */
export function nyquistSvg(
  series: readonly {
    name: string;
    reOhm: ArrayLike<number>;
    imOhm: ArrayLike<number>;
    style: 'points' | 'line';
  }[],
  title?: string,
): string {
  return plotSvg(
    series.map((s) => ({ name: s.name, x: s.reOhm, y: Array.from(s.imOhm, (v) => -v), style: s.style })),
    { title, xLabel: "Z' / Ohm", yLabel: "-Z'' / Ohm", equalAspect: true },
  );
}

export function plotSvg(series: readonly PlotSeries[], options: PlotOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const tx = options.logX ? (v: number) => Math.log10(v) : (v: number) => v;

  let xs: number[] = [];
  let ys: number[] = [];
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      const x = tx(s.x[i]!);
      const y = s.y[i]!;
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  if (xs.length === 0) {
    xs = [0, 1];
    ys = [0, 1];
  }
  let [x0, x1] = paddedRange(xs, options.logX ? 0 : 0.04);
  let [y0, y1] = paddedRange(ys, 0.04);
  if (options.equalAspect) {
    // Widen whichever axis is short so one Ohm is as long across as up.
    const scale = Math.max((x1 - x0) / plotW, (y1 - y0) / plotH);
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    x0 = cx - (scale * plotW) / 2;
    x1 = cx + (scale * plotW) / 2;
    y0 = cy - (scale * plotH) / 2;
    y1 = cy + (scale * plotH) / 2;
  }
  const px = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number) => MARGIN.top + plotH - ((y - y0) / (y1 - y0)) * plotH;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
  ];
  if (options.title) {
    parts.push(
      `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(options.title)}</text>`,
    );
  }
  const xTicks = options.logX ? logTicks(x0, x1) : niceTicks(x0, x1);
  for (const t of xTicks) {
    const x = fmt(px(t));
    parts.push(
      `<line x1="${x}" y1="${MARGIN.top + plotH}" x2="${x}" y2="${MARGIN.top + plotH + 5}" stroke="#444"/>`,
    );
    parts.push(
      `<text x="${x}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${options.logX ? `1e${t}` : tickLabel(t)}</text>`,
    );
  }
  for (const t of niceTicks(y0, y1)) {
    const y = fmt(py(t));
    parts.push(`<line x1="${MARGIN.left - 5}" y1="${y}" x2="${MARGIN.left}" y2="${y}" stroke="#444"/>`);
    parts.push(
      `<text x="${MARGIN.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(t)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
    `<clipPath id="plot-area"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}"/></clipPath>`,
  );

  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length]!;
    const points: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      const x = tx(s.x[i]!);
      const y = s.y[i]!;
      if (Number.isFinite(x) && Number.isFinite(y)) points.push(`${fmt(px(x))},${fmt(py(y))}`);
    }
    if (s.style === 'line') {
      parts.push(
        `<polyline clip-path="url(#plot-area)" fill="none" stroke="${color}" stroke-width="1.8" points="${points.join(' ')}"/>`,
      );
    } else {
      const dots = points.map((p) => {
        const [cx, cy] = p.split(',');
        return `<circle cx="${cx}" cy="${cy}" r="3"/>`;
      });
      parts.push(
        `<g clip-path="url(#plot-area)" fill="none" stroke="${color}" stroke-width="1.2">${dots.join('')}</g>`,
      );
    }
    const ly = MARGIN.top + 14 + 16 * k;
    const lx = MARGIN.left + plotW - 150;
    parts.push(
      s.style === 'line'
        ? `<line x1="${lx}" y1="${ly}" x2="${lx + 18}" y2="${ly}" stroke="${color}" stroke-width="1.8"/>`
        : `<circle cx="${lx + 9}" cy="${ly}" r="3" fill="none" stroke="${color}"/>`,
      `<text x="${lx + 24}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function paddedRange(values: readonly number[], pad: number): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) {
    const d = Math.abs(lo) * 0.1 || 1;
    lo -= d;
    hi += d;
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/** Ticks at 1, 2 or 5 times a power of ten, about six across the range. */
export function niceTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  // Integer multiples of the step, rounded, so 0.6 is not printed as 0.6000000000000001.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    ticks.push(k === 0 ? 0 : Number((k * step).toPrecision(12)));
  }
  return ticks;
}

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let t = Math.ceil(lo); t <= Math.floor(hi); t++) ticks.push(t);
  return ticks;
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(1).replace('e+', 'e') : String(Number(v.toPrecision(6)));
}

const fmt = (v: number) => v.toFixed(2);

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
