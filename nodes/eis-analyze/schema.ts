/** zod schemas for the eis-analyze node: its config and the spectrum it takes in msg.payload. */
import { z } from 'zod';
import { parseCircuit } from '../../src/eis/circuit';
import { MAX_SPECTRUM_POINTS } from '../../src/eis/limits';

const circuitText = z
  .string()
  .trim()
  .min(1, 'a circuit is required, e.g. R0-p(R1,CPE1)')
  .superRefine((text, ctx) => {
    try {
      parseCircuit(text);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: err instanceof Error ? err.message.split('\n')[0]! : String(err),
      });
    }
  });

/** Empty means "no guess"; otherwise numbers separated by commas. */
const guessText = z
  .string()
  .trim()
  .transform((s, ctx) => {
    if (s === '') return undefined;
    const parts = s.split(',').map((p) => p.trim());
    const values = parts.map(Number);
    const bad = parts.findIndex((p, i) => p === '' || !Number.isFinite(values[i]!));
    if (bad >= 0) {
      ctx.addIssue({ code: 'custom', message: `value ${bad + 1} ('${parts[bad]}') is not a number` });
      return z.NEVER;
    }
    return values;
  });

export const eisAnalyzeConfigSchema = z.object({
  circuit: circuitText,
  weighting: z.enum(['unit', 'modulus', 'proportional']).default('unit'),
  dropInductive: z.boolean().default(false),
  guess: guessText,
  validate: z.boolean().default(true),
  drt: z.boolean().default(true),
});

export type EisAnalyzeConfig = z.infer<typeof eisAnalyzeConfigSchema>;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
/** Instruments give tens to a few hundred points; the analyses refuse more than this (src/eis/limits.ts). */
export const MAX_POINTS = MAX_SPECTRUM_POINTS;
const frequencies = z
  .array(finite.refine((f) => f > 0, 'must be > 0 Hz'))
  .min(1, 'needs at least one point')
  .max(MAX_POINTS, `at most ${MAX_POINTS} points`);
const parts = z.array(finite).max(MAX_POINTS, `at most ${MAX_POINTS} points`);

/**
 * A spectrum as this package's Spectrum type ({fHz, reOhm, imOhm}) or in the short form {f, re, im};
 * frequency in Hz, impedance in Ohm, Im with its true sign. Or a string: the path of an instrument export.
 */
export const spectrumPayloadSchema = z.union([
  z.string().min(1, 'an empty file path'),
  z
    .object({ fHz: frequencies, reOhm: parts, imOhm: parts })
    .refine((s) => s.reOhm.length === s.fHz.length && s.imOhm.length === s.fHz.length, {
      message: 'fHz, reOhm and imOhm must have the same length',
      path: ['reOhm'],
    }),
  z
    .object({ f: frequencies, re: parts, im: parts })
    .refine((s) => s.re.length === s.f.length && s.im.length === s.f.length, {
      message: 'f, re and im must have the same length',
      path: ['re'],
    }),
]);

export type SpectrumPayload = z.infer<typeof spectrumPayloadSchema>;

/** The most useful issue of a failed payload parse: for a union, the branch that got furthest. */
export function payloadProblem(error: z.ZodError): string {
  const issues = error.issues.flatMap((issue) =>
    issue.code === 'invalid_union' ? issue.errors.flat() : [issue],
  ) as { path: PropertyKey[]; message: string }[];
  // A branch that failed on one named field says more than one that failed on a missing key.
  const named = issues.filter(
    (i) => i.path.length > 0 && !/expected array, received undefined/.test(i.message),
  );
  const best = named.sort((a, b) => b.path.length - a.path.length)[0] ?? issues[0];
  if (!best) return 'payload: not a spectrum';
  const path = ['payload', ...best.path.map(String)].join('.');
  return `${path}: ${best.message}${named.length === 0 ? ' (expected {f, re, im}, {fHz, reOhm, imOhm} or a file path)' : ''}`;
}
