/**
 * Control-loop timing on the real clock: 3 pressure holds and the oven's profile programmer at 10 Hz,
 * with the real drivers on the simulated rig and full telemetry through the journaled publisher.
 * Prints period jitter, loop wall time and CPU per loop (the same figures as `cellrig sim bench`).
 *
 *   npm run build && node dist/bench/control/loop.js [seconds]
 */
import { cpus } from 'node:os';
import { runLoopBench } from '../../app/cli/sim-run';

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 60);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, Node ${process.version}`);
  const r = await runLoopBench({ seconds, hz: 10 });
  console.log(`control loop at ${r.hz} Hz for ${seconds} s: ${r.loops} loops in ${r.periods} periods`);
  console.log(
    `period jitter p50 ${r.jitterMs.p50.toFixed(2)} ms, p99 ${r.jitterMs.p99.toFixed(2)} ms, max ${r.jitterMs.max.toFixed(2)} ms`,
  );
  console.log(`loop wall time p50 ${r.loopWallMs.p50.toFixed(2)} ms, p99 ${r.loopWallMs.p99.toFixed(2)} ms`);
  console.log(`CPU per loop ${r.cpuMsPerLoop.toFixed(2)} ms, ${r.published} samples published`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
