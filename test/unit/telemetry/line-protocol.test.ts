import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/random';
import {
  encodePoint,
  lineFromSample,
  pointFromSample,
  pointTimestampNs,
} from '../../../src/telemetry/line-protocol';
import { decodeSample, MAX_PAYLOAD_BYTES, type Sample } from '../../../src/telemetry/schemas';
import { parseTopic, rigTopic, streamTopic } from '../../../src/telemetry/topics';

describe('line protocol', () => {
  it('writes seq as an integer, every other number as a float, tags sorted and escaped', () => {
    const p = pointFromSample('rig01', 'ch1', 'pressure', {
      ts: 1_700_000_000_123,
      seq: 42,
      cell: 'TFAA NMC811',
      coating: 'TFAA-2wt%',
      pressureMPa: 150,
      forceN: 11780.97,
    });
    expect(encodePoint(p)).toBe(
      'pressure,cell=TFAA\\ NMC811,channel=ch1,coating=TFAA-2wt%,rig=rig01 seq=42i,pressureMPa=150,forceN=11780.97 1700000000123000042',
    );
  });

  it('quotes and escapes string fields and keeps booleans', () => {
    const line = encodePoint({
      measurement: 'events',
      tags: { rig: 'r', channel: 'c' },
      fields: { note: 'say "hi" \\ bye', excursion: true },
      tsMs: 1,
    });
    expect(line).toBe('events,channel=c,rig=r note="say \\"hi\\" \\\\ bye",excursion=true 1000000');
  });
});

describe("lineFromSample (the writer's fast path)", () => {
  it('writes exactly what encodePoint(pointFromSample(...)) writes', () => {
    const samples: Sample[] = [
      {
        ts: 1_700_000_000_123,
        seq: 42,
        cell: 'TFAA NMC811',
        coating: 'TFAA-2wt%',
        pressureMPa: 150,
        forceN: 11780.97,
      },
      {
        ts: 1_700_000_000_124,
        seq: 1_000_043,
        pressureMPa: 149.5,
        forceN: 1,
        excursion: true,
        note: 'a "b"',
      },
      { ts: 1_700_000_000_125, seq: 0, cell: 'x,y=z', pressureMPa: -0.5, forceN: 0 },
    ];
    for (const s of samples) {
      for (let again = 0; again < 2; again++) {
        expect(lineFromSample('rig01', 'ch 1', 'pressure', s)).toBe(
          encodePoint(pointFromSample('rig01', 'ch 1', 'pressure', s)),
        );
      }
    }
  });
});

describe('point timestamps', () => {
  it('give every seq of a series its own point, even within one millisecond', () => {
    const at = (seq: number) =>
      encodePoint({ measurement: 'm', tags: {}, fields: { seq }, tsMs: 1_700_000_000_000 }).split(' ')[2];
    expect(at(1)).not.toBe(at(2));
    expect(at(1_000_001)).toBe('1700000000000000001');
  });

  it('print the truncated ms, then the seq mod 10^6 padded to six digits', () => {
    const reference = (tsMs: number, seq: number) =>
      `${Math.trunc(tsMs)}${String(Math.trunc(seq) % 1_000_000).padStart(6, '0')}`;
    const rng = seededRandom(6);
    const times = [
      0,
      1,
      999_999,
      1_000_000,
      1_000_001,
      1_700_000_000_000,
      1_700_000_000_999.7,
      2 ** 53,
      1e21,
    ];
    for (let i = 0; i < 2000; i++) times.push(rng.int(0, 10_000_000_000_000), rng.int(0, 1e6) * 1_000_000);
    const seqs = [0, 7, 999_999, 1_000_000, 1_234_567, Number.MAX_SAFE_INTEGER, 12.9];
    for (let i = 0; i < 200; i++) seqs.push(rng.int(0, 2 ** 40));
    for (const tsMs of times)
      for (const seq of seqs.slice(0, 20))
        expect(pointTimestampNs({ measurement: 'm', tags: {}, fields: { seq }, tsMs })).toBe(
          reference(tsMs, seq),
        );
    for (const seq of seqs)
      expect(pointTimestampNs({ measurement: 'm', tags: {}, fields: { seq }, tsMs: 1_700_000_000_000 })).toBe(
        reference(1_700_000_000_000, seq),
      );
  });
});

describe('topics', () => {
  it('round-trips stream and rig topics and rejects others', () => {
    expect(parseTopic(streamTopic('rig01', 'ch2', 'pressure'))).toEqual({
      kind: 'stream',
      rig: 'rig01',
      channel: 'ch2',
      stream: 'pressure',
    });
    expect(parseTopic(rigTopic('rig01', 'status'))).toEqual({ kind: 'rig', rig: 'rig01', topic: 'status' });
    expect(parseTopic('cellrig/v1/rig01/a/b/c')).toEqual({ kind: 'other', rig: 'rig01' });
    expect(parseTopic('other/v1/x/y/z')).toEqual({ kind: 'other', rig: undefined });
  });
});

describe('sample schemas', () => {
  const ok = { ts: 1_700_000_000_000, seq: 0, pressureMPa: 150, forceN: 11781 };
  it('accepts a valid pressure sample', () => {
    expect(decodeSample('pressure', JSON.stringify(ok))).toEqual({ ok: true, sample: ok });
  });
  it('names the failing field', () => {
    const r = decodeSample('pressure', JSON.stringify({ ...ok, seq: 1.5 }));
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/^seq:/) });
    const r2 = decodeSample('pressure', JSON.stringify({ ...ok, pressureMPa: undefined }));
    expect(r2).toMatchObject({ ok: false, error: expect.stringMatching(/pressureMPa/) });
  });
  it('rejects nesting, bad field names, oversized payloads and non-JSON', () => {
    expect(decodeSample('temp', JSON.stringify({ ...ok, nested: { a: 1 } })).ok).toBe(false);
    for (let again = 0; again < 2; again++) {
      expect(decodeSample('temp', JSON.stringify({ ...ok, good_name1: 1 })).ok).toBe(true);
      expect(decodeSample('temp', JSON.stringify({ ...ok, 'bad name': 1 })).ok).toBe(false);
      expect(decodeSample('temp', JSON.stringify({ ...ok, good_name1: 1, '1bad': 1 })).ok).toBe(false);
    }
    expect(decodeSample('temp', 'x'.repeat(MAX_PAYLOAD_BYTES + 1))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/limit/),
    });
    expect(decodeSample('temp', '{"ts":')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not JSON/),
    });
  });
});
