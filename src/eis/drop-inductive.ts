import { type Spectrum, spectrum } from './spectrum';

/**
 * The spectrum without its inductive points (Im Z > 0), as impedance.py's examples do before fitting a
 * circuit that has no inductor: cable and cell inductance dominate there, not the electrochemistry.
 */
export function dropInductive(s: Spectrum): Spectrum {
  const keep: number[] = [];
  for (let i = 0; i < s.fHz.length; i++) if (!(s.imOhm[i]! > 0)) keep.push(i);
  return spectrum(
    keep.map((i) => s.fHz[i]!),
    keep.map((i) => s.reOhm[i]!),
    keep.map((i) => s.imOhm[i]!),
  );
}
