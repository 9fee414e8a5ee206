/**
 * Control-loop timing with impedance analysis beside it: the loop bench (bench/control/loop.ts: 3
 * pressure holds and the oven's programmer at 10 Hz, real drivers on the simulated rig, full telemetry)
 * while eis-analyze's whole analysis (fit, Kramers-Kronig, DRT) of a spectrum starts every 10 s. Phases:
 * no analysis; the analysis pool as the nodes use it, on a real 70-point instrument file and on the
 * review's 1,000-point spectrum (its DRT takes longer than 10 s, so the worker never rests); and, for
 * comparison, the same file analysed on the control thread itself.
 *
 *   npm run build && node dist/bench/control/loop-analysis.js [seconds per phase, default 60] [phases]
 *
 * `phases`: a comma-separated subset of none,pool70,pool1000,inline70 (default: all, in that order), to
 * measure the phase that matters in a quiet minute on a shared machine.
 *
 * Each phase also prints the host's steal time and the jitter of a bare 10 Hz timer in a process of its
 * own over the same seconds: the floor the machine itself sets, which on a shared VM decides the p99.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { runLoopBench } from '../../app/cli/sim-run';
import { analyseSpectrum, type EisJob } from '../../nodes/eis-analyze/analyse';
import { eisAnalyzeConfigSchema } from '../../nodes/eis-analyze/schema';
import { DEFAULT_ANALYSIS } from '../../nodes/shared/analysis';
import { AnalysisPool } from '../../services/analysis-pool';
import { circuitImpedance, parseCircuit } from '../../src/eis/circuit';
import { seededRandom } from '../../src/random';

const root = resolve(__dirname, '..', '..', '..');
const EVERY_MS = 10_000;
/** CELLRIG_BENCH_EXPLAIN=1 lists each period over 2 ms off with the analysis event it followed. */
const explain = process.env.CELLRIG_BENCH_EXPLAIN === '1';
const CIRCUIT = 'R0-p(R1,CPE1)-p(R2,CPE2)-W1';

/** The review's spectrum size: two arcs and a diffusion tail, 0.5 % noise, 10 mHz to 1 MHz. */
function synthetic(n: number) {
  const fHz = Array.from({ length: n }, (_, i) => 0.01 * 1e8 ** (i / (n - 1)));
  const z = circuitImpedance(parseCircuit(CIRCUIT), [5, 40, 2e-6, 0.9, 120, 1e-3, 0.8, 30], fHz);
  const rnd = seededRandom(1);
  const noisy = (v: number) => v * (1 + 0.005 * rnd.uniform(-1, 1));
  return { fHz, reOhm: Array.from(z.re, noisy), imOhm: Array.from(z.im, noisy) };
}

type Phase = { key: string; name: string; job?: EisJob; where?: 'pool' | 'inline' };

async function phase(p: Phase, seconds: number) {
  // A pool per phase, so a job still running at the end of one does not load the next.
  const pool = new AnalysisPool({
    filename: join(__dirname, '..', '..', 'nodes', 'shared', 'analysis-worker.js'),
    ...DEFAULT_ANALYSIS,
    niceIncrement: 10,
  });
  const outcomes = { done: 0, refused: 0, timedOut: 0, failed: 0, cutAtEnd: 0 };
  let closing = false;
  const jobMs: number[] = [];
  const marks: { atMs: number; what: string }[] = [];
  const start = () => {
    if (!p.job) return;
    const t0 = performance.now();
    marks.push({ atMs: t0, what: 'submitted' });
    const run = p.where === 'inline' ? analyseSpectrum(p.job) : pool.run('analyseSpectrum', p.job);
    run.then(
      () => {
        outcomes.done++;
        const t1 = performance.now();
        marks.push({ atMs: t1, what: 'done' });
        jobMs.push(t1 - t0);
      },
      (err: Error) => {
        // A job still running when the phase closed its pool.
        if (closing) outcomes.cutAtEnd++;
        else if (err.name === 'AnalysisRefused') outcomes.refused++;
        else if (err.name === 'AnalysisTimedOut') outcomes.timedOut++;
        else outcomes.failed++;
      },
    );
  };
  // The control thread's own garbage collections, to tell them from the analysis as a cause.
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      marks.push({ atMs: e.startTime, what: `gc kind ${kind} of ${e.duration.toFixed(1)} ms` });
    }
  });
  if (explain) gcs.observe({ entryTypes: ['gc'] });
  const first = setTimeout(start, 1000);
  const timer = setInterval(start, EVERY_MS);
  const load0 = loadavg()[0]!;
  const cpu0 = cpuTicks();
  const reference = bareTimer(seconds);
  const r = await runLoopBench({ seconds, hz: 10 });
  clearTimeout(first);
  clearInterval(timer);
  gcs.disconnect();
  marks.sort((a, b) => a.atMs - b.atMs);
  closing = true;
  await pool.close();
  const j = r.jitterMs;
  const steal = stealShare(cpu0, cpuTicks());
  const floor = await reference;
  const jobs = jobMs.length ? `, job wall p50 ${quantile(jobMs, 0.5).toFixed(0)} ms` : '';
  console.log(
    `${p.name.padEnd(34)} jitter p50 ${j.p50.toFixed(2)} ms, p99 ${j.p99.toFixed(2)} ms, max ${j.max.toFixed(1)} ms;` +
      ` loop wall p99 ${r.loopWallMs.p99.toFixed(2)} ms; load ${load0.toFixed(1)}-${loadavg()[0]!.toFixed(1)};${steal}` +
      ` analyses ${JSON.stringify(outcomes)}${jobs}`,
  );
  console.log(`${''.padEnd(34)} beside it, a bare 10 Hz timer in its own process: ${floor}`);
  if (explain)
    for (const o of r.offPeriods) console.log(`  ${o.ms.toFixed(2)} ms off, ${nearest(marks, o.atMs)}`);
}

