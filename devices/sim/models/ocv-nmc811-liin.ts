/**
 * Open-circuit voltage of an NMC811 composite cathode against a LiIn anode (about 0.62 V vs Li/Li+), as a
 * function of the cathode's state of charge over its accessible window. Both ends are steep, so the
 * 1.88 V and 3.68 V cut-offs land inside the window and IR drop moves them only a little, as in the cell.
 */
const socTable = [0, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.88, 0.94, 0.97, 1];
const ocvTableV = [
  1.7, 2.4, 2.85, 3.02, 3.12, 3.2, 3.26, 3.31, 3.36, 3.42, 3.49, 3.56, 3.62, 3.67, 3.72, 3.9,
];

/** Fritsch-Carlson slopes keep the interpolant monotone, so dQ/dV has no spurious peaks. */
const slopes = monotoneSlopes(socTable, ocvTableV);

export function ocvV(soc: number): number {
  const s = Math.min(1, Math.max(0, soc));
  let i = 0;
  while (i < socTable.length - 2 && s > socTable[i + 1]!) i++;
  const x0 = socTable[i]!;
  const x1 = socTable[i + 1]!;
  const h = x1 - x0;
  const t = (s - x0) / h;
  const h00 = 2 * t ** 3 - 3 * t ** 2 + 1;
  const h10 = t ** 3 - 2 * t ** 2 + t;
  const h01 = -2 * t ** 3 + 3 * t ** 2;
  const h11 = t ** 3 - t ** 2;
  return h00 * ocvTableV[i]! + h10 * h * slopes[i]! + h01 * ocvTableV[i + 1]! + h11 * h * slopes[i + 1]!;
}

/** State of charge whose OCV equals `voltageV` (bisection; the curve is monotone). */
export function socAtOcv(voltageV: number): number {
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < 50; k++) {
    const mid = (lo + hi) / 2;
    if (ocvV(mid) < voltageV) lo = mid;
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
    m.push(a * b <= 0 ? 0 : (2 * a * b) / (a + b)); // harmonic mean: never overshoots
  }
  m.push(d[n - 2]!);
  return m;
}
