/**
 * Open-circuit voltage of Li_x Ni0.8Mn0.1Co0.1O2 against a LiIn anode, as a function of the lithium
 * fraction x (1 = fully lithiated, discharged). Shaped after published NMC811 curves vs Li (assumed),
 * shifted by LiIn's 0.62 V: its plateaus put the dQ/dV peaks where the paper's CV shows them vs LiIn
 * (H1->M near 3.1 V, M->H2 near 3.4 V, H2->H3 near 3.6 V), and it falls steeply in the last per cent
 * before x = 1, so a surface that fills up ends the discharge while the particle's core is not full.
 */
import { CELL_CONSTANTS } from './cell-params';

const xTable = [
  0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.88, 0.91, 0.94,
  0.97, 0.99, 0.995, 1,
];
/** Versus Li/Li+. */
const ocvVsLiV = [
  4.7, 4.45, 4.33, 4.26, 4.21, 4.19, 4.15, 4.1, 4.05, 4.01, 3.98, 3.93, 3.86, 3.8, 3.75, 3.72, 3.69, 3.62,
  3.51, 3.39, 3.31, 3.23, 3.05, 2.4,
];

const slopes = monotoneSlopes(xTable, ocvVsLiV);

/** OCV vs LiIn at lithium fraction x (clamped to [0, 1]). */
export function ocvV(x: number): number {
  const s = Math.min(1, Math.max(0, x));
  let i = 0;
  while (i < xTable.length - 2 && s > xTable[i + 1]!) i++;
  const x0 = xTable[i]!;
  const h = xTable[i + 1]! - x0;
  const t = (s - x0) / h;
  const h00 = 2 * t ** 3 - 3 * t ** 2 + 1;
  const h10 = t ** 3 - 2 * t ** 2 + t;
  const h01 = -2 * t ** 3 + 3 * t ** 2;
  const h11 = t ** 3 - t ** 2;
  const vsLi = h00 * ocvVsLiV[i]! + h10 * h * slopes[i]! + h01 * ocvVsLiV[i + 1]! + h11 * h * slopes[i + 1]!;
  return vsLi - CELL_CONSTANTS.anodePotentialV.value;
}

/** Lithium fraction whose OCV equals `voltageV` (bisection; the curve falls monotonically with x). */
export function lithiumAtOcv(voltageV: number): number {
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (ocvV(mid) > voltageV) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function monotoneSlopes(x: number[], y: number[]): number[] {
  const n = x.length;
  const d: number[] = [];
  for (let i = 0; i < n - 1; i++) d.push((y[i + 1]! - y[i]!) / (x[i + 1]! - x[i]!));
  const m: number[] = [d[0]!];
  for (let i = 1; i < n - 1; i++) {
    const a = d[i - 1]!;
    const b = d[i]!;
    m.push(a * b <= 0 ? 0 : (2 * a * b) / (a + b)); // harmonic mean: never overshoots (Fritsch-Carlson)
  }
  m.push(d[n - 2]!);
  return m;
}
