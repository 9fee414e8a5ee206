import { describe, expect, it } from 'vitest';
import { circuitImpedance, parseCircuit } from '../../../src/eis/circuit';
import { ImpedanceView } from '../../../src/panel/impedance-view';

// A spectrum made here from a circuit and its parameters (not by the simulator), and its "fit" the same.
const CIRCUIT = 'R0-p(R1,CPE1)-W1';
const PARAMS = [
  { name: 'R0', value: 20 },
  { name: 'R1', value: 80 },
  { name: 'CPE1_0', value: 2e-5 },
  { name: 'CPE1_1', value: 0.85 },
  { name: 'W1', value: 30 },
];
function spectrumMsg(channel: string, cycle: number, scale = 1) {
  const fHz = Array.from({ length: 41 }, (_, i) => 10 ** (5 - i * 0.175));
  const z = circuitImpedance(
    parseCircuit(CIRCUIT),
    PARAMS.map((p, i) => (i === 1 ? p.value * scale : p.value)),
    fHz,
  );
  return {
    channel,
    cycle,
    payload: { fHz, reOhm: Array.from(z.re), imOhm: Array.from(z.im) },
    fit: {
      circuit: CIRCUIT,
      parameters: PARAMS.map((p, i) => ({ ...p, value: i === 1 ? p.value * scale : p.value })),
      rmsRelative: 0.004,
    },
    drt: {
      tauS: Array.from({ length: 500 }, (_, i) => 10 ** (-7 + i * 0.02)),
      gammaOhm: Array.from({ length: 500 }, (_, i) => Math.exp(-(((i - 250) / 30) ** 2))),
      peaks: [{ tauS: 1e-2, fHz: 15.9, rOhm: 80 }],
    },
  };
}

describe('impedance view', () => {
  it("draws the measured points and the fit's curve through them, -Im up", () => {
    const v = new ImpedanceView();
    expect(v.accept(spectrumMsg('ch1', 7))).toBe(true);
    const pts = v.nyquist()!;
    const measured = pts.filter((p) => p.series === 'ch1 cycle 7');
    const fit = pts.filter((p) => p.series === 'fit');
    expect(measured).toHaveLength(41);
    expect(fit).toHaveLength(150);
    expect(Math.min(...measured.map((p) => p.y))).toBeGreaterThan(-1e-9);
    // Every measured point lies on the drawn curve (the polyline through the fit's points).
    const toSegment = (
      m: { x: number; y: number },
      a: { x: number; y: number },
      b: { x: number; y: number },
    ) => {
      const [dx, dy] = [b.x - a.x, b.y - a.y];
      const t = Math.max(0, Math.min(1, ((m.x - a.x) * dx + (m.y - a.y) * dy) / (dx * dx + dy * dy || 1)));
      return Math.hypot(a.x + t * dx - m.x, a.y + t * dy - m.y);
    };
    for (const m of measured) {
      const d = Math.min(...fit.slice(1).map((f, i) => toSegment(m, fit[i]!, f)));
      expect(d).toBeLessThan(0.05);
    }
    expect(v.readout()).toMatchObject({ channel: 'ch1', cycle: 7, circuit: CIRCUIT, channels: ['ch1'] });
  });

  it('keeps showing the chosen channel while others arrive, and switches on select', () => {
    const v = new ImpedanceView();
    v.accept(spectrumMsg('ch1', 7));
    expect(v.accept(spectrumMsg('ch2', 7, 2))).toBe(false);
    expect(v.readout()!.channel).toBe('ch1');
    expect(v.accept({ topic: 'select', payload: 'ch2' })).toBe(true);
    expect(v.readout()).toMatchObject({ channel: 'ch2', channels: ['ch1', 'ch2'] });
    expect(v.accept({ topic: 'select', payload: 'ch9' })).toBe(false);
    expect(v.nyquist()).toBeNull();
    v.accept(spectrumMsg('ch9', 3));
    expect(v.readout()!.channel).toBe('ch9');
  });

  it('thins the DRT to 200 points on positive tau, and refuses a malformed spectrum', () => {
    const v = new ImpedanceView();
    v.accept(spectrumMsg('ch1', 1));
    const drt = v.drt()!;
    expect(drt).toHaveLength(200);
    expect(drt.every((p) => p.x > 0)).toBe(true);
    expect(Math.max(...drt.map((p) => p.y))).toBeCloseTo(1, 2);
    const bad = spectrumMsg('ch3', 1);
    bad.payload.reOhm.pop();
    expect(v.accept(bad)).toBe(false);
    expect(v.accept({ channel: 'ch3', cycle: 1, payload: 'x' })).toBe(false);
  });
});
