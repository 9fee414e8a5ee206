/**
 * Small self-contained SVG charts for the CLI and the node: x-y panels with linear or log axes, equal
 * scales for Nyquist plots (-Im Z up, as electrochemists draw it), reference lines, labelled points and a
 * legend inside the plot area; several panels make one figure (eis-plots.ts). Pure functions returning
 * the SVG text; the caller decides where it goes.
 */

export type PlotSeries = {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** Markers for measured points, a line for a model. */
  readonly style: 'points' | 'line';
  /** Index into the palette; by default the series' position. */
  readonly color?: number;
  readonly dashed?: boolean;
};

export type Annotation = { readonly x: number; readonly y: number; readonly text: string };

export type PlotOptions = {
  readonly title?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
  readonly logX?: boolean;
  readonly logY?: boolean;
  /** Same length per unit on both axes (a Nyquist plot's semicircles stay round). */
  readonly equalAspect?: boolean;
  /** Horizontal reference lines (a limit, zero), drawn dashed with their label at the right. */
  readonly hLines?: readonly { readonly y: number; readonly label?: string }[];
  /** Vertical reference lines (a peak), dashed, labelled at the top. */
  readonly vLines?: readonly { readonly x: number; readonly label?: string }[];
  /** Text beside data points (frequencies on a Nyquist plot). */
  readonly annotations?: readonly Annotation[];
  /** Mark each annotated point with a dot (a DRT's peaks). */
  readonly markAnnotated?: boolean;
  /** Corner of the plot area the legend sits in. */
  readonly legend?: 'top-right' | 'top-left' | 'bottom-right' | 'bottom-left';
};

export type Box = { readonly x: number; readonly y: number; readonly width: number; readonly height: number };

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#555555'];
const MARGIN = { left: 72, right: 24, top: 36, bottom: 52 };
const FONT = 12;
/** Average glyph width of the sans-serif at FONT px, for sizing the legend box. */
const GLYPH = 6.6;

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

/** One panel as a whole SVG document. */
export function plotSvg(series: readonly PlotSeries[], options: PlotOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  return svgDocument(width, height, [...panel(series, options, { x: 0, y: 0, width, height }, 'p0')]);
}

/** An SVG document of the given size around the parts (panels, a title). */
export function svgDocument(width: number, height: number, parts: readonly string[]): string {
  return `${[
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...parts,
    '</svg>',
  ].join('\n')}\n`;
}

/** A centred heading at y (a figure's title above its panels). */
export function heading(text: string, x: number, y: number, size = 15): string {
  return `<text x="${fmt(x)}" y="${fmt(y)}" text-anchor="middle" font-size="${size}">${escapeXml(text)}</text>`;
}

/**
 * The SVG elements of one x-y panel within `box` (the axes' margins inside it); `id` keeps its clip
 * path apart from the other panels'.
 */
