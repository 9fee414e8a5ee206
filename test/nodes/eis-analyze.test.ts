import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import eisAnalyze from '../../nodes/eis-analyze/eis-analyze';
import { short } from '../../nodes/shared/node-support';
import { circuitImpedance, parseCircuit } from '../../src/eis/circuit';
import { errors, type FlowNode, helper, lastStatus, startFlow, stopFlow } from '../support/node-red';

const dataDir = path.join(__dirname, '..', '..', '..', 'shared', 'data', 'eis');

const analyze = (extra: Partial<FlowNode> = {}): FlowNode => ({
  id: 'eis1',
  type: 'eis-analyze',
  circuit: 'R0-p(R1,CPE1)-p(R2,CPE2)',
  weighting: 'modulus',
  dropInductive: false,
  guess: '',
  validate: true,
  wires: [['ok'], ['bad']],
  ...extra,
});
const flow = (extra: Partial<FlowNode> = {}): FlowNode[] => [
  analyze(extra),
  { id: 'ok', type: 'helper' },
  { id: 'bad', type: 'helper' },
];

// biome-ignore lint/suspicious/noExplicitAny: the test reads the node's JSON output field by field
type Out = { payload: Record<string, any>; topic?: string };
type Port = {
  on(event: 'input', fn: (msg: Out) => void): void;
  removeListener(event: 'input', fn: (msg: Out) => void): void;
};

/**
 * Sends one message in and resolves with whichever output answers first. Both listeners are removed
 * then: a stale one left on the other port would be called, and removed, in the middle of Node-RED's
 * own iteration over that port's input callbacks on the next round trip, skipping the fresh one.
 */
function roundTrip(msg: Record<string, unknown>): Promise<{ port: 'ok' | 'bad'; msg: Out }> {
  return new Promise((resolve) => {
    const ok = helper.getNode('ok') as unknown as Port;
    const bad = helper.getNode('bad') as unknown as Port;
    const finish = (port: 'ok' | 'bad') => (m: Out) => {
      ok.removeListener('input', onOk);
      bad.removeListener('input', onBad);
      resolve({ port, msg: m });
    };
    const onOk = finish('ok');
    const onBad = finish('bad');
    ok.on('input', onOk);
    bad.on('input', onBad);
    helper.getNode('eis1').receive(msg);
  });
}

const fHz = Array.from({ length: 50 }, (_, i) => 0.1 * 1e6 ** (i / 49));
const truth = [5, 40, 2e-6, 0.9, 120, 1e-3, 0.8];
const model = circuitImpedance(parseCircuit('R0-p(R1,CPE1)-p(R2,CPE2)'), truth, fHz);

afterEach(stopFlow);

