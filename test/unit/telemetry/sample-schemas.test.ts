import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { seededRandom } from '../../../src/random';
import { decodeSamples, schemaForStream } from '../../../src/telemetry/schemas';

// The sample contract written the plain zod way (finite numbers, a catchall for undeclared fields, one
// refinement per rule over Object.keys): the schemas the writer runs must give the same verdict on every
// input and the same sample back.
const tag = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\n\r\t]+$/);
const reference = (fields: z.ZodRawShape) =>
  z
    .object({
      ts: z.number().int().min(1_000_000_000_000).max(10_000_000_000_000),
      seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      cell: tag.optional(),
      coating: tag.optional(),
      ...fields,
    })
    .catchall(z.union([z.number().finite(), z.boolean(), z.string().max(1024)]))
    .refine((v) => Object.keys(v).length <= 64)
    .refine((v) => Object.keys(v).every((k) => /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(k)));
const references = {
  pressure: reference({ pressureMPa: z.number().finite(), forceN: z.number().finite() }),
  temperature: reference({}),
};

const rnd = seededRandom(20261130);
const pick = <T>(xs: readonly T[]): T => xs[rnd.int(0, xs.length - 1)] as T;
const oddValues: unknown[] = [
  0,
  -1.5,
  1e308,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  true,
  false,
  '',
  'hold',
  'x'.repeat(1024),
  'x'.repeat(1025),
  'a\nb',
  null,
  undefined,
  [],
  [1],
  {},
  { a: 1 },
  1_000_000_000_000,
  10_000_000_000_001,
  2.5,
  Number.MAX_SAFE_INTEGER + 2,
];
const oddNames = ['good_name1', 'bad name', '1bad', '_x', 'a'.repeat(64), 'a'.repeat(65), 'é', 'ts', 'seq'];

/** A valid sample of the stream, then 0 to 3 mutations: a field changed, dropped or added. */
function mutatedSample(stream: 'pressure' | 'temperature'): Record<string, unknown> {
  const s: Record<string, unknown> = { ts: 1_790_000_000_000 + rnd.int(0, 1e6), seq: rnd.int(0, 1e6) };
  if (rnd.next() < 0.5) s.cell = 'LiIn|LPSCl|NMC811 #3';
  if (rnd.next() < 0.5) s.coating = 'TFAA-2wt%';
  if (stream === 'pressure') Object.assign(s, { pressureMPa: 150 + rnd.normal(), forceN: 11781 });
  for (let i = rnd.int(0, 12); i > 0; i--) s[`f${i}`] = pick([rnd.normal(), true, 'hold', '']);
  if (rnd.next() < 0.05) for (let i = rnd.int(50, 70); i > 0; i--) s[`g${i}`] = i;
  for (let m = rnd.int(0, 3); m > 0; m--) {
    const keys = Object.keys(s);
    const r = rnd.next();
    if (r < 0.4) s[pick(keys)] = pick(oddValues);
    else if (r < 0.6) delete s[pick(keys)];
    else s[pick(oddNames)] = pick(oddValues);
  }
  return s;
}

describe('sample schemas', () => {
  it('give the plain catchall-and-refine verdict, and the same sample, on 20,000 mutated samples', () => {
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const stream = i % 2 === 0 ? 'pressure' : 'temperature';
      const s = mutatedSample(stream);
      const ours = schemaForStream(stream).safeParse(s);
      const theirs = references[stream].safeParse(s);
      if (ours.success !== theirs.success)
        throw new Error(`verdicts differ on ${JSON.stringify(s).slice(0, 400)}`);
      if (ours.success) {
        expect(ours.data).toEqual(theirs.data);
        accepted++;
      }
    }
    // Both verdicts occur often enough for the comparison to mean something.
    expect(accepted).toBeGreaterThan(4000);
    expect(accepted).toBeLessThan(16_000);
  });

  it('name the field that fails', () => {
    const ok = { ts: 1_790_000_000_000, seq: 1, pressureMPa: 150, forceN: 11781 };
    const errorOf = (s: object) => {
      const [d] = decodeSamples('pressure', JSON.stringify(s));
      return d && !d.ok ? d.error : 'accepted';
    };
    expect(errorOf({ ...ok, phase: 'x'.repeat(1025) })).toMatch(/^phase: /);
    expect(errorOf({ ...ok, nested: { a: 1 } })).toMatch(/^nested: /);
    expect(errorOf({ ...ok, list: [1, 2] })).toMatch(/^list: /);
    expect(errorOf({ ...ok, 'bad name': 1 })).toMatch(/^bad name: field names are letters/);
    expect(errorOf({ ...ok, pressureMPa: 'high' })).toMatch(/^pressureMPa: /);
    const wide: Record<string, number> = { ...ok };
    for (let i = 0; i < 61; i++) wide[`f${i}`] = i;
    expect(errorOf(wide)).toMatch(/at most 64 fields/);
    expect(errorOf({ ...ok, phase: 'hold', inBand: true })).toBe('accepted');
  });
});