/** Which analysis event a period that started off time followed, and by how long. */
function nearest(marks: { atMs: number; what: string }[], atMs: number): string {
  const before = marks.filter((m) => m.atMs <= atMs).at(-1);
  return before ? `${(atMs - before.atMs).toFixed(0)} ms after ${before.what}` : 'before any analysis';
}

/**
 * The machine's own floor: a Node process with nothing to do but a 10 Hz timer, run beside the phase.
 * Its late periods come from the host (vCPU preemption, timer slack), not from anything cellrig does.
 */
function bareTimer(seconds: number): Promise<string> {
  const code = `const s=[];const t=setInterval(()=>s.push(performance.now()),100);setTimeout(()=>{clearInterval(t);
const j=s.slice(1).map((x,i)=>Math.abs(x-s[i]-100)).sort((a,b)=>a-b);const q=p=>j[Math.min(j.length-1,Math.floor(p*j.length))];
console.log('jitter p50 '+q(.5).toFixed(2)+' ms, p99 '+q(.99).toFixed(2)+' ms, max '+j[j.length-1].toFixed(1)+' ms')},${seconds * 1000});`;
  return new Promise((done) => {
    execFile(process.execPath, ['-e', code], (err, stdout) =>
      done(err ? `not measured (${err.message})` : stdout.trim()),
    );
  });
}

/** The machine's CPU time counters (Linux /proc/stat, in ticks): user nice system idle iowait irq softirq steal. */
function cpuTicks(): number[] | undefined {
  try {
    return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  } catch {
    return undefined;
  }
}

/**
 * The share of CPU time the hypervisor took from this VM's vCPUs during the phase: time the control
 * thread could not run however idle the machine looked, which shows up as late periods.
 */
function stealShare(a: number[] | undefined, b: number[] | undefined): string {
  if (!a || !b) return '';
  const d = b.map((v, i) => v - (a[i] ?? 0));
  const total = d.reduce((x, y) => x + y, 0);
  return total > 0 ? ` host steal ${((100 * (d[7] ?? 0)) / total).toFixed(1)} %;` : '';
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 60);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, Node ${process.version}`);
  const config = eisAnalyzeConfigSchema.parse({ circuit: CIRCUIT, weighting: 'modulus', guess: '' });
  const file = join(root, '..', 'shared', 'data', 'eis', 'MPT_example.mpt');
  const real: EisJob = {
    config: { ...config, circuit: 'R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-CPE4' },
    payload: file,
  };
  const big: EisJob = { config, payload: synthetic(1000) };
  console.log(
    `analysis pool: ${DEFAULT_ANALYSIS.threads} worker(s), queue ${DEFAULT_ANALYSIS.queue}, limit ${DEFAULT_ANALYSIS.timeoutMs / 1000} s;` +
      ` one analysis started every ${EVERY_MS / 1000} s; ${seconds} s per phase`,
  );
  const phases: Phase[] = [
    { key: 'none', name: 'no analysis' },
    { key: 'pool70', name: 'pool, MPT_example.mpt (70 points)', job: real, where: 'pool' },
    { key: 'pool1000', name: 'pool, 1,000-point spectrum', job: big, where: 'pool' },
    { key: 'inline70', name: 'inline, MPT_example.mpt (70 points)', job: real, where: 'inline' },
  ];
  const only = process.argv[3]?.split(',');
  const unknown = only?.filter((k) => !phases.some((p) => p.key === k)) ?? [];
  if (unknown.length)
    throw new Error(`unknown phase ${unknown.join(', ')}: pick from ${phases.map((p) => p.key)}`);
  for (const p of phases.filter((x) => !only || only.includes(x.key))) await phase(p, seconds);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
