import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { seededRandom } from '../../../src/random';
import { decodeSamples, schemaForStream } from '../../../src/telemetry/schemas';

// The sample contract written the plain zod way (a strict object per declared stream, a catchall for
// streams with `other` fields, one refinement per rule over Object.keys): the schemas the writer runs
// must give the same verdict on every input and the same sample back.
const tag = z
  .string()
  .min(1)
  .max(128)
  .refine((v) => ![...v].some((c) => c < ' ' || c === '\u007f') && !v.endsWith('\\'))
  .refine((v) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(v));
const core = {
  ts: z.number().int().min(1_000_000_000_000).max(9_223_372_036_853),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  cell: tag.optional(),
  coating: tag.optional(),
};
const keyRules = <T extends z.ZodType>(schema: T) =>
  schema
    .refine((v) => Object.keys(v as object).length <= 64)
    .refine((v) =>
      Object.keys(v as object).every((k) => /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(k) && k !== 'time'),
    );
const str = z.string().max(1024);
const references = {
  pressure: keyRules(
    z.strictObject({
      ...core,
      pressureMPa: z.number(),
      forceN: z.number(),
      counts: z.number().optional(),
      setpointMPa: z.number().optional(),
      toleranceMPa: z.number().optional(),
      outputMmPerS: z.number().optional(),
      phase: str.optional(),
      inBand: z.boolean().optional(),
      excursion: z.boolean().optional(),
      alarms: str.optional(),
      installedPressureMPa: z.number().optional(),
    }),
  ),
  events: keyRules(
    z
      .object({ ...core, kind: str, code: str, message: str, timeS: z.number().optional() })
      .catchall(z.union([str, z.number(), z.boolean()]).transform((v) => `${v}`)),
  ),
  temperature: keyRules(z.object(core).catchall(z.number())),
};
type Stream = keyof typeof references;

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
const oddNames = [
  'good_name1',
  'bad name',
  '1bad',
  '_x',
  'a'.repeat(64),
  'a'.repeat(65),
  'é',
  'ts',
  'seq',
  'time',
  'counts',
  'phase',
  'inBand',
];
const oddTags = ['LiIn|LPSCl|NMC811 #3', 'C:\\runs\\', 'a\tb', '\ud800x', 'x'.repeat(129), ''];

/** A valid sample of the stream, then 0 to 3 mutations: a field changed, dropped or added. */
function mutatedSample(stream: Stream): Record<string, unknown> {
  const s: Record<string, unknown> = { ts: 1_790_000_000_000 + rnd.int(0, 1e6), seq: rnd.int(0, 1e6) };
  if (rnd.next() < 0.5) s.cell = rnd.next() < 0.9 ? 'LiIn|LPSCl|NMC811 #3' : pick(oddTags);
  if (rnd.next() < 0.5) s.coating = 'TFAA-2wt%';
  if (stream === 'pressure') {
    Object.assign(s, { pressureMPa: 150 + rnd.normal(), forceN: 11781 });
    if (rnd.next() < 0.5) Object.assign(s, { counts: 80_000, phase: 'hold', inBand: true });
  } else if (stream === 'events')
    Object.assign(s, { kind: 'event', code: 'start', message: 'started', timeS: 1 });
  for (let i = stream === 'pressure' ? 0 : rnd.int(0, 12); i > 0; i--)
    s[`f${i}`] = stream === 'temperature' ? rnd.normal() : pick([rnd.normal(), true, 'hold', '']);
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
  it('give the plain strict-object verdict, and the same sample, on 20,000 mutated samples', () => {
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const stream = (['pressure', 'events', 'temperature'] as const)[i % 3] as Stream;
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
    expect(errorOf({ ...ok, counts: 'poison' })).toMatch(/^counts: /);
    expect(errorOf({ ...ok, nested: 1 })).toMatch(/^nested: not a field of stream 'pressure' \(declare it/);
    expect(errorOf({ ...ok, 'bad name': 1 })).toMatch(/^bad name: field names are letters/);
    expect(errorOf({ ...ok, time: 1 })).toMatch(/^time: 'time' is InfluxDB's timestamp/);
    expect(errorOf({ ...ok, pressureMPa: 'high' })).toMatch(/^pressureMPa: /);
    expect(errorOf({ ...ok, cell: 'C:\\runs\\' })).toMatch(/^cell: a tag value cannot end with a backslash/);
    const wide: Record<string, number> = { ts: 1_790_000_000_000, seq: 1 };
    for (let i = 0; i < 63; i++) wide[`f${i}`] = i;
    const [w] = decodeSamples('temperature', JSON.stringify(wide));
    expect(w && !w.ok && w.error).toMatch(/at most 64 fields/);
    expect(errorOf({ ...ok, phase: 'hold', inBand: true, counts: 80_000 })).toBe('accepted');
    // An undeclared stream carries numbers only; a declared `other` type stores the rest as text.
    const [t] = decodeSamples('temperature', JSON.stringify({ ts: 1_790_000_000_000, seq: 1, mode: 'on' }));
    expect(t && !t.ok && t.error).toMatch(/^mode: stream 'temperature' is not declared/);
    const [e] = decodeSamples(
      'events',
      JSON.stringify({ ...ok, kind: 'event', code: 'c', message: 'm', pressureMPa: 3 }),
    );
    expect(e?.ok && e.sample.pressureMPa).toBe('3');
  });
});
