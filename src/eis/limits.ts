/**
 * How much work any entry (CLI, node, file, library call) may ask of the analyses, and the range of
 * numbers they accept. An instrument gives tens to a few hundred points; the limits leave room for a
 * hundred times that while keeping every analysis under a few seconds (bench/eis) and every product
 * of omega, |Z| and their squares finite in double precision.
 */

/** Points in one spectrum, for the fit, the KK test and the DRT alike. */
export const MAX_SPECTRUM_POINTS = 5000;
/** Automatic starts scouted by a fit without a guess (12 by default). */
export const MAX_FIT_STARTS = 1000;
/** Levenberg-Marquardt iterations, or TRF trial points, of one fit (400 by default). */
export const MAX_FIT_ITERATIONS = 100_000;
/** Frequencies accepted: far beyond any instrument (uHz to THz) yet with omega and 1/omega finite when squared. */
export const MIN_FREQUENCY_HZ = 1e-12;
export const MAX_FREQUENCY_HZ = 1e15;
/** |Z| accepted: 1e-100 to 1e100 Ohm, so |Z|^2 and 1/|Z|^2 stay finite. */
export const MIN_IMPEDANCE_OHM = 1e-100;
export const MAX_IMPEDANCE_OHM = 1e100;
/** Largest spectrum file read (bytes): 5000 points are well under a megabyte in any export. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
