import { describe, expect, it } from 'vitest';
import { circuitImpedance, parseCircuit } from '../../../src/eis/circuit';
import { Cx, J, relativeError } from './complex';

const fHz = Array.from({ length: 20 }, (_, i) => 10 ** (-2 + (7 * i) / 19));

type Case = { circuit: string; params: number[]; closedForm: (w: number, p: number[]) => Cx };

// Closed forms written from impedance.py's documentation, in plain complex arithmetic.
const cases: Case[] = [
  { circuit: 'R0', params: [12.5], closedForm: (_w, [r]) => new Cx(r!) },
  { circuit: 'C0', params: [3e-6], closedForm: (w, [c]) => J.mul(w * c!).inv() },
  { circuit: 'L0', params: [2e-7], closedForm: (w, [l]) => J.mul(w * l!) },
  { circuit: 'W0', params: [40], closedForm: (w, [a]) => new Cx(1, -1).mul(a! / Math.sqrt(w)) },
  { circuit: 'CPE0', params: [2e-5, 0.83], closedForm: (w, [q, a]) => J.mul(w).pow(a!).mul(q!).inv() },
  { circuit: 'La0', params: [3e-7, 0.9], closedForm: (w, [l, a]) => J.mul(w).pow(a!).mul(l!) },
  { circuit: 'K0', params: [50, 1e-3], closedForm: (w, [r, t]) => new Cx(r!).div(J.mul(w * t!).add(1)) },
  {
    circuit: 'Zarc0',
    params: [50, 1e-3, 0.75],
    closedForm: (w, [r, t, a]) =>
      new Cx(r!).div(
        J.mul(w * t!)
          .pow(a!)
          .add(1),
      ),
  },
  {
    circuit: 'G0',
    params: [30, 2e-3],
    closedForm: (w, [r, t]) =>
      new Cx(r!).div(
        J.mul(w * t!)
          .add(1)
          .sqrt(),
      ),
  },
  {
    circuit: 'Wo0',
    params: [20, 1e-2],
    closedForm: (w, [r, t]) => {
      const x = J.mul(w * t!).sqrt();
      return x.coth().mul(r!).div(x);
    },
  },
  {
    circuit: 'Ws0',
    params: [20, 1e-2],
    closedForm: (w, [r, t]) => {
      const x = J.mul(w * t!).sqrt();
      return x.tanh().mul(r!).div(x);
    },
  },
];

describe('circuit elements', () => {
  for (const c of cases) {
    it(`${c.circuit.replace(/0$/, '')} matches its closed form to 1e-12 relative at 20 frequencies`, () => {
      const z = circuitImpedance(parseCircuit(c.circuit), c.params, fHz);
      const worst = Math.max(
        ...fHz.map((f, i) => relativeError(z.re[i]!, z.im[i]!, c.closedForm(2 * Math.PI * f, c.params))),
      );
      expect(worst).toBeLessThan(1e-12);
    });
  }
});
