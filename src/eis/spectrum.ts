/**
 * An impedance spectrum: frequency in Hz and complex impedance in Ohm, with the true sign of the
 * imaginary part (negative for a capacitive arc). Every reader, the simulator and the analyses share it.
 */
export type Spectrum = {
  readonly fHz: Float64Array;
  readonly reOhm: Float64Array;
  readonly imOhm: Float64Array;
};

export function spectrum(
  fHz: ArrayLike<number>,
  reOhm: ArrayLike<number>,
  imOhm: ArrayLike<number>,
): Spectrum {
  if (fHz.length !== reOhm.length || fHz.length !== imOhm.length) {
    throw new Error(
      `spectrum: f, re and im must have the same length (${fHz.length}, ${reOhm.length}, ${imOhm.length})`,
    );
  }
  return { fHz: Float64Array.from(fHz), reOhm: Float64Array.from(reOhm), imOhm: Float64Array.from(imOhm) };
}
