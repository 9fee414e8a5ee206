/**
 * A cell folder's health: cleaned samples -> cycle summaries, spectra -> R_CAT per cycle (determined or
 * not) and the tail slope, then the detectors. Also the report shape `cellrig health --json` prints.
 */
import { cleanSamples } from '../cycling/samples';
import { type CycleSummary, summarizeCycles } from '../cycling/summary';
import { type AlertKind, assessCell, type CellHealth } from '../health/assess';
import { fitRcatSeries, type RcatFit } from '../health/rcat';
import { lowFrequencyTailSlope } from '../health/spectrum-tail';
import { round } from '../health/stats';
import type { CellData } from './directory';
import { UNKNOWN_COATING } from './format';

export type CellAnalysis = {
  readonly data: CellData;
  readonly cycles: CycleSummary[];
  readonly fits: RcatFit[];
  readonly health: CellHealth;
  readonly warnings: string[];
};

export function analyseCell(data: CellData): CellAnalysis {
  const cleaned = cleanSamples(data.samples);
  const warnings = [...data.warnings];
  // Sample warnings carry the index; in cycling.csv that sample is on line index + 2 (after the header).
  for (const w of cleaned.warnings) {
    if (w.kind === 'not-finite') continue; // already reported by line when the file was read
    warnings.push(w.index === undefined ? w.message : `cycling.csv:${w.index + 2}: ${w.message}`);
  }
  const cycles = summarizeCycles(cleaned.samples);
  const fits = fitRcatSeries(data.spectra);
  // The spectrum is taken at the end of the rest after charge: the cell's temperature then.
  const fixedC = data.meta.temperatureC;
  const eisTemperatureC = new Map<number, number>();
  for (const c of cycles) {
    const t = c.restAfterCharge?.endTemperatureC ?? fixedC ?? null;
    if (t !== null) eisTemperatureC.set(c.cycle, t);
  }
  const tailSlopes = new Map(data.spectra.map((s) => [s.cycle, lowFrequencyTailSlope(s.spectrum)]));
  const health = assessCell({
    cycles,
    rcat: fits,
    eisTemperatureC,
    tailSlopes,
    ...(data.meta.activationEnergyEv !== undefined ? { activationEv: data.meta.activationEnergyEv } : {}),
    ...(data.meta.pressureMPa !== undefined ? { pressureMPa: data.meta.pressureMPa } : {}),
  });
  warnings.push(...health.warnings);
  return { data, cycles, fits, health, warnings };
}

export type RcatReportEntry =
  | { cycle: number; rCatOhm: number; stderrOhm: number; temperatureC: number | null }
  | { cycle: number; notDetermined: string };

export type CellReport = {
  id: string;
  coating: string;
  retention: Record<string, number>;
  /** Per spectrum: R_CAT with its standard error (Ohm), or why it is not determined. */
  rcat: RcatReportEntry[];
  resistance: string;
  /** R_CAT's relative growth per cycle (Theil-Sen, 95 % interval), normalised as the evidence says. */
  rcatGrowth: {
    perCycle: number | null;
    lower: number | null;
    upper: number | null;
    activationEv: number | null;
    activation: string;
  };
  alerts: { kind: AlertKind; cycle: number; active: boolean; severity: string; evidence: unknown }[];
  warnings: string[];
};

export function cellReport(a: CellAnalysis): CellReport {
  const r = a.health.resistance;
  return {
    id: a.data.meta.id,
    coating: a.data.meta.coating ?? UNKNOWN_COATING,
    retention: Object.fromEntries(
      a.health.retention.map((x) => [String(x.cycle), Number(x.retention.toFixed(5))]),
    ),
    rcat: a.health.rcat.map((e) =>
      e.determined
        ? {
            cycle: e.cycle,
            rCatOhm: round(e.rCatOhm, 5),
            stderrOhm: round(e.stderrOhm, 3),
            temperatureC: e.temperatureC,
          }
        : { cycle: e.cycle, notDetermined: e.reason },
    ),
    resistance: r.verdict,
    rcatGrowth: {
      perCycle: r.evidence.growthPerCycle,
      lower: r.evidence.growthLower,
      upper: r.evidence.growthUpper,
      activationEv: r.activation.ev === null ? null : round(r.activation.ev, 3),
      activation: r.activation.reason,
    },
    alerts: a.health.alerts.map((x) => ({
      kind: x.kind,
      cycle: x.cycle,
      active: x.active,
      severity: x.severity,
      evidence: x.evidence,
    })),
    warnings: a.warnings,
  };
}
