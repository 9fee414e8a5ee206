/**
 * Input validation shared by the analyses (KK, DRT): a spectrum from a payload or a simulator has not
 * been through a file reader, and a NaN or a repeated frequency would otherwise surface as NaN results.
 */
import type { Spectrum } from './spectrum';

export class SpectrumInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpectrumInputError';
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
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const f = s.fHz[i]!;
    if (!Number.isFinite(f) || f <= 0)
      throw new SpectrumInputError(`${who}: frequency at point ${i} is ${f}, not a positive number`);
    if (!Number.isFinite(s.reOhm[i]!) || !Number.isFinite(s.imOhm[i]!)) {
      throw new SpectrumInputError(`${who}: impedance at point ${i} (${f} Hz) is not finite`);
    }
    if (seen.has(f)) throw new SpectrumInputError(`${who}: frequency ${f} Hz appears twice`);
    seen.add(f);
  }
}