export function panel(series: readonly PlotSeries[], options: PlotOptions, box: Box, id: string): string[] {
  const left = box.x + MARGIN.left;
  const top = box.y + MARGIN.top;
  const plotW = box.width - MARGIN.left - MARGIN.right;
  const plotH = box.height - MARGIN.top - MARGIN.bottom;
  const tx = options.logX ? (v: number) => Math.log10(v) : (v: number) => v;
  const ty = options.logY ? (v: number) => Math.log10(v) : (v: number) => v;

  let xs: number[] = [];
  let ys: number[] = [];
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      const x = tx(s.x[i]!);
      const y = ty(s.y[i]!);
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  for (const h of options.hLines ?? []) if (Number.isFinite(ty(h.y))) ys.push(ty(h.y));
  if (xs.length === 0) {
    xs = [0, 1];
    ys = [0, 1];
  }
  let [x0, x1] = paddedRange(xs, options.logX ? 0.02 : 0.04);
  let [y0, y1] = paddedRange(ys, options.legend === undefined || options.equalAspect ? 0.04 : 0.12);
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
  const px = (x: number) => left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number) => top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  const inside = (x: number, y: number) => x >= x0 && x <= x1 && y >= y0 && y <= y1;

  const parts: string[] = [
    `<rect x="${left}" y="${top}" width="${fmt(plotW)}" height="${fmt(plotH)}" fill="none" stroke="#444"/>`,
  ];
  if (options.title) {
    parts.push(heading(options.title, box.x + box.width / 2, box.y + 20, 14));
  }
  const xTicks = options.logX ? logTicks(x0, x1) : niceTicks(x0, x1);
  for (const t of xTicks) {
    const x = fmt(px(t));
    parts.push(
      `<line x1="${x}" y1="${fmt(top + plotH)}" x2="${x}" y2="${fmt(top + plotH + 5)}" stroke="#444"/>`,
    );
    parts.push(
      `<text x="${x}" y="${fmt(top + plotH + 18)}" text-anchor="middle">${options.logX ? logLabel(t) : tickLabel(t)}</text>`,
    );
  }
  for (const t of options.logY ? logTicks(y0, y1) : niceTicks(y0, y1)) {
    const y = fmt(py(t));
    parts.push(`<line x1="${left - 5}" y1="${y}" x2="${left}" y2="${y}" stroke="#444"/>`);
    parts.push(
      `<text x="${left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${options.logY ? logLabel(t) : tickLabel(t)}</text>`,
    );
  }
  parts.push(
    `<text x="${fmt(left + plotW / 2)}" y="${fmt(box.y + box.height - 12)}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(${fmt(box.x + 16)} ${fmt(top + plotH / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
    `<clipPath id="${id}"><rect x="${left}" y="${top}" width="${fmt(plotW)}" height="${fmt(plotH)}"/></clipPath>`,
  );

  for (const h of options.hLines ?? []) {
    const yv = ty(h.y);
    if (!Number.isFinite(yv) || yv < y0 || yv > y1) continue;
    const y = fmt(py(yv));
    parts.push(
      `<line x1="${left}" y1="${y}" x2="${fmt(left + plotW)}" y2="${y}" stroke="#888" stroke-dasharray="4 3"/>`,
    );
    // Above a line at or over zero, below one under it, so a +/- pair of limits frames the zero line.
    if (h.label)
      parts.push(
        `<text x="${fmt(left + plotW - 4)}" y="${fmt(h.y >= 0 ? py(yv) - 4 : py(yv) + 13)}" text-anchor="end" fill="#666" font-size="11">${escapeXml(h.label)}</text>`,
      );
  }
  for (const v of options.vLines ?? []) {
    const xv = tx(v.x);
    if (!Number.isFinite(xv) || xv < x0 || xv > x1) continue;
    const x = fmt(px(xv));
    parts.push(
      `<line x1="${x}" y1="${top}" x2="${x}" y2="${fmt(top + plotH)}" stroke="#888" stroke-dasharray="4 3"/>`,
    );
    if (v.label)
      parts.push(
        `<text x="${fmt(px(xv) + 3)}" y="${fmt(top + 12)}" fill="#444" font-size="11">${escapeXml(v.label)}</text>`,
      );
  }

  series.forEach((s, k) => {
    const color = COLORS[(s.color ?? k) % COLORS.length]!;
    const points: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      const x = tx(s.x[i]!);
      const y = ty(s.y[i]!);
      if (Number.isFinite(x) && Number.isFinite(y)) points.push(`${fmt(px(x))},${fmt(py(y))}`);
    }
    if (s.style === 'line') {
      parts.push(
        `<polyline clip-path="url(#${id})" fill="none" stroke="${color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="6 3"' : ''} points="${points.join(' ')}"/>`,
      );
    } else {
      const dots = points.map((p) => {
        const [cx, cy] = p.split(',');
        return `<circle cx="${cx}" cy="${cy}" r="3"/>`;
      });
      parts.push(
        `<g clip-path="url(#${id})" fill="none" stroke="${color}" stroke-width="1.2">${dots.join('')}</g>`,
      );
    }
  });

  // Labels beside their points, moved up past labels already placed; one that finds no room is left out.
  const placed: { x0: number; x1: number; y0: number; y1: number }[] = [];
  for (const a of options.annotations ?? []) {
    const x = tx(a.x);
    const y = ty(a.y);
    if (!Number.isFinite(x) || !Number.isFinite(y) || !inside(x, y)) continue;
    const textW = a.text.length * 0.85 * GLYPH;
    // Right of the point unless that would leave the plot area.
    const right = px(x) + 6 + textW < left + plotW;
    const bx0 = right ? px(x) + 6 : px(x) - 6 - textW;
    let by = py(y) - 6;
    const clash = () => placed.some((b) => bx0 < b.x1 && bx0 + textW > b.x0 && by - 10 < b.y1 && by > b.y0);
    for (let tries = 0; clash() && tries < 6; tries++) by -= 12;
    if (clash() || by - 10 < top) continue;
    placed.push({ x0: bx0, x1: bx0 + textW, y0: by - 10, y1: by });
    if (options.markAnnotated)
      parts.push(`<circle cx="${fmt(px(x))}" cy="${fmt(py(y))}" r="2.5" fill="#333"/>`);
    parts.push(
      `<text x="${fmt(right ? bx0 : bx0 + textW)}" y="${fmt(by)}" text-anchor="${right ? 'start' : 'end'}" font-size="10" fill="#333">${escapeXml(a.text)}</text>`,
    );
  }

  if (options.legend !== undefined || series.length > 0)
    parts.push(...legend(series, options, left, top, plotW, plotH));
  return parts;
}

