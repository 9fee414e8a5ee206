import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../app/cli/eis';
import { denseSpectrum } from '../../../bench/eis/drt-scale';
import { parseCircuit } from '../../../src/eis/circuit';
import { distributionOfRelaxationTimes } from '../../../src/eis/drt';
import { MAX_RBF_PER_DECADE } from '../../../src/eis/drt-basis';
import { fitCircuit } from '../../../src/eis/fit';
import { kramersKronigTest } from '../../../src/eis/kk';
import { MAX_SPECTRUM_POINTS } from '../../../src/eis/limits';
import { seededRandom } from '../../../src/random';
import { runCli } from '../../support/cli';

const tmp = mkdtempSync(path.join(tmpdir(), 'cellrig-eis-limits-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bounded work', () => {
  it('gives a 1,000-point spectrum a DRT on at most 20 basis functions per decade, both arcs found', () => {
    // pyDRTtools' one basis function per point made this 1,000 x 1,000 and took 12 s (bench/eis/drt-scale.ts).
    const drt = distributionOfRelaxationTimes(denseSpectrum(1000), { lambda: 1e-4 });
    expect(drt.lnTauCentres.length).toBeLessThanOrEqual(7 * MAX_RBF_PER_DECADE + 1);
    const taus = drt.peaks.filter((p) => p.share > 0.1).map((p) => p.tauS);
    expect(taus.some((t) => Math.abs(Math.log10(t / 1e-4)) < 0.3)).toBe(true);
    expect(taus.some((t) => Math.abs(Math.log10(t / 0.1)) < 0.3)).toBe(true);
  });

  it('runs every analysis on 5,000 points and refuses 5,001, or 330,000, naming the limit', () => {
    const ok = denseSpectrum(MAX_SPECTRUM_POINTS);
    expect(kramersKronigTest(ok).M).toBeLessThanOrEqual(50);
    for (const n of [MAX_SPECTRUM_POINTS + 1, 330_000]) {
      const s = denseSpectrum(n);
      const limit = new RegExp(`${n} points; at most ${MAX_SPECTRUM_POINTS}`);
      expect(() => distributionOfRelaxationTimes(s)).toThrow(limit);
      expect(() => kramersKronigTest(s)).toThrow(limit);
      expect(() => fitCircuit(parseCircuit('R0-p(R1,C1)'), s)).toThrow(limit);
    }
  });
});

describe('no input makes validate or drt print NaN or Infinity', () => {
  const cli = (...argv: string[]) => runCli(main, argv);
  const random = seededRandom(5);
  /** A spectrum file with values drawn across, and just past, the range the analyses accept. */
  const hostileFile = (k: number) => {
    const n = random.int(5, 40);
    const mode = k % 6;
    const rows: string[] = [];
    for (let i = 0; i < n; i++) {
      const f =
        mode === 0 ? 10 ** random.uniform(-12, 15) : mode === 1 ? 10 ** (5 - (7 * i) / n) : 1e3 / (i + 1);
      const scale =
        mode === 2
          ? 10 ** random.uniform(-99, 99)
          : mode === 3
            ? 1e99
            : mode === 4
              ? 1e-99
              : 10 ** random.uniform(-3, 3);
      const special = [1e308, -1e308, 1e-320, 0, 1e100, 1e-100][random.int(0, 5)]!;
      const re = random.next() < 0.05 ? special : scale * random.uniform(-1, 2);
      const im = random.next() < 0.05 ? special : scale * random.uniform(-2, 1);
      rows.push(`${f},${re},${im}`);
    }
    const file = path.join(tmp, `hostile-${k}.csv`);
    writeFileSync(file, `${rows.join('\n')}\n`);
    return file;
  };

  it('answers 60 hostile files with a result or a refusal (exit 0, 3 or 5), and never NaN or Infinity', async () => {
    const codes = new Set<number>();
    for (let k = 0; k < 60; k++) {
      const file = hostileFile(k);
      for (const argv of [
        ['validate', file],
        ['validate', file, '--json'],
        ['drt', file],
        ['drt', file, '--json'],
      ]) {
        const { code, out, err } = await cli(...argv);
        expect([0, 3, 5], `${argv.join(' ')}: ${err}`).toContain(code);
        expect(out, argv.join(' ')).not.toMatch(/NaN|Infinity/);
        codes.add(code);
      }
    }
    // Both analysed and refused files among them.
    expect(codes.has(5)).toBe(true);
    expect([...codes].some((c) => c === 0 || c === 3)).toBe(true);
  });
});