describe('eis-analyze node', () => {
  it('fits a spectrum given as {f, re, im} with no guess and reports the resistances in its status', async () => {
    await startFlow([eisAnalyze], flow());
    const { port, msg } = await roundTrip({
      topic: 'ch1/eis',
      payload: { f: fHz, re: Array.from(model.re), im: Array.from(model.im) },
    });
    expect(port).toBe('ok');
    expect(msg.topic).toBe('ch1/eis');
    const fit = msg.payload.fit;
    expect(fit.converged).toBe(true);
    const byName = Object.fromEntries(
      fit.parameters.map((p: { name: string; value: number }) => [p.name, p.value]),
    );
    expect(byName.R1 / 40).toBeCloseTo(1, 5);
    expect(byName.R2 / 120).toBeCloseTo(1, 5);
    expect(msg.payload.kk.valid).toBe(true);
    // The DRT sees the two arcs at tau = (R Q)^(1/alpha), 2.8e-5 s and 0.071 s, within half a decade.
    const peaks = msg.payload.drt.peaks as { tau: number; R: number }[];
    expect(peaks.length).toBeGreaterThanOrEqual(2);
    const major = [...peaks]
      .sort((a, b) => b.R - a.R)
      .slice(0, 2)
      .sort((a, b) => a.tau - b.tau);
    expect(Math.log10(major[0]!.tau)).toBeCloseTo(Math.log10((40 * 2e-6) ** (1 / 0.9)), 0);
    expect(Math.log10(major[1]!.tau)).toBeCloseTo(Math.log10((120 * 1e-3) ** (1 / 0.8)), 0);
    expect(msg.payload.drt.Rinf).toBeGreaterThan(4);
    expect(msg.payload.drt.Rinf).toBeLessThan(6);
    expect(lastStatus(helper.getNode('eis1'))).toMatchObject({
      fill: 'green',
      text: expect.stringMatching(/^RMSE .* R0 5\.00 R1 40\.0 R2 120/),
    });
  });

  it('takes {fHz, reOhm, imOhm} as well', async () => {
    await startFlow([eisAnalyze], flow({ validate: false, drt: false }));
    const { port, msg } = await roundTrip({
      payload: { fHz, reOhm: Array.from(model.re), imOhm: Array.from(model.im) },
    });
    expect(port).toBe('ok');
    expect(msg.payload.kk).toBeUndefined();
    expect(msg.payload.drt).toBeUndefined();
    expect(msg.payload.points).toBe(50);
  });

  it('reads an instrument export given as a file path, dropping inductive points when configured', async () => {
    await startFlow(
      [eisAnalyze],
      flow({
        circuit: 'R0-p(R1,C1)-p(R2-Wo1,C2)',
        weighting: 'unit',
        dropInductive: true,
        guess: '.01,.01,100,.01,.05,100,1',
      }),
    );
    const { port, msg } = await roundTrip({ payload: path.join(dataDir, 'exampleData.csv') });
    expect(port).toBe('ok');
    expect(msg.payload.format).toBe('csv');
    expect(msg.payload.dropped).toBe(9);
    expect(Number(msg.payload.fit.parameters[0].value.toPrecision(3))).toBe(0.0165);
  });

  it('fits the circuit in msg.circuit instead of the configured one', async () => {
    await startFlow([eisAnalyze], flow());
    const { msg } = await roundTrip({
      circuit: 'R0-p(R1,CPE1)',
      payload: { f: fHz, re: Array.from(model.re), im: Array.from(model.im) },
    });
    expect(msg.payload.fit.circuit).toBe('R0-p(R1,CPE1)');
  });

  it.each([
    [
      {
        f: fHz,
        re: Array.from(model.re),
        im: Array.from(model.im).map((v, i) => (i === 3 ? Number.NaN : v)),
      },
      /payload\.im\.3: .*expected number, received NaN/,
    ],
    [
      { f: fHz.map((f, i) => (i === 0 ? -1 : f)), re: Array.from(model.re), im: Array.from(model.im) },
      /payload\.f\.0: must be > 0 Hz/,
    ],
    [
      { f: fHz, re: Array.from(model.re).slice(1), im: Array.from(model.im) },
      /payload\.re: f, re and im must have the same length/,
    ],
    [{ f: [1], re: [1], im: [-1] }, /1 points cannot determine 7 parameters/],
    [{ volts: [1, 2] }, /expected \{f, re, im\}/],
    [42, /payload/],
    [
      {
        f: Array.from({ length: 5001 }, (_, i) => i + 1),
        re: new Array(5001).fill(1),
        im: new Array(5001).fill(-1),
      },
      /payload\.f: at most 5000 points/,
    ],
    ['/no/such/file.csv', /cannot read file '\/no\/such\/file\.csv' \(ENOENT\)/],
  ])(
    'sends a bad spectrum to the second output with the reason, status red (%#)',
    async (payload, reason) => {
      await startFlow([eisAnalyze], flow());
      const { port, msg } = await roundTrip({ payload });
      expect(port).toBe('bad');
      expect(msg.payload.error).toMatch(reason);
      expect(lastStatus(helper.getNode('eis1'))).toEqual({
        fill: 'red',
        shape: 'ring',
        text: short(msg.payload.error),
      });
    },
  );

  it('names the file and line of a malformed export', async () => {
    await startFlow([eisAnalyze], flow());
    const { port, msg } = await roundTrip({ payload: path.join(dataDir, 'SOURCES.md') });
    expect(port).toBe('bad');
    expect(msg.payload.error).toMatch(/SOURCES\.md/);
  });

  it('rejects a bad circuit in msg.circuit with its position', async () => {
    await startFlow([eisAnalyze], flow());
    const { port, msg } = await roundTrip({
      circuit: 'R0-p(R1',
      payload: { f: fHz, re: Array.from(model.re), im: Array.from(model.im) },
    });
    expect(port).toBe('bad');
    expect(msg.payload.error).toMatch(/^msg\.circuit: .*position 8/);
  });

  it('turns red naming the field when the configured circuit does not parse, and stays inert', async () => {
    await startFlow([eisAnalyze], flow({ circuit: 'R0-X1' }));
    const node = helper.getNode('eis1');
    expect(lastStatus(node)).toMatchObject({ fill: 'red', text: expect.stringMatching(/circuit: /) });
    expect(errors(node).join('\n')).toMatch(/circuit: .*not 'X' at position 4/);
  });

  it('turns red naming the guess when it is not a list of numbers', async () => {
    await startFlow([eisAnalyze], flow({ guess: '1,two' }));
    expect(errors(helper.getNode('eis1')).join('\n')).toMatch(/guess: value 2 \('two'\) is not a number/);
  });

  it('flags a Kramers-Kronig-invalid measured spectrum in yellow but still fits it', async () => {
    await startFlow([eisAnalyze], flow({ circuit: 'R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)' }));
    const { port, msg } = await roundTrip({ payload: path.join(dataDir, 'exampleDataGamry.DTA') });
    expect(port).toBe('ok');
    expect(msg.payload.kk.valid).toBe(false);
    expect(lastStatus(helper.getNode('eis1'))).toMatchObject({
      fill: 'yellow',
      text: expect.stringMatching(/KK invalid|RMSE/),
    });
  });
});

describe('eis-analyze example flow', () => {
  const example = JSON.parse(
    readFileSync(path.join(__dirname, '..', '..', 'examples', 'eis-analyze.json'), 'utf8'),
  ) as FlowNode[];
  // Without its tab (z) and canvas position, as the test runtime loads flat flows.
  const { x: _x, y: _y, ...node } = example.find((n) => n.type === 'eis-analyze')!;
  const injects = Object.fromEntries(
    example
      .filter((n) => n.type === 'inject')
      .map((n) => [n.id, n as FlowNode & { payload: string; payloadType: string }]),
  );

  it('analyses the example spectrum and sends the broken one to the second output', async () => {
    await startFlow(
      [eisAnalyze],
      [
        { ...node, id: 'eis1', wires: [['ok'], ['bad']] },
        { id: 'ok', type: 'helper' },
        { id: 'bad', type: 'helper' },
      ],
    );
    const good = await roundTrip({ payload: JSON.parse(injects['ex-eis-in']!.payload) });
    expect(good.port).toBe('ok');
    expect(good.msg.payload.fit.rmsRelative).toBeLessThan(1e-3);
    expect(good.msg.payload.drt.peaks.length).toBeGreaterThanOrEqual(2);
    const bad = await roundTrip({ payload: JSON.parse(injects['ex-eis-bad']!.payload) });
    expect(bad.port).toBe('bad');
    expect(bad.msg.payload.error).toMatch(/^payload\.re: /);
  });
});
