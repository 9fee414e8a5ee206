/**
 * How often a fit with no initial guess finds the answer: random spectra of five circuit shapes (arcs of
 * 1 Ohm to 100 kOhm whose apex frequencies lie 1 to 2.5 decades apart, CPE exponents 0.7 to 1, tails),
 * 60 points from 10 mHz to 100 kHz, 0.5 % complex noise. A fit "reaches the noise level" when its rms
 * relative residual is under 0.65 % (the noise alone gives about 0.5 %). Seeded, so it repeats exactly.
 *
 *   npm run build && node dist/bench/eis/fit-synthetic.js [count] [starts]
 */
import { circuitImpedance, parseCircuit } from '../../src/eis/circuit';
import { fitCircuit } from '../../src/eis/fit';
import { spectrum } from '../../src/eis/spectrum';
import { seededRandom } from '../../src/random';

const COUNT = Number(process.argv[2]) || 150;
const STARTS = Number(process.argv[3]) || undefined;
const NOISE = 0.005;
const REACHED = 0.0065;

const SHAPES = [
  'R0-p(R1,CPE1)-p(R2,CPE2)-CPE3',
  'p(R1,CPE1)-p(R2,CPE2)-CPE3',
  'R0-p(R1,C1)-p(R2-Wo1,C2)',
  'L0-R0-p(R1,CPE1)-p(R2,CPE2)-CPE3',
  'R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)',
].map(parseCircuit);

function main(): void {
  const random = seededRandom(123);
  const fHz = Array.from({ length: 60 }, (_, i) => 0.01 * 1e7 ** (i / 59));
  const tally = SHAPES.map(() => ({ reached: 0, total: 0, evaluations: 0 }));
  for (let t = 0; t < COUNT; t++) {
    const shape = t % SHAPES.length;
    const circuit = SHAPES[shape]!;
    const p = new Float64Array(circuit.parameterNames.length);
    // Walk the elements in written order, each arc's apex 1 to 2.5 decades below the previous one.
    let apexHz = 1e6;
    for (const e of circuit.elements) {
      const at = e.paramStart;
      const symbol = e.def.symbol;
      if (symbol === 'R') p[at] = 10 ** random.uniform(0, 5);
      else if (symbol === 'L') p[at] = 10 ** random.uniform(-8, -6);
      else if (symbol === 'C') {
        apexHz /= 10 ** random.uniform(1, 2.5);
        p[at] = 1 / (2 * Math.PI * apexHz * p[at - 1]!);
      } else if (symbol === 'CPE') {
        const alpha = random.uniform(0.7, 1);
        apexHz /= 10 ** random.uniform(1, 2.5);
        const r = p[at - 1]! || 1e3; // a tail CPE follows a CPE exponent, not an R: any scale will do
        p[at] = 1 / (r * (2 * Math.PI * apexHz) ** alpha);
        p[at + 1] = alpha;
      } else if (symbol === 'Wo') {
        p[at] = 10 ** random.uniform(0, 4);
        p[at + 1] = 10 ** random.uniform(0, 3);
      }
    }
    const z = circuitImpedance(circuit, p, fHz);
    const re = Array.from(z.re);
    const im = Array.from(z.im);
    for (let i = 0; i < fHz.length; i++) {
      const mod = Math.hypot(re[i]!, im[i]!);
      re[i]! += NOISE * mod * random.normal();
      im[i]! += NOISE * mod * random.normal();
    }
    const fit = fitCircuit(circuit, spectrum(fHz, re, im), { weighting: 'modulus', starts: STARTS });
    const row = tally[shape]!;
    row.total++;
    row.evaluations += fit.evaluations;
    if (fit.rmsRelative < REACHED) row.reached++;
  }
  const lines = [
    `no-guess fits of ${COUNT} random synthetic spectra, ${STARTS ?? 'default'} starts, 0.5 % noise`,
    '',
    '| circuit | reached the noise level | mean evaluations |',
    '| --- | ---: | ---: |',
  ];
  SHAPES.forEach((c, k) => {
    const row = tally[k]!;
    lines.push(
      `| \`${c.text}\` | ${row.reached} / ${row.total} | ${(row.evaluations / row.total).toFixed(0)} |`,
    );
  });
  const reached = tally.reduce((s, r) => s + r.reached, 0);
  lines.push('', `all: ${reached} / ${COUNT}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
