import { afterEach, describe, expect, it } from 'vitest';
import { simulateCell } from '../../devices/sim/models/cell';
import { tfaaCell } from '../../devices/sim/models/cell-params';
import cellHealth from '../../nodes/cell-health/cell-health';
import eisAnalyze from '../../nodes/eis-analyze/eis-analyze';
import { VirtualClock } from '../../src/clock';
import { circuitImpedance, parseCircuit } from '../../src/eis/circuit';
import { type FlowNode, helper, lastStatus, startFlow, statuses, stopFlow } from '../support/node-red';

type Health = {
  cycle: number;
  resistance: string;
  rCat: { determined: boolean; ohm?: number; stderrOhm?: number; reason?: string } | null;
  rcatGrowth: { activation: string };
  noise: { voltageV: number | null; ceSigma: number } | null;
  ceTrend: {
    ce: number;
    baseline: number | null;
    cusum: number;
    threshold: number;
    sigma: number;
    alarm: boolean;
  } | null;
  alerts: { kind: string; active: boolean; cycle: number }[];
  warnings: string[];
};
type Telemetry = { channel: string; stream: string; payload: Record<string, number | string> };

const node = (extra: Partial<FlowNode> = {}): FlowNode => ({
  id: 'ch',
  type: 'cell-health',
  channel: 'ch1',
  cell: 'pristine-01',
  coating: 'pristine',
  source: 'input',
  secondsPerCycle: 1,
  seed: 1,
  wires: [['health'], ['telemetry']],
  ...extra,
});
const sinks: FlowNode[] = [
  { id: 'health', type: 'helper' },
  { id: 'telemetry', type: 'helper' },
];

function collect() {
  const health: Health[] = [];
  const telemetry: Telemetry[] = [];
  helper.getNode('health').on('input', (m: { payload: Health }) => health.push(m.payload));
  helper.getNode('telemetry').on('input', (m: Telemetry) => telemetry.push(m));
  return { health, telemetry };
}

/** Each cycle is analysed in a worker thread: waits (real time) until `done` holds. */
async function until(done: () => boolean, ms = 30_000): Promise<void> {
  for (const t0 = Date.now(); !done() && Date.now() - t0 < ms; ) await new Promise((r) => setTimeout(r, 10));
}

const warnings = (n: unknown) =>
  ((n as { warn: { args: unknown[][] } }).warn.args ?? []).map((a) => String(a[0]));

afterEach(stopFlow);

