import { describe, expect, it } from 'vitest';
import {
  angularFrequencies,
  CircuitEvaluator,
  CircuitSyntaxError,
  circuitImpedance,
  parseCircuit,
} from '../../../src/eis/circuit';
import { Cx, J, relativeError } from './complex';

const fHz = Array.from({ length: 20 }, (_, i) => 10 ** (-2 + (7 * i) / 19));

describe('circuit grammar', () => {
  it('names parameters in written order, multi-parameter ones as <element>_<k>', () => {
    const c = parseCircuit('R0-p(R1,CPE1)-Wo1');
    expect(c.parameterNames).toEqual(['R0', 'R1', 'CPE1_0', 'CPE1_1', 'Wo1_0', 'Wo1_1']);
    expect(c.parameterUnits).toEqual(['Ohm', 'Ohm', 'Ohm^-1 s^alpha', '', 'Ohm', 's']);
  });

  it('accepts whitespace between tokens', () => {
    expect(parseCircuit(' R0 - p( R1 , C1 ) ').parameterNames).toEqual(['R0', 'R1', 'C1']);
  });

  it('reports the position and what was expected for an unclosed parallel block', () => {
    expect(() => parseCircuit('R0-p(R1,C1')).toThrowError(
      /expected ',' or '\)' at position 11, found end of input/,
    );
  });

  it('reports an unknown element by name and position', () => {
    expect(() => parseCircuit('R0-X1')).toThrowError(/not 'X' at position 4/);
  });

  it('rejects a parallel block with one branch', () => {
    expect(() => parseCircuit('p(R1)')).toThrowError(CircuitSyntaxError);
  });

  it('rejects a name used twice, since its parameters would be ambiguous', () => {
    expect(() => parseCircuit('R1-p(R1,C1)')).toThrowError(/'R1' is used twice/);
  });

  it('rejects a dangling series joint', () => {
    expect(() => parseCircuit('R0-')).toThrowError(/expected an element .* at position 4/);
  });

  it('refuses a parameter vector of the wrong length', () => {
    expect(() => circuitImpedance(parseCircuit('R0-C0'), [1], [1])).toThrowError(
      /has 2 parameters \(R0, C0\)/,
    );
  });
});

describe('nested circuit impedance', () => {
  it('equals the hand-derived impedance of R0-p(R1,C1)-p(R2-Wo1,C2)', () => {
    const p = [0.0165, 0.00868, 3.32, 0.00539, 0.0631, 233, 0.22];
    const z = circuitImpedance(parseCircuit('R0-p(R1,C1)-p(R2-Wo1,C2)'), p, fHz);
    fHz.forEach((f, i) => {
      const w = 2 * Math.PI * f;
      const x = J.mul(w * p[5]!).sqrt();
      const wo = x.coth().mul(p[4]!).div(x);
      const arc1 = new Cx(1 / p[1]!).add(J.mul(w * p[2]!)).inv();
      const arc2 = wo
        .add(p[3]!)
        .inv()
        .add(J.mul(w * p[6]!))
        .inv();
      expect(relativeError(z.re[i]!, z.im[i]!, arc1.add(arc2).add(p[0]!))).toBeLessThan(1e-12);
    });
  });

  it('equals the hand-derived impedance of a parallel block nested in a parallel block', () => {
    // p(R1-p(R2,CPE2),C1): Z = 1 / (1/(R1 + 1/(1/R2 + Q (jw)^a)) + jw C1)
    const p = [10, 100, 1e-4, 0.8, 1e-6];
    const z = circuitImpedance(parseCircuit('p(R1-p(R2,CPE2),C1)'), p, fHz);
    fHz.forEach((f, i) => {
      const w = 2 * Math.PI * f;
      const inner = new Cx(1 / p[1]!).add(J.mul(w).pow(p[3]!).mul(p[2]!)).inv();
      const ref = inner
        .add(p[0]!)
        .inv()
        .add(J.mul(w * p[4]!))
        .inv();
      expect(relativeError(z.re[i]!, z.im[i]!, ref)).toBeLessThan(1e-12);
    });
  });
});

describe('circuit Jacobian', () => {
  it('agrees with central differences for every element inside nested blocks', () => {
    const c = parseCircuit('L0-R0-p(R1,CPE1)-p(R2-Wo1,C2)-p(K1,Zarc1)-p(G1,Ws1)-W1-La1');
    const values: Record<string, number> = {
      L0: 1e-6,
      R0: 0.02,
      R1: 0.01,
      CPE1_0: 3,
      CPE1_1: 0.8,
      R2: 0.005,
      Wo1_0: 0.06,
      Wo1_1: 200,
      C2: 0.2,
      K1_0: 0.01,
      K1_1: 0.1,
      Zarc1_0: 0.02,
      Zarc1_1: 0.3,
      Zarc1_2: 0.7,
      G1_0: 0.01,
      G1_1: 0.5,
      Ws1_0: 0.03,
      Ws1_1: 2,
      W1: 0.004,
      La1_0: 1e-6,
      La1_1: 0.9,
    };
    const params = Float64Array.from(c.parameterNames.map((name) => values[name]!));
    const omega = angularFrequencies(fHz);
    const n = omega.length;
    const m = params.length;
    const ev = new CircuitEvaluator(c);
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    const jac = new Float64Array(2 * n * m);
    ev.evaluate(params, omega, re, im, jac);
    const rp = new Float64Array(n);
    const ip = new Float64Array(n);
    const rm = new Float64Array(n);
    const imm = new Float64Array(n);
    let worst = 0;
    for (let k = 0; k < m; k++) {
      const h = params[k]! * 1e-6;
      const up = Float64Array.from(params);
      const down = Float64Array.from(params);
      up[k] = params[k]! + h;
      down[k] = params[k]! - h;
      ev.evaluate(up, omega, rp, ip);
      ev.evaluate(down, omega, rm, imm);
      for (let i = 0; i < n; i++) {
        const dr = (rp[i]! - rm[i]!) / (2 * h);
        const di = (ip[i]! - imm[i]!) / (2 * h);
        // Differencing noise grows with |Z| / h: a derivative below 1e-7 |Z| / p is not resolvable.
        const scale = Math.hypot(dr, di) + (1e-2 * Math.hypot(re[i]!, im[i]!)) / params[k]!;
        const err = Math.hypot(jac[k * 2 * n + i]! - dr, jac[k * 2 * n + n + i]! - di) / scale;
        worst = Math.max(worst, err);
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });
});
