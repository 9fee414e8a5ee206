/**
 * A cycle's outcome as the cell-health node reports it: the health payload (verdicts, R_CAT with its
 * uncertainty or the reason it has none, the CE trend, alerts), the fitted circuit and DRT beside the
 * cycle's spectrum, and the one-line status with its severity. Plain data: the node only wraps it in msgs.
 */
import type { CycleOutcome } from './cell-monitor';

export type CellIdentity = { readonly channel: string; readonly cell: string; readonly coating: string };

export function healthPayload(id: CellIdentity, o: CycleOutcome) {
  const h = o.health;
  return {
    channel: id.channel,
    cell: id.cell,
    coating: id.coating,
    cycle: o.cycle,
    retention: retentionAt(o),
    rCatOhm: o.rCatOhm,
    rCat: rcatOf(o),
    resistance: h.resistance.verdict,
    rcatGrowth: {
      perCycle: h.resistance.evidence.growthPerCycle,
      lower: h.resistance.evidence.growthLower,
      upper: h.resistance.evidence.growthUpper,
      thresholdPerCycle: h.resistance.evidence.growthThresholdPerCycle,
      activationEv: h.resistance.activation.ev,
      activation: h.resistance.activation.reason,
    },
    noise: h.softShort.latest?.noise ?? null,
    ceTrend: ceTrendOf(o),
    alerts: h.alerts,
    warnings: o.warnings,
  };
}

/** This cycle's R_CAT as the payload shows it: a value with its standard error, or why there is none. */
export function rcatOf(o: CycleOutcome) {
  if (!o.fit) return null;
  return o.fit.determined
    ? { determined: true, ohm: o.fit.rCatOhm, stderrOhm: o.fit.rCatStderrOhm }
    : { determined: false, reason: o.fit.reason };
}

/** The CE trend at this cycle: CE, its baseline, the CUSUM and its noise-scaled threshold. */
export function ceTrendOf(o: CycleOutcome) {
  const last = o.health.softShort.latest;
  if (!last || last.cycle !== o.cycle) return null;
  const c = last.ce;
  return {
    ce: c.ce,
    baseline: c.baseline,
    cusum: c.cusum,
    threshold: c.threshold,
    sigma: c.sigma,
    alarm: c.alarm,
  };
}

/** The fitted circuit and the DRT of the cycle's spectrum, as the live panel plots them (absent when none). */
export function modelOf(o: CycleOutcome) {
  const fit = o.model?.result;
  const drt = o.model?.drt;
  return {
    ...(fit
      ? {
          fit: {
            circuit: fit.circuit,
            parameters: fit.parameters.map(({ name, value, unit }) => ({ name, value, unit })),
            rmseOhm: fit.rmse,
            rmsRelative: fit.rmsRelative,
          },
        }
      : {}),
    ...(drt
      ? {
          drt: {
            tauS: Array.from(drt.tauS),
            gammaOhm: Array.from(drt.gammaOhm),
            peaks: drt.peaks.map((p) => ({ tauS: p.tauS, fHz: p.fHz, rOhm: p.rOhm })),
          },
        }
      : {}),
  };
}

/** The node's status line: cycle, retention, R_CAT and its verdict, active alerts; the worst severity. */
export function statusLine(o: CycleOutcome): { text: string; level: 'ok' | 'warn' | 'error' } {
  const h = o.health;
  const active = h.alerts.filter((a) => a.active);
  const ret = retentionAt(o);
  const parts = [`c${o.cycle}`];
  if (ret !== null) parts.push(`${(ret * 100).toFixed(1)} %`);
  if (o.fit?.determined) parts.push(`R_CAT ${o.fit.rCatOhm!.toFixed(0)} Ω ${h.resistance.verdict}`);
  else if (o.fit) parts.push(`R_CAT n/d ${h.resistance.verdict}`);
  if (active.length) parts.push(active.map((a) => a.kind).join(', '));
  const level = active.some((a) => a.severity === 'critical') ? 'error' : active.length ? 'warn' : 'ok';
  return { text: parts.join(' · '), level };
}

const retentionAt = (o: CycleOutcome) =>
  o.health.retention.find((r) => r.cycle === o.cycle)?.retention ?? null;
