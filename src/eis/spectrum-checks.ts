/**
 * Input validation shared by the analyses (fit, KK, DRT): a spectrum from a payload or a simulator has
 * not been through a file reader, and a NaN, a value at the edge of the float range or a repeated
 * frequency would otherwise surface as NaN or Infinity in a result. Each message names the point.
 */
import {
  MAX_FREQUENCY_HZ,
  MAX_IMPEDANCE_OHM,
  MAX_SPECTRUM_POINTS,
  MIN_FREQUENCY_HZ,
  MIN_IMPEDANCE_OHM,
} from './limits';
import type { Spectrum } from './spectrum';

export class SpectrumInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpectrumInputError';
  }
}

/** Why point i cannot be analysed, or null. */
export function pointProblem(s: Spectrum, i: number): string | null {
  const f = s.fHz[i]!;
  if (!(f >= MIN_FREQUENCY_HZ && f <= MAX_FREQUENCY_HZ)) {
    return `point ${i}: frequency ${f} Hz is outside ${MIN_FREQUENCY_HZ} to ${MAX_FREQUENCY_HZ} Hz`;
  }
  const zr = s.reOhm[i]!;
  const zi = s.imOhm[i]!;
  const where = `point ${i} (${f} Hz): impedance ${zr} ${zi >= 0 ? '+' : '-'} ${Math.abs(zi)}j Ohm`;
  if (!(Math.abs(zr) <= MAX_IMPEDANCE_OHM && Math.abs(zi) <= MAX_IMPEDANCE_OHM)) {
    return `${where} is not a finite value below ${MAX_IMPEDANCE_OHM} Ohm`;
  }
  if (!(Math.hypot(zr, zi) >= MIN_IMPEDANCE_OHM)) {
    return `${where}: |Z| is zero or below ${MIN_IMPEDANCE_OHM} Ohm (a blank row?)`;
  }
  return null;
}

/** Refuses more points than MAX_SPECTRUM_POINTS, naming the limit. */
export function assertPointLimit(n: number, who: string): void {
  if (n > MAX_SPECTRUM_POINTS) {
    throw new SpectrumInputError(
      `${who}: the spectrum has ${n} points; at most ${MAX_SPECTRUM_POINTS} are analysed (MAX_SPECTRUM_POINTS)`,
    );
  }
}

export function assertAnalysable(s: Spectrum, minPoints: number, who: string): void {
  const n = s.fHz.length;
  if (s.reOhm.length !== n || s.imOhm.length !== n) {
    throw new SpectrumInputError(
      `${who}: f, re and im differ in length (${n}, ${s.reOhm.length}, ${s.imOhm.length})`,
    );
  }
  if (n < minPoints) throw new SpectrumInputError(`${who}: needs at least ${minPoints} points, got ${n}`);
  assertPointLimit(n, who);
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const problem = pointProblem(s, i);
    if (problem) throw new SpectrumInputError(`${who}: ${problem}`);
    const f = s.fHz[i]!;
    if (seen.has(f)) throw new SpectrumInputError(`${who}: frequency ${f} Hz appears twice`);
    seen.add(f);
  }
}

/** Throws when a result holds NaN or Infinity: never print one as a result. */
export function assertFiniteResult(who: string, values: Record<string, number | ArrayLike<number>>): void {
  for (const [name, v] of Object.entries(values)) {
    const bad =
      typeof v === 'number'
        ? !Number.isFinite(v)
        : Array.prototype.some.call(v, (x: number) => !Number.isFinite(x));
    if (bad) {
      throw new SpectrumInputError(
        `${who}: the spectrum is numerically degenerate (${name} is not finite); check its values and units`,
      );
    }
  }
}