/** The legend in a corner of the plot area, on a white box sized to its text. */
function legend(
  series: readonly PlotSeries[],
  options: PlotOptions,
  left: number,
  top: number,
  plotW: number,
  plotH: number,
): string[] {
  if (series.length === 0) return [];
  const corner = options.legend ?? 'top-right';
  const rowH = 16;
  const textW = Math.max(...series.map((s) => s.name.length)) * GLYPH;
  const boxW = Math.min(plotW - 8, 30 + textW + 8);
  const boxH = rowH * series.length + 8;
  const bx = corner.endsWith('right') ? left + plotW - boxW - 4 : left + 4;
  const by = corner.startsWith('top') ? top + 4 : top + plotH - boxH - 4;
  const parts = [
    `<rect x="${fmt(bx)}" y="${fmt(by)}" width="${fmt(boxW)}" height="${fmt(boxH)}" fill="white" fill-opacity="0.85" stroke="#bbb"/>`,
  ];
  series.forEach((s, k) => {
    const color = COLORS[(s.color ?? k) % COLORS.length]!;
    const ly = by + 4 + rowH * k + rowH / 2;
    const lx = bx + 6;
    parts.push(
      s.style === 'line'
        ? `<line x1="${fmt(lx)}" y1="${fmt(ly)}" x2="${fmt(lx + 18)}" y2="${fmt(ly)}" stroke="${color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="6 3"' : ''}/>`
        : `<circle cx="${fmt(lx + 9)}" cy="${fmt(ly)}" r="3" fill="none" stroke="${color}"/>`,
      `<text x="${fmt(lx + 24)}" y="${fmt(ly)}" dominant-baseline="middle">${escapeXml(s.name)}</text>`,
    );
  });
  return parts;
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

/**
 * Ticks of a log axis (positions are log10 of the values): whole decades, thinned to about eight; on a
 * range shorter than two decades, 1, 2 and 5 times a power of ten, or every digit when those are few.
 */
export function logTicks(lo: number, hi: number): number[] {
  const first = Math.ceil(lo - 1e-9);
  const last = Math.floor(hi + 1e-9);
  if (last - first >= 1) {
    const every = Math.max(1, Math.ceil((last - first + 1) / 8));
    const ticks: number[] = [];
    for (let t = first; t <= last; t += every) ticks.push(t);
    return ticks;
  }
  for (const mantissas of [
    [1, 2, 5],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  ]) {
    const ticks: number[] = [];
    for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
      for (const m of mantissas) {
        const t = Math.log10(m) + d;
        if (t >= lo - 1e-9 && t <= hi + 1e-9) ticks.push(t);
      }
    }
    if (ticks.length >= 3) return ticks;
  }
  return [lo, hi];
}

/** The label of a log-axis tick: 1e3 at a decade, else the value (0.02, 50). */
function logLabel(t: number): string {
  return Math.abs(t - Math.round(t)) < 1e-9
    ? `1e${Math.round(t)}`
    : tickLabel(Number((10 ** t).toPrecision(6)));
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(1).replace('e+', 'e') : String(Number(v.toPrecision(6)));
}

/** A frequency for a label, to 3 significant digits: 1 mHz, 10 Hz, 1 kHz, 100 kHz, 1 MHz. */
export function frequencyLabel(fHz: number): string {
  const f = Number(fHz.toPrecision(3));
  const units: [number, string][] = [
    [1e6, 'MHz'],
    [1e3, 'kHz'],
    [1, 'Hz'],
    [1e-3, 'mHz'],
    [1e-6, 'uHz'],
  ];
  for (const [scale, unit] of units) {
    if (f >= scale) return `${Number((f / scale).toPrecision(3))} ${unit}`;
  }
  return `${f.toExponential(1)} Hz`;
}

export const fmt = (v: number) => v.toFixed(2);

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
