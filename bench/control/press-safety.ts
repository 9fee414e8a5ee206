/**
 * The press safety layer against many random command sequences (devices/sim/runs/press-sequences.ts):
 * prints how close the raw reading (installed calibration) and the true stack force came to the overload
 * limit, how often the layer had to stop the press, and what was accepted and refused.
 *
 *   npm run build && node dist/bench/control/press-safety.js [sequences] [hours]
 */
import { runPressSequence, type SequenceResult } from '../../devices/sim/runs/press-sequences';

async function main(): Promise<void> {
  const sequences = Number(process.argv[2] ?? 200);
  const hours = Number(process.argv[3] ?? 1);
  const t0 = performance.now();
  const results: SequenceResult[] = [];
  for (let seed = 1; seed <= sequences; seed++) results.push(await runPressSequence({ seed, hours }));
  const wallS = (performance.now() - t0) / 1000;
  const worstRaw = Math.max(...results.map((r) => r.maxRawMPa - r.overloadMPa));
  const worstTrue = Math.max(...results.map((r) => r.maxTrueMPa - r.overloadMPa));
  const sum = (f: (r: SequenceResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const tally = (which: 'accepted' | 'refused') => {
    const t: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(r[which])) t[k] = (t[k] ?? 0) + (v ?? 0);
    return t;
  };
  const alarms: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.alarms)) alarms[k] = (alarms[k] ?? 0) + v;
  console.log(
    `${sequences} sequences x ${hours} h of rig time (${sum((r) => r.periods)} control periods) in ${wallS.toFixed(1)} s`,
  );
  console.log(
    `worst raw reading (installed calibration) above the overload limit: ${worstRaw.toFixed(3)} MPa`,
  );
  console.log(`worst true stack pressure above the overload limit: ${worstTrue.toFixed(3)} MPa`);
  console.log(
    `sequences that came within 2 MPa of the limit: ${results.filter((r) => r.overloadMPa - r.maxRawMPa < 2).length}`,
  );
  console.log(`accepted: ${JSON.stringify(tally('accepted'))}`);
  console.log(`refused: ${JSON.stringify(tally('refused'))}`);
  console.log(`alarms: ${JSON.stringify(alarms)}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