describe('cell-health node', () => {
  it('runs the simulated pristine cell at 1 s per cycle and turns red with the soft short it develops near cycle 60', async () => {
    const clock = new VirtualClock();
    await startFlow([cellHealth], [node({ source: 'simulated' }), ...sinks], { clock });
    const { health, telemetry } = collect();
    for (let s = 0; s < 72; s++) {
      await clock.tick(1000);
      await until(() => health.length === s + 1);
    }
    expect(health.map((h) => h.cycle)).toEqual(Array.from({ length: 72 }, (_, i) => i + 1));
    const shortAt = health.find((h) => h.alerts.some((a) => a.kind === 'soft-short'))!;
    expect(shortAt.cycle).toBeGreaterThanOrEqual(55);
    expect(shortAt.cycle).toBeLessThanOrEqual(70);
    expect(health[59]!.resistance).toBe('growing');
    expect(lastStatus(helper.getNode('ch'))).toMatchObject({
      fill: 'red',
      text: expect.stringMatching(/^c72 .*soft-short/),
    });
    // The payload carries the evidence: R_CAT with its uncertainty, the CE trend, the noise scales.
    const h30 = health[29]!;
    expect(h30.rCat).toMatchObject({ determined: true });
    expect(h30.rCat!.stderrOhm!).toBeLessThan(0.05 * h30.rCat!.ohm!);
    expect(h30.ceTrend).toMatchObject({ alarm: false });
    expect(h30.ceTrend!.threshold).toBeCloseTo(5 * h30.ceTrend!.sigma, 9);
    expect(h30.noise!.voltageV!).toBeGreaterThan(0);
    expect(h30.rcatGrowth.activation).toMatch(/estimated/);
    const fit = telemetry.find((t) => t.stream === 'eis-fit' && t.payload.cycle === 30)!;
    expect(fit.channel).toBe('ch1');
    expect(fit.payload).toMatchObject({ rCatDetermined: 1 });
    expect(fit.payload.rCatOhm as number).toBeGreaterThan(100);
    expect(fit.payload.rCatStderrOhm as number).toBeGreaterThan(0);
    const ev = telemetry.find((t) => t.stream === 'health' && t.payload.cycle === 30)!;
    expect(Object.keys(ev.payload)).toEqual(
      expect.arrayContaining([
        'ceCusum',
        'ceThreshold',
        'ceSigma',
        'ceBaseline',
        'voltageNoiseV',
        'restSlopeThresholdVPerH',
        'chargeDipThresholdV',
        'rCatGrowthPerCycle',
      ]),
    );
    const cyc = telemetry.find((t) => t.stream === 'cycle' && t.payload.cycle === 1)!;
    expect(cyc.payload).toMatchObject({ retention: 1, cell: 'pristine-01', coating: 'pristine' });
    expect(cyc.payload.dischargeMAh as number).toBeGreaterThan(1.8);
    expect(cyc.payload.dischargeMAh as number).toBeLessThan(2.1);
    // The cycle's trace, compressed into the 1 s it took, and its spectrum, for the Cell dashboard.
    const trace = telemetry.filter((t) => t.stream === 'cycling' && t.payload.cycle === 61);
    expect(trace.length).toBeGreaterThan(50);
    expect(trace.length).toBeLessThanOrEqual(100);
    const ts = trace.map((t) => t.payload.ts as number);
    expect(Math.max(...ts) - Math.min(...ts)).toBeGreaterThan(900);
    expect(Math.max(...ts) - Math.min(...ts)).toBeLessThanOrEqual(1000);
    const spectrum = telemetry.filter((t) => t.stream === 'spectrum' && t.payload.cycle === 61);
    expect(spectrum).toHaveLength(81);
    expect(spectrum[0]!.payload).toMatchObject({ fHz: 1e6 });
    expect(fit.payload.rmse as number).toBeLessThan(1);
  }, 120_000);

  it("sends each cycle's spectrum as one message with its fit and DRT, which eis-analyze takes as it is", async () => {
    type SpectrumMsg = {
      channel: string;
      cycle: number;
      payload: { fHz: number[]; reOhm: number[]; imOhm: number[] };
      fit: { circuit: string; parameters: { name: string; value: number }[]; rmsRelative: number };
      drt: { tauS: number[]; gammaOhm: number[] };
    };
    const clock = new VirtualClock();
    await startFlow(
      [cellHealth, eisAnalyze],
      [
        node({ source: 'simulated', wires: [['health'], ['telemetry'], ['spectra']] }),
        { id: 'spectra', type: 'helper' },
        { id: 'eis', type: 'eis-analyze', circuit: 'R0-p(R1,CPE1)-p(R2,CPE2)-W1', wires: [['fit'], []] },
        { id: 'fit', type: 'helper' },
        ...sinks,
      ],
      { clock },
    );
    const spectra: SpectrumMsg[] = [];
    helper.getNode('spectra').on('input', (m: SpectrumMsg) => spectra.push(m));
    for (let s = 0; s < 5; s++) {
      await clock.tick(1000);
      await until(() => spectra.length === s + 1);
    }
    expect(spectra.map((m) => [m.channel, m.cycle])).toEqual([1, 2, 3, 4, 5].map((c) => ['ch1', c]));
    const m = spectra[4]!;
    expect(m.payload.fHz).toHaveLength(81);
    // The parameters are this spectrum's fit: the circuit they describe reproduces it.
    const circuit = parseCircuit(m.fit.circuit);
    const z = circuitImpedance(
      circuit,
      m.fit.parameters.map((p) => p.value),
      m.payload.fHz,
    );
    let worst = 0;
    for (let k = 0; k < 81; k++) {
      const mod = Math.hypot(m.payload.reOhm[k]!, m.payload.imOhm[k]!);
      worst = Math.max(
        worst,
        Math.hypot(z.re[k]! - m.payload.reOhm[k]!, z.im[k]! - m.payload.imOhm[k]!) / mod,
      );
    }
    expect(m.fit.rmsRelative).toBeLessThan(0.02);
    expect(worst).toBeLessThan(0.05);
    expect(m.drt.tauS.length).toBe(m.drt.gammaOhm.length);
    expect(Math.max(...m.drt.gammaOhm)).toBeGreaterThan(0);
    // eis-analyze takes the message as it is and, from scratch, finds the same cathode arc.
    const fitted = new Promise<{ payload: { fit: { parameters: { name: string; value: number }[] } } }>((r) =>
      helper.getNode('fit').on('input', r),
    );
    helper.getNode('eis').receive(m);
    const own = (name: string, list: { name: string; value: number }[]) =>
      list.find((p) => p.name === name)!.value;
    const theirs = (await fitted).payload.fit.parameters;
    const arcs = (list: { name: string; value: number }[]) =>
      [own('R1', list), own('R2', list)].sort((a, b) => a - b);
    for (const [a, b] of arcs(theirs).map((r, i) => [r, arcs(m.fit.parameters)[i]!]))
      expect(Math.abs(a! / b! - 1)).toBeLessThan(0.03);
  }, 60_000);

  it('takes cycles from messages and shrugs off bad ones: wrong shape, a duplicate, NaN readings, a restarted counter', async () => {
    await startFlow([cellHealth], [node({ coating: 'TFAA-2wt%', cell: 'tfaa-01' }), ...sinks]);
    const { health } = collect();
    const n = helper.getNode('ch');
    const sim = simulateCell(tfaaCell, 2, 4);
    const msg = (c: (typeof sim)[number], cycle = c.cycle) => ({
      payload: {
        cycle,
        timeS: c.timeS,
        voltageV: c.voltageV,
        currentA: c.currentA,
        temperatureC: c.temperatureC,
        spectrum: { fHz: [...c.spectrum.fHz], reOhm: [...c.spectrum.reOhm], imOhm: [...c.spectrum.imOhm] },
      },
    });
    n.receive({ payload: { cycle: 'one' } });
    n.receive(msg(sim[0]!));
    n.receive(msg(sim[0]!));
    const withNull = msg(sim[1]!);
    (withNull.payload.voltageV as (number | null)[]) = [
      ...sim[1]!.voltageV.slice(0, 5),
      null,
      ...sim[1]!.voltageV.slice(6),
    ];
    n.receive(withNull);
    n.receive(msg(sim[2]!, 1));
    await until(() => health.length === 3);
    expect(health.map((h) => h.cycle)).toEqual([1, 2, 3]);
    expect(health.every((h) => h.alerts.length === 0)).toBe(true);
    const w = warnings(n).join('\n');
    expect(w).toMatch(/cycle: Invalid input|cycle: expected number/);
    expect(w).toMatch(/cycle 1 again: duplicate ignored/);
    expect(w).toMatch(/cycle 2: sample 5: a value is not a finite number/);
    expect(w).toMatch(/cycle counter went from 2 back to 1: continued as 3/);
  });

  it('takes further spectra of a cycle on their own: fitted and reported once, R_CAT from the first', async () => {
    await startFlow([cellHealth], [node({ coating: 'TFAA-2wt%', cell: 'tfaa-01' }), ...sinks]);
    const { health, telemetry } = collect();
    const n = helper.getNode('ch');
    const [c1, c2] = simulateCell(tfaaCell, 2, 2);
    const sp = (c: typeof c1) => ({
      fHz: Array.from(c!.spectrum.fHz),
      reOhm: Array.from(c!.spectrum.reOhm),
      imOhm: Array.from(c!.spectrum.imOhm),
    });
    n.receive({
      payload: {
        cycle: 1,
        sweep: 1,
        timeS: c1!.timeS,
        voltageV: c1!.voltageV,
        currentA: c1!.currentA,
        spectrum: sp(c1),
      },
    });
    n.receive({ payload: { cycle: 1, sweep: 2, spectrum: sp(c2) } });
    n.receive({ payload: { cycle: 1, sweep: 2, spectrum: sp(c2) } });
    n.receive({ payload: { cycle: 1, sweep: 3, spectrum: { fHz: [1], reOhm: [], imOhm: [] } } });
    await until(() => warnings(n).length >= 2 && health.length >= 2);
    expect(health.map((h) => h.cycle)).toEqual([1, 1]);
    // The cycle's R_CAT is its first spectrum's; the second is fitted and reported with its sweep.
    expect(health[1]!.warnings).toEqual([]);
    const fits = telemetry.filter((t) => t.stream === 'eis-fit');
    expect(fits.map((f) => f.payload.sweep)).toEqual([1, 2]);
    expect(telemetry.filter((t) => t.stream === 'spectrum' && t.payload.sweep === 2)).toHaveLength(
      c2!.spectrum.fHz.length,
    );
    const w = warnings(n).join('\n');
    expect(w).toMatch(/spectrum 2 of cycle 1 again: duplicate ignored/);
    expect(w).toMatch(/spectrum: fHz, reOhm and imOhm differ in length or are empty/);
  });

  it('warns, without alarming, when the channel goes silent', async () => {
    const clock = new VirtualClock();
    await startFlow([cellHealth], [node({ expectedCycleS: 10 }), ...sinks], { clock });
    const n = helper.getNode('ch');
    const c = simulateCell(tfaaCell, 2, 1)[0]!;
    n.receive({
      payload: {
        cycle: 1,
        timeS: c.timeS,
        voltageV: c.voltageV,
        currentA: c.currentA,
        rCatOhm: 30,
        rCatStderrOhm: 0.3,
      },
    });
    await clock.tick(50);
    await until(() => lastStatus(n)?.fill === 'green');
    expect(lastStatus(n)?.fill).toBe('green');
    await clock.tick(40_000);
    expect(lastStatus(n)).toMatchObject({ fill: 'yellow', text: expect.stringMatching(/no cycle for 40 s/) });
  });

  it('keeps the cell history across a redeploy and resumes where it was', async () => {
    const clock = new VirtualClock();
    await startFlow([cellHealth], [node({ source: 'simulated' }), ...sinks], { clock });
    const before = collect();
    for (let s = 0; s < 3; s++) {
      await clock.tick(1000);
      await until(() => before.health.length === s + 1);
    }
    await helper.unload();
    await helper.load([cellHealth] as never, [node({ source: 'simulated' }), ...sinks] as never);
    expect(statuses(helper.getNode('ch'))[0]).toMatchObject({ text: 'resumed at cycle 3' });
    const { health } = collect();
    await clock.tick(1000);
    await until(() => health.length === 1);
    expect(health.map((h) => h.cycle)).toEqual([4]);
  });

  it('goes red naming the field when the coating is unknown, and stays inert', async () => {
    await startFlow([cellHealth], [node({ coating: 'NMC622' }), ...sinks]);
    expect(lastStatus(helper.getNode('ch'))).toMatchObject({
      fill: 'red',
      text: expect.stringMatching(/coating/),
    });
  });
});
