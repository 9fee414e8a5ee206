/**
 * Kramers-Kronig and DRT benchmark over every measured spectrum in ../shared/data/eis, as read by
 * detection alone. Prints, per spectrum, the median and min wall time over RUNS runs (after WARMUP
 * untimed ones) and the model-evaluation counts: for the KK test the number of RC chains fitted while
 * choosing M; for the DRT the GCV evaluations and active-set NNLS iterations. The DRT's first run on a
 * frequency grid builds that grid's matrices (reported apart as "first"); later runs reuse them, as the
 * rig's next spectrum on the same grid does.
 *
 *   npm run build && node dist/bench/eis/kk-drt.js [runs]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { type DrtResult, distributionOfRelaxationTimes } from '../../src/eis/drt';
import { clearDrtBasisCache } from '../../src/eis/drt-basis';
import { type KkResult, kramersKronigTest } from '../../src/eis/kk';
import { parseSpectrumFile } from '../../src/eis/readers';
import { eisDataDir, median, timeRuns } from './common';

const RUNS = Math.max(20, Number(process.argv[2]) || 50);
const WARMUP = 5;

function timed<T>(work: () => T): { result: T; medianMs: number; minMs: number } {
  // WARMUP + 1 untimed calls: the warm-up and the one that seeded the result, as this bench always made.
  const { result, times } = timeRuns(work, WARMUP + 1, RUNS);
  return { result, medianMs: median(times), minMs: Math.min(...times) };
}

function main(): void {
  if (!eisDataDir) throw new Error('../shared/data/eis not found');
  const files = readdirSync(eisDataDir)
    .filter((n) => !n.endsWith('.md') && !n.startsWith('LICENSE'))
    .sort();
  console.log(
    `KK and DRT per spectrum, ${RUNS} timed runs after ${WARMUP} warm-up, Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log(
    `${'file'.padEnd(26)} ${'n'.padStart(4)} | ${'KK med'.padStart(7)} ${'min'.padStart(6)} ${'chains'.padStart(6)} ${'M'.padStart(3)} ${'valid'.padStart(5)} ${'max%'.padStart(6)} | ${'DRT first'.padStart(9)} ${'med'.padStart(6)} ${'min'.padStart(6)} ${'gcv'.padStart(4)} ${'nnls'.padStart(4)} ${'lambda'.padStart(9)} ${'peaks'.padStart(5)}`,
  );
  const kkMedians: number[] = [];
  const drtMedians: number[] = [];
  for (const file of files) {
    const s = parseSpectrumFile(file, readFileSync(path.join(eisDataDir, file))).spectrum;
    const kk = timed<KkResult>(() => kramersKronigTest(s));
    clearDrtBasisCache();
    const t0 = process.hrtime.bigint();
    distributionOfRelaxationTimes(s);
    const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const drt = timed<DrtResult>(() => distributionOfRelaxationTimes(s));
    kkMedians.push(kk.medianMs);
    drtMedians.push(drt.medianMs);
    const k = kk.result;
    const d = drt.result;
    console.log(
      `${file.padEnd(26)} ${String(s.fHz.length).padStart(4)} | ${kk.medianMs.toFixed(3).padStart(7)} ${kk.minMs.toFixed(3).padStart(6)} ${String(k.chainsFitted).padStart(6)} ${String(k.M).padStart(3)} ${String(k.valid).padStart(5)} ${Math.max(k.maxResidualRealPct, k.maxResidualImagPct).toFixed(2).padStart(6)} | ${firstMs.toFixed(1).padStart(9)} ${drt.medianMs.toFixed(3).padStart(6)} ${drt.minMs.toFixed(3).padStart(6)} ${String(d.gcvEvaluations).padStart(4)} ${String(d.nnlsIterations).padStart(4)} ${d.lambda.toExponential(1).padStart(9)}${d.lambdaAtBound ? '*' : ' '} ${String(d.peaks.length).padStart(4)}`,
    );
  }
  // The upper middle value for an even count, as this line has always printed.
  const overSpectra = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  console.log(
    `median over spectra: KK ${overSpectra(kkMedians).toFixed(3)} ms, DRT ${overSpectra(drtMedians).toFixed(3)} ms (* lambda at the edge of the GCV range)`,
  );
}

main();
