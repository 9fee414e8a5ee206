/**
 * A cell folder's health: cleaned samples -> cycle summaries, spectra -> R_CAT per cycle and the tail
 * slope, then the detectors. Also the report shape `cellrig health --json` prints.
 */
import { cleanSamples } from '../cycling/samples';
import { type CycleSummary, summarizeCycles } from '../cycling/summary';
import { type AlertKind, assessCell, type CellHealth } from '../health/assess';
import { fitRcatSeries, type RcatFit } from '../health/rcat';
import { lowFrequencyTailSlope } from '../health/spectrum-tail';
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
  for (const f of fits) if (f.warning) warnings.push(f.warning);
  const temperatureC = data.meta.temperatureC;
  const rcat = fits
    .filter((f) => Number.isFinite(f.rCatOhm))
    .map((f) => ({ cycle: f.cycle, rCatOhm: f.rCatOhm, pressureMPa: data.meta.pressureMPa, temperatureC }));
  const tailSlopes = new Map(data.spectra.map((s) => [s.cycle, lowFrequencyTailSlope(s.spectrum)]));
  const health = assessCell({ cycles, rcat, tailSlopes });
  warnings.push(...health.warnings);
  return { data, cycles, fits, health, warnings };
}

export type CellReport = {
  id: string;
  coating: string;
  retention: Record<string, number>;
  /** R_CAT in Ohm, index i = cycle i + 1; null where the cycle has no fitted spectrum. */
  rcat: (number | null)[];
  resistance: string;
  alerts: { kind: AlertKind; cycle: number; active: boolean; severity: string; evidence: unknown }[];
  warnings: string[];
};

export function cellReport(a: CellAnalysis): CellReport {
  const last = Math.max(0, ...a.fits.map((f) => f.cycle));
  const rcat: (number | null)[] = Array.from({ length: last }, () => null);
  for (const f of a.fits)
    if (Number.isFinite(f.rCatOhm)) rcat[f.cycle - 1] = Number(f.rCatOhm.toPrecision(5));
  return {
    id: a.data.meta.id,
    coating: a.data.meta.coating ?? UNKNOWN_COATING,
    retention: Object.fromEntries(
      a.health.retention.map((r) => [String(r.cycle), Number(r.retention.toFixed(5))]),
    ),
    rcat,
    resistance: a.health.resistance.verdict,
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
