/**
 * DRT cost against the number of points: two RC arcs and a Warburg-like tail sampled log-uniformly over
 * 7 decades at 100 to 5,000 points (a dense grid, as a long time-domain-derived spectrum has). Prints the
 * first run on a new grid (building its matrices) and the median of later runs on the same grid, and
 * that 330,000 points are refused with the limit named.
 *
 *   npm run build && node dist/bench/eis/drt-scale.js
 */
import { cpus, loadavg } from 'node:os';
import { distributionOfRelaxationTimes } from '../../src/eis/drt';
import { clearDrtBasisCache } from '../../src/eis/drt-basis';
import { type Spectrum, spectrum } from '../../src/eis/spectrum';
import { median } from './common';

/** R0 + R1/(1 + j w tau1) + R2/(1 + j w tau2) + sigma (1 - j)/sqrt(w), from 100 kHz to 10 mHz. */
export function denseSpectrum(n: number): Spectrum {
  const f = Array.from({ length: n }, (_, i) => 1e5 * 10 ** ((-7 * i) / (n - 1)));
  const re: number[] = [];
  const im: number[] = [];
  for (const fHz of f) {
    const w = 2 * Math.PI * fHz;
    let zr = 0.1;
    let zi = 0;
    for (const [r, tau] of [
      [0.05, 1e-4],
      [0.2, 0.1],
    ] as const) {
      const d = 1 + (w * tau) ** 2;
      zr += r / d;
      zi -= (r * w * tau) / d;
    }
    zr += 0.01 / Math.sqrt(w);
    zi -= 0.01 / Math.sqrt(w);
    re.push(zr);
    im.push(zi);
  }
  return spectrum(f, re, im);
}

function main(): void {
  const lines = [
    `DRT against points (Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
    '| points | basis functions | first run (new grid) ms | later runs median ms | peaks |',
    '| ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const n of [107, 500, 1000, 2000, 5000]) {
    clearDrtBasisCache();
    const s = denseSpectrum(n);
    const t0 = process.hrtime.bigint();
    const first = distributionOfRelaxationTimes(s);
    const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const times: number[] = [];
    for (let k = 0; k < (n > 2000 ? 3 : 10); k++) {
      const t = process.hrtime.bigint();
      distributionOfRelaxationTimes(s);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    lines.push(
      `| ${n} | ${first.lnTauCentres.length} | ${firstMs.toFixed(0)} | ${median(times).toFixed(1)} | ${first.peaks.length} |`,
    );
  }
  try {
    distributionOfRelaxationTimes(denseSpectrum(330_000));
    lines.push('330000 points: NOT refused');
  } catch (err) {
    lines.push(`330000 points: refused: ${(err as Error).message}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (require.main === module) main();
