/**
 * Circuit-fit benchmark: every measured spectrum in ../shared/data/eis with its circuit (fit-cases.ts),
 * fitted with no initial guess, and impedance.py's getting-started fit from its documented guess.
 * Prints median and min wall time per fit over RUNS runs (after untimed warm-up ones), model evaluations
 * per fit and the rms relative residual. The warm-up matters: V8 optimises a function once it has run
 * enough, and TRF's loop, run once per fit from a guess, is optimised only after about 100 fits, the
 * last of the fitter's functions after about 250 (--trace-opt); without a guess every function runs
 * dozens of times per fit.
 *
 *   npm run build && node dist/bench/eis/fit.js [runs]
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { type Circuit, parseCircuit } from '../../src/eis/circuit';
import { dropInductive } from '../../src/eis/drop-inductive';
import { type FitOptions, type FitResult, fitCircuit } from '../../src/eis/fit';
import { parseSpectrumFile } from '../../src/eis/readers';
import type { Spectrum } from '../../src/eis/spectrum';
import { eisDataDir, median, timeRuns } from './common';
import { FIT_CASES } from './fit-cases';

const RUNS = Math.max(20, Number(process.argv[2]) || 100);
const WARMUP = 50;
/** Warm-up fits from the guess: the steady state a long-running process (the analysis pool) reaches. */
const GUESS_WARMUP = 300;

function load(file: string, drop: boolean): Spectrum {
  if (!eisDataDir) throw new Error('../shared/data/eis not found');
  const s = parseSpectrumFile(file, readFileSync(path.join(eisDataDir, file))).spectrum;
  return drop ? dropInductive(s) : s;
}

type Row = {
  label: string;
  circuit: string;
  points: number;
  params: number;
  fit: FitResult;
  times: number[];
};

function time(label: string, circuit: Circuit, data: Spectrum, options: FitOptions, warmup = WARMUP): Row {
  const { result: fit, times } = timeRuns(() => fitCircuit(circuit, data, options), warmup, RUNS);
  return {
    label,
    circuit: circuit.text,
    points: data.fHz.length,
    params: circuit.parameterNames.length,
    fit,
    times,
  };
}

function main(): void {
  const rows: Row[] = [];
  const example = parseCircuit('R0-p(R1,C1)-p(R2-Wo1,C2)');
  const exampleData = load('exampleData.csv', true);
  rows.push(
    time(
      'exampleData.csv, documented guess',
      example,
      exampleData,
      { initialGuess: [0.01, 0.01, 100, 0.01, 0.05, 100, 1] },
      GUESS_WARMUP,
    ),
  );
  for (const c of FIT_CASES) {
    rows.push(
      time(`${c.file}, no guess`, parseCircuit(c.circuit), load(c.file, c.dropInductive), {
        weighting: c.weighting,
      }),
    );
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `circuit fits: ${RUNS} timed runs each after ${WARMUP} warm-up (${GUESS_WARMUP} from the guess); Node ${process.version}, ${cpus().length} x ${cpu}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n\n`,
  );
  const header = `| spectrum | circuit | N | params | median ms | min ms | evaluations | rms rel. % | converged |`;
  const lines = [header, '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |'];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | \`${r.circuit}\` | ${r.points} | ${r.params} | ${median(r.times).toFixed(3)} | ${Math.min(...r.times).toFixed(3)} | ${r.fit.evaluations} | ${(100 * r.fit.rmsRelative).toFixed(2)} | ${r.fit.converged ? 'yes' : 'no'} (${r.fit.reason}) |`,
    );
  }
  const auto = rows.slice(1).map((r) => median(r.times));
  lines.push('', `median over the ${auto.length} no-guess fits: ${median(auto).toFixed(2)} ms`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
