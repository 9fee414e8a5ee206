/**
 * Line protocol against the real InfluxDB: arbitrary strings (with every character line protocol treats
 * specially) as measurement, tag key, tag value, field key and string field value are encoded, written
 * and read back unchanged; the ones encodePoint refuses are refused with a reason. Plus the three cases
 * a review found: a backslash in a tag value, a trailing one, and a field named `time`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InfluxHttp } from '../../services/influx-http';
import { encodePoint, type LinePart, unwritable } from '../../src/telemetry/line-protocol';

const SPECIAL = [
  ',',
  '=',
  ' ',
  '\\',
  '"',
  "'",
  '\n',
  '\r',
  '\t',
  '#',
  '\u0000',
  '_',
  'time',
  'é',
  '😀',
  '\ud800',
  '\u2028',
  '\u00a0',
  '\\ ',
  '\\,',
  '\\=',
  '\u001f',
  '\u007f',
  '{',
  '}',
  '/',
  '*',
];
const piece = fc.oneof(
  fc.constantFrom(...SPECIAL),
  fc.string({ unit: 'binary', maxLength: 3 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 4 }),
);
// Non-empty: an empty tag value is no tag at all (InfluxDB drops it, and so does encodePoint).
const text = fc
  .array(piece, { minLength: 1, maxLength: 6 })
  .map((a) => a.join(''))
  .filter((s) => s !== '');
const RUNS = 300;
const BASE_MS = 1_790_000_000_000;
const db = `cellrig_lp_${process.pid}`;
const influx = new InfluxHttp({ url: inject('influxUrl'), db });

type Case = { measurement: string; tagKey: string; tagValue: string; fieldKey: string; value: string };
const plain: Case = { measurement: 'm', tagKey: 'k', tagValue: 'v', fieldKey: 'f', value: 's' };
const PARTS: [keyof Case, LinePart | 'string value'][] = [
  ['measurement', 'measurement'],
  ['tagKey', 'tag key'],
  ['tagValue', 'tag value'],
  ['fieldKey', 'field key'],
  ['value', 'string value'],
];

const stringValueRefusal = (s: string) =>
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)
    ? 'lone surrogate'
    : undefined;

beforeAll(() => influx.ensureDatabase());
afterAll(() => influx.query(`DROP DATABASE "${db}"`, false));

describe('line protocol cases a review found', () => {
  it('stores a backslash in a tag value once, and refuses a trailing one and a field named time with a reason', async () => {
    const line = encodePoint({
      measurement: 'cases',
      tags: { cell: 'C:\\runs\\cell 7' },
      fields: { seq: 1 },
      tsMs: BASE_MS,
    });
    expect((await influx.write([line])).status).toBe(204);
    const q = await influx.query('SHOW TAG VALUES FROM "cases" WITH KEY = "cell"');
    expect(q.results[0]?.series?.[0]?.values).toEqual([['cell', 'C:\\runs\\cell 7']]);
    const trailing = {
      measurement: 'cases',
      tags: { cell: 'C:\\runs\\' },
      fields: { seq: 2 },
      tsMs: BASE_MS,
    };
    expect(() => encodePoint(trailing)).toThrow(/tag value cannot end with a backslash/);
    const time = { measurement: 'cases', tags: {}, fields: { time: 1, seq: 3 }, tsMs: BASE_MS };
    expect(() => encodePoint(time)).toThrow(/'time' is InfluxDB's timestamp/);
  });
});

describe('line protocol round trip through InfluxDB', () => {
  for (const [prop, part] of PARTS) {
    it(`stores every writable ${part} exactly as given and refuses the rest with a reason`, async () => {
      const strings = fc.sample(text, { numRuns: RUNS, seed: 2026 + prop.length });
      const lines: string[] = [];
      const expected = new Map<number, Case>();
      let refused = 0;
      for (const [i, s] of strings.entries()) {
        const c = { ...plain, [prop]: s };
        const idx = PARTS.findIndex(([p]) => p === prop) * RUNS + i + 1;
        // Each case its own measurement unless the measurement is under test: cases never share a series.
        if (prop !== 'measurement') c.measurement = `m${idx}`;
        const why = part === 'string value' ? stringValueRefusal(s) : unwritable(part, s);
        const point = {
          measurement: c.measurement,
          tags: { [c.tagKey]: c.tagValue },
          fields: { [c.fieldKey]: c.value, n: idx },
          tsMs: BASE_MS + idx,
        };
        if (c.fieldKey === 'n') continue;
        if (why) {
          refused++;
          expect(() => encodePoint(point), `${part} ${JSON.stringify(s)}: ${why}`).toThrow(/line protocol: /);
          continue;
        }
        lines.push(encodePoint(point));
        expected.set(idx, c);
      }
      const res = await influx.write(lines);
      expect(res.status, res.body).toBe(204);
      const q = await influx.query('SELECT * FROM /.*/ GROUP BY *');
      const got = new Map<number, Case>();
      for (const series of q.results[0]?.series ?? []) {
        const n = series.columns.indexOf('n');
        for (const row of series.values) {
          const idx = row[n] as number;
          if (!expected.has(idx)) continue;
          const [tagKey, tagValue] = Object.entries(series.tags ?? {}).find(([, v]) => v !== '') ?? ['', ''];
          const col = series.columns.findIndex(
            (name, k) => name !== 'time' && name !== 'n' && row[k] !== null,
          );
          got.set(idx, {
            measurement: series.name,
            tagKey,
            tagValue,
            fieldKey: series.columns[col] ?? '',
            value: String(row[col]),
          });
        }
      }
      const wrong = [...expected].filter(([idx, c]) => JSON.stringify(got.get(idx)) !== JSON.stringify(c));
      if (process.env.LP_DEBUG)
        for (const [idx, c] of wrong)
          console.log(`WRONG ${part} ${JSON.stringify(c[prop])} -> ${JSON.stringify(got.get(idx)?.[prop])}`);
      expect(wrong.map(([idx, c]) => ({ sent: c, stored: got.get(idx) }))).toEqual([]);
      expect(expected.size).toBeGreaterThan(RUNS / 3);
      console.log(`line protocol ${part}: ${expected.size} round-tripped, ${refused} refused`);
    });
  }
});
