/**
 * The telemetry a cell-health node sends per cycle, as msgs for telemetry-out (msg.channel, msg.stream,
 * msg.payload): `cycle` (capacities, retention, coulombic efficiency), `eis-fit` (R_SE, R_CAT with its
 * standard error when determined, whether it was, fit RMSE), `health` (the detectors' evidence: CE
 * against its baseline, the CUSUM and its noise-scaled threshold, the voltage scatter, the rest-slope and
 * dip thresholds, R_CAT's normalised value and growth per cycle with its interval), `cycling` (the
 * voltage and current trace, at most 100 points per cycle) and `spectrum` (one point per frequency, ts
 * 1 ms apart). Names and fields follow dashboards/streams.ts.
 */
import type { NodeMessageInFlow } from 'node-red';
import type { CycleOutcome } from '../../src/health/cell-monitor';

export type TelemetryContext = {
  readonly channel: string;
  readonly cell: string;
  readonly coating: string;
  readonly nowMs: number;
  /** Rig milliseconds per second of cell time: 1000 for a real cycler, less on a compressed scale. */
  readonly msPerCellS: number;
};

export type CycleData = {
  /** Absent for a spectrum on its own. */
  readonly timeS?: readonly (number | null)[];
  readonly voltageV?: readonly (number | null)[];
  readonly currentA?: readonly (number | null)[];
  /** Which of the cycle's spectra this is, when an instrument takes several. */
  readonly sweep?: number;
  readonly spectrum?: {
    readonly fHz: readonly number[];
    readonly reOhm: readonly number[];
    readonly imOhm: readonly number[];
  };
};

const TRACE_POINTS = 100;

export function telemetryMsgs(ctx: TelemetryContext, o: CycleOutcome, data: CycleData): NodeMessageInFlow[] {
  const tags = { cell: ctx.cell, coating: ctx.coating };
  const msg = (stream: string, payload: Record<string, unknown>) =>
    ({ _msgid: '', channel: ctx.channel, stream, payload }) as unknown as NodeMessageInFlow;
  const out: NodeMessageInFlow[] = [];
  const s = o.summary;
  const retention = o.health.retention.find((r) => r.cycle === o.cycle)?.retention;
  if (s) {
    const fields: Record<string, unknown> = {
      ...tags,
      cycle: o.cycle,
      chargeMAh: s.chargeAh * 1000,
      dischargeMAh: s.dischargeAh * 1000,
    };
    if (retention !== undefined) fields.retention = retention;
    if (s.coulombicEfficiency !== null) fields.coulombicEfficiency = s.coulombicEfficiency;
    out.push(msg('cycle', fields));
  }
  const sweep = typeof data.sweep === 'number' ? { sweep: data.sweep } : {};
  if (o.fit) {
    // R_CAT only when determined, with its standard error; otherwise the flag says so (reason in health).
    const fields: Record<string, unknown> = {
      ...tags,
      cycle: o.cycle,
      ...sweep,
      rCatDetermined: o.fit.determined ? 1 : 0,
    };
    if (o.fit.determined)
      Object.assign(fields, { rCatOhm: o.fit.rCatOhm, rCatStderrOhm: o.fit.rCatStderrOhm });
    if (o.fit.rSeOhm !== null) fields.rSeOhm = o.fit.rSeOhm;
    if (o.fit.rmseOhm !== null) fields.rmse = o.fit.rmseOhm;
    out.push(msg('eis-fit', fields));
  }
  const h = o.health;
  const last = h.softShort.latest;
  if (last && last.cycle === o.cycle) {
    // The evidence behind the verdicts, with the thresholds scaled to this cell's own noise.
    const fields: Record<string, unknown> = {
      ...tags,
      cycle: o.cycle,
      ceCusum: last.ce.cusum,
      ceThreshold: last.ce.threshold,
      ceSigma: last.ce.sigma,
    };
    if (last.ce.baseline !== null) fields.ceBaseline = last.ce.baseline;
    if (last.noise.voltageV !== null) fields.voltageNoiseV = last.noise.voltageV;
    const rest = last.signals.find((s) => s.name === 'rest-decay');
    if (rest) Object.assign(fields, { restSlopeVPerH: rest.value, restSlopeThresholdVPerH: rest.threshold });
    const dip = last.signals.find((s) => s.name === 'charge-dip');
    if (dip) Object.assign(fields, { chargeDipV: dip.value, chargeDipThresholdV: dip.threshold });
    const g = h.resistance.evidence;
    if (g.growthPerCycle !== null)
      Object.assign(fields, {
        rCatGrowthPerCycle: g.growthPerCycle,
        rCatGrowthLower: g.growthLower,
        rCatGrowthUpper: g.growthUpper,
      });
    if (g.latestOhm !== null) fields.rCatNormalisedOhm = g.latestOhm;
    fields.softShortFlagged = last.flagged ? 1 : 0;
    out.push(msg('health', fields));
  }
  const n = data.timeS?.length ?? 0;
  const tEnd = data.timeS?.[n - 1];
  if (n > 0 && typeof tEnd === 'number') {
    const step = Math.max(1, Math.ceil(n / TRACE_POINTS));
    for (let i = 0; i < n; i += step) {
      const t = data.timeS?.[i];
      const v = data.voltageV?.[i];
      const a = data.currentA?.[i];
      if (typeof t !== 'number' || typeof v !== 'number' || typeof a !== 'number') continue;
      if (![t, v, a].every(Number.isFinite)) continue;
      const ts = Math.round(ctx.nowMs - (tEnd - t) * ctx.msPerCellS);
      out.push(msg('cycling', { ...tags, ts, cycle: o.cycle, voltageV: v, currentA: a }));
    }
  }
  const sp = data.spectrum;
  if (sp) {
    for (let k = 0; k < sp.fHz.length; k++) {
      const ts = ctx.nowMs - sp.fHz.length + k;
      out.push(
        msg('spectrum', {
          ...tags,
          ts,
          cycle: o.cycle,
          ...sweep,
          fHz: sp.fHz[k],
          reOhm: sp.reOhm[k],
          imOhm: sp.imOhm[k],
        }),
      );
    }
  }
  return out;
}
