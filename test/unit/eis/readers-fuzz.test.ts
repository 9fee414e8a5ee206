import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { distributionOfRelaxationTimes } from '../../../src/eis/drt';
import { kramersKronigTest } from '../../../src/eis/kk';
import { parseSpectrumFile, SpectrumFileError } from '../../../src/eis/readers';
import type { Spectrum } from '../../../src/eis/spectrum';
import { SpectrumInputError } from '../../../src/eis/spectrum-checks';
import { type Random, seededRandom } from '../../../src/random';

const dataDir = path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'eis');
const seeds: { name: string; bytes: Buffer }[] = readdirSync(dataDir)
  .filter((n) => !n.endsWith('.md') && !n.startsWith('LICENSE'))
  .map((name) => ({ name, bytes: readFileSync(path.join(dataDir, name)) }));
seeds.push(
  {
    name: 'small.csv',
    bytes: Buffer.from('1000,1,-0.1\n100,1.5,-0.5\n10,2,-0.2\n1,2.1,-0.1\n0.1,2.2,-0.3\n'),
  },
  {
    name: 'header.txt',
    bytes: Buffer.from('freq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\n1e4\t5\t0.1\n1e3\t6\t1\n1e2\t8\t0.5\n'),
  },
);

const NUMBER = /[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/g;
const REPLACEMENTS = [
  'NaN',
  'nan',
  'inf',
  '-Infinity',
  '-1',
  '0',
  '',
  '1e999',
  '-0',
  'abc',
  '1,5',
  '1.2.3',
  '0x10',
  ' ',
];

function lines(text: string): string[] {
  return text.split('\n');
}

/** One random damage to a file's text or bytes, of the kinds a broken export or transfer produces. */
function mutate(bytes: Buffer, rnd: Random): Buffer {
  const text = bytes.toString('latin1');
  const ls = lines(text);
  const pick = (n: number) => rnd.int(0, Math.max(0, n - 1));
  switch (rnd.int(0, 13)) {
    case 0: // truncated
      return bytes.subarray(0, rnd.int(0, bytes.length));
    case 1: // a line deleted
      ls.splice(pick(ls.length), 1);
      break;
    case 2: {
      // a line duplicated (a repeated frequency)
      const i = pick(ls.length);
      ls.splice(i, 0, ls[i]!);
      break;
    }
    case 3: {
      // one number replaced by garbage, NaN, infinity, zero or a negative value
      const i = pick(ls.length);
      const matches = [...ls[i]!.matchAll(NUMBER)];
      if (matches.length) {
        const m = matches[pick(matches.length)]!;
        const r = REPLACEMENTS[pick(REPLACEMENTS.length)]!;
        ls[i] = ls[i]!.slice(0, m.index) + r + ls[i]!.slice(m.index! + m[0].length);
      }
      break;
    }
    case 4: {
      // a number negated (negative frequency, sign flip of Im)
      const i = pick(ls.length);
      ls[i] = ls[i]!.replace(NUMBER, (s) => (rnd.next() < 0.3 ? `-${s}` : s));
      break;
    }
    case 5: // only the first k lines (header only, one point)
      return Buffer.from(ls.slice(0, rnd.int(0, 4)).join('\n'), 'latin1');
    case 6: // empty
      return Buffer.alloc(0);
    case 7: {
      // a field dropped from one line (wrong columns)
      const i = pick(ls.length);
      const parts = ls[i]!.split(/([,;\t ]+)/);
      if (parts.length > 2) parts.splice(pick(parts.length - 1), 2);
      ls[i] = parts.join('');
      break;
    }
    case 8: {
      // separators changed on one line
      const i = pick(ls.length);
      ls[i] = ls[i]!.replace(/[,\t]/g, [';', ',', '\t', '  '][rnd.int(0, 3)]!);
      break;
    }
    case 9: {
      // random bytes inserted (binary noise, NUL, BOM fragments)
      const out = Buffer.from(bytes);
      const noise = Buffer.from(Array.from({ length: rnd.int(1, 8) }, () => rnd.int(0, 255)));
      const at = rnd.int(0, out.length);
      return Buffer.concat([out.subarray(0, at), noise, out.subarray(at)]);
    }
    case 10: {
      // two lines swapped (frequency order broken)
      const i = pick(ls.length);
      const j = pick(ls.length);
      [ls[i], ls[j]] = [ls[j]!, ls[i]!];
      break;
    }
    case 11: // a very long line
      ls.splice(pick(ls.length), 0, '9'.repeat(rnd.int(300, 5000)));
      break;
    case 12: {
      // one byte flipped
      const out = Buffer.from(bytes);
      if (out.length) out[pick(out.length)] = rnd.int(0, 255);
      return out;
    }
    default: // extra columns on one line
      ls[pick(ls.length)] += ',1,2,3';
      break;
  }
  return Buffer.from(ls.join('\n'), 'latin1');
}

function expectSane(s: Spectrum): void {
  const n = s.fHz.length;
  expect(n).toBeGreaterThan(0);
  expect(s.reOhm).toHaveLength(n);
  expect(s.imOhm).toHaveLength(n);
  for (let i = 0; i < n; i++) {
    expect(s.fHz[i]! > 0 && Number.isFinite(s.fHz[i]!)).toBe(true);
    expect(Number.isFinite(s.reOhm[i]!) && Number.isFinite(s.imOhm[i]!)).toBe(true);
  }
}

/** A KK or DRT outcome: every number it reports is a number (mu may be -Infinity, never NaN). */
function expectFinite(values: readonly number[]): void {
  for (const v of values) expect(Number.isNaN(v)).toBe(false);
}

describe('instrument file readers under 10,000 random mutations', () => {
  const rnd = seededRandom(20261125);
  const parsed: { name: string; spectrum: Spectrum }[] = [];
  let errors = 0;

  it('give a SpectrumFileError naming the file (and line) or a sane spectrum, quickly', () => {
    let slowest = 0;
    for (let k = 0; k < 10_000; k++) {
      const seed = seeds[rnd.int(0, seeds.length - 1)]!;
      let bytes = seed.bytes;
      const damages = rnd.int(1, 3);
      for (let d = 0; d < damages; d++) bytes = mutate(bytes, rnd);
      const t0 = performance.now();
      try {
        const { spectrum } = parseSpectrumFile(seed.name, bytes);
        expectSane(spectrum);
        if (k % 10 === 0) parsed.push({ name: seed.name, spectrum });
      } catch (err) {
        if (!(err instanceof SpectrumFileError)) throw new Error(`case ${k} (${seed.name}): ${String(err)}`);
        expect(err.fileName).toBe(seed.name);
        expect(err.message.startsWith(`${seed.name}`)).toBe(true);
        expect(err.problem.length).toBeGreaterThan(3);
        errors++;
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    expect(errors).toBeGreaterThan(1000);
    expect(parsed.length).toBeGreaterThan(100);
    expect(slowest).toBeLessThan(1000);
  });

  it('feed the Kramers-Kronig test only input it answers with a verdict or a clear error', () => {
    expect(parsed.length).toBeGreaterThan(0);
    for (const { name, spectrum } of parsed) {
      try {
        const r = kramersKronigTest(spectrum, { maxM: 25 });
        expectFinite([r.maxResidualRealPct, r.maxResidualImagPct, r.rmsResidualPct, r.mu, r.M]);
        expect(typeof r.valid).toBe('boolean');
      } catch (err) {
        if (!(err instanceof SpectrumInputError)) throw new Error(`${name}: ${String(err)}`);
      }
    }
  });

  it('feed the DRT only input it answers with finite results or a clear error', () => {
    for (const { name, spectrum } of parsed.slice(0, 60)) {
      try {
        const r = distributionOfRelaxationTimes(spectrum);
        expectFinite([r.lambda, r.rInfOhm, r.lH, r.rPolOhm, r.rmsResidualOhm, ...r.gammaOhm]);
        for (const p of r.peaks) expectFinite([p.tauS, p.fHz, p.rOhm, p.share]);
      } catch (err) {
        if (!(err instanceof SpectrumInputError)) throw new Error(`${name}: ${String(err)}`);
      }
    }
  });
});

describe('analyses under 10,000 random payloads', () => {
  it('answer every {f, re, im} payload with a result or a SpectrumInputError, never NaN', () => {
    const rnd = seededRandom(42);
    const bad = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -1, -1e-3];
    let rejected = 0;
    let analysed = 0;
    for (let k = 0; k < 10_000; k++) {
      const n = rnd.int(0, 24);
      const fHz = Array.from({ length: n }, (_, i) => 1e4 * 10 ** (-i / 4));
      const re = Array.from({ length: n }, () => rnd.uniform(0.5, 2));
      const im = Array.from({ length: n }, () => -rnd.uniform(0, 1));
      const kind = rnd.int(0, 7);
      if (n > 0 && kind === 0) fHz[rnd.int(0, n - 1)] = bad[rnd.int(0, bad.length - 1)]!;
      if (n > 0 && kind === 1) re[rnd.int(0, n - 1)] = bad[rnd.int(0, 2)]!;
      if (n > 1 && kind === 2) fHz[rnd.int(1, n - 1)] = fHz[0]!;
      if (n > 0 && kind === 3) re.pop();
      if (n > 0 && kind === 4) {
        const i = rnd.int(0, n - 1);
        re[i] = 0;
        im[i] = 0;
      }
      if (kind === 5) for (let i = 0; i < n; i++) im[i] = 0;
      const payload = {
        fHz: Float64Array.from(fHz),
        reOhm: Float64Array.from(re),
        imOhm: Float64Array.from(im),
      };
      for (const analyse of [
        () => {
          const r = kramersKronigTest(payload, { maxM: 12 });
          expectFinite([r.maxResidualRealPct, r.maxResidualImagPct, r.mu]);
        },
        () => {
          if (k % 20 !== 0) return;
          const r = distributionOfRelaxationTimes(payload);
          expectFinite([r.lambda, r.rInfOhm, r.rPolOhm, ...r.gammaOhm]);
        },
      ]) {
        try {
          analyse();
          analysed++;
        } catch (err) {
          if (!(err instanceof SpectrumInputError)) throw new Error(`payload ${k}: ${String(err)}`);
          expect(err.message).toMatch(/^(Kramers-Kronig test|DRT): /);
          rejected++;
        }
      }
    }
    expect(rejected).toBeGreaterThan(2000);
    expect(analysed).toBeGreaterThan(2000);
  });
});
