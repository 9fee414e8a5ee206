/**
 * One channel's health as cycles arrive one at a time (the cell-health node's core): validates each
 * cycle, continues a restarted counter, drops duplicates, summarises the samples, takes R_CAT from the
 * message or fits it from the spectrum, and re-assesses the cell. Its state is plain JSON, so the node
 * can keep it across restarts; silence (no cycle for 3 expected periods) is reported, never alarmed.
 */
import { z } from 'zod';
import { cleanSamples } from '../cycling/samples';
import type { CycleSummary } from '../cycling/summary';
import { summarizeCycles } from '../cycling/summary';
import type { DrtResult } from '../eis/drt';
import type { FitResult } from '../eis/fit';
import { spectrum as makeSpectrum } from '../eis/spectrum';
import { assessCell, type CellHealth } from './assess';
import { fitRcat, GOOD_FIT_RELATIVE, type RcatFit } from './rcat';
import type { RcatPoint } from './resistance-growth';
import { lowFrequencyTailSlope } from './spectrum-tail';

/** JSON has no NaN: a missing reading arrives as null and is treated as NaN (dropped with a warning). */
const reading = z.union([z.number(), z.null()]).transform((v) => (v === null ? Number.NaN : v));

export const cycleInputSchema = z
  .object({
    cycle: z.number().int().min(0),
    timeS: z.array(reading),
    voltageV: z.array(reading),
    currentA: z.array(reading),
    rCatOhm: z.number().positive().optional(),
    rSeOhm: z.number().positive().optional(),
    /** Which of the cycle's spectra `spectrum` is (instruments may take several per cycle); default 1. */
    sweep: z.number().int().min(1).optional(),
    /**
     * The cycle is the cell's own number, which never restarts (instrument-watch continues it across
     * files): a cycle at or below the last one is a repeat sent again after a restart, not a new counter.
     */
    cellNumbered: z.boolean().optional(),
    temperatureC: z.number().optional(),
    pressureMPa: z.number().positive().optional(),
    spectrum: z
      .object({ fHz: z.array(z.number()), reOhm: z.array(z.number()), imOhm: z.array(z.number()) })
      .refine(
        (s) => s.fHz.length === s.reOhm.length && s.fHz.length === s.imOhm.length,
        'fHz, reOhm and imOhm differ in length',
      )
      .optional(),
  })
  .refine((c) => c.timeS.length === c.voltageV.length && c.timeS.length === c.currentA.length, {
    message: 'timeS, voltageV and currentA differ in length',
  });
export type CycleInput = z.input<typeof cycleInputSchema>;

const spectrumSchema = z
  .object({ fHz: z.array(z.number()), reOhm: z.array(z.number()), imOhm: z.array(z.number()) })
  .refine(
    (s) => s.fHz.length === s.reOhm.length && s.fHz.length === s.imOhm.length && s.fHz.length > 0,
    'fHz, reOhm and imOhm differ in length or are empty',
  );

/**
 * A spectrum on its own, for a cycle already summarised (or not yet): an instrument that takes
 * several spectra per cycle, or writes them to their own file. The first spectrum a cycle gets gives
 * its R_CAT and tail slope; later ones are fitted and reported, not added to the trend.
 */
export const spectrumInputSchema = z.object({
  cycle: z.number().int().min(1),
  sweep: z.number().int().min(1).default(1),
  spectrum: spectrumSchema,
  temperatureC: z.number().optional(),
  pressureMPa: z.number().positive().optional(),
});
export type SpectrumInput = z.input<typeof spectrumInputSchema>;

const monitorStateSchema = z.object({
  version: z.literal(1),
  lastRawCycle: z.number(),
  lastCycle: z.number(),
  offset: z.number(),
  lastAtMs: z.number().nullable(),
  cycles: z.array(z.custom<CycleSummary>((v) => typeof v === 'object' && v !== null)),
  rcat: z.array(
    z.object({
      cycle: z.number(),
      rCatOhm: z.number(),
      temperatureC: z.number().optional(),
      pressureMPa: z.number().optional(),
    }),
  ),
  tailSlopes: z.array(z.tuple([z.number(), z.number()])),
  /** (cycle, sweep) of the spectra taken, so a repeated one is ignored; absent in older states. */
  spectraSeen: z.array(z.tuple([z.number(), z.number()])).default([]),
});
export type MonitorState = z.infer<typeof monitorStateSchema>;

export type CycleOutcome = {
  readonly cycle: number;
  readonly summary: CycleSummary | null;
  readonly fit: RcatFit | null;
  /** The fitted circuit and the DRT behind `fit`, for plots (null when the cycle was not fitted). */
  readonly model: { readonly result: FitResult; readonly drt: DrtResult | null } | null;
  readonly rCatOhm: number | null;
  readonly health: CellHealth;
  /** About this cycle's data (bad samples, a restarted counter, a duplicate...). */
  readonly warnings: string[];
};

const MAX_CYCLES = 2000;

export class CellMonitor {
  private state: MonitorState;
  private previousFit: FitResult | undefined;

  constructor(restored?: unknown) {
    const parsed = monitorStateSchema.safeParse(restored);
    this.state = parsed.success
      ? parsed.data
      : {
          version: 1,
          lastRawCycle: -1,
          lastCycle: 0,
          offset: 0,
          lastAtMs: null,
          cycles: [],
          rcat: [],
          tailSlopes: [],
          spectraSeen: [],
        };
  }

  toJSON(): MonitorState {
    return this.state;
  }

  get lastCycle(): number {
    return this.state.lastCycle;
  }

  /** Returns null (with the reason in `warnings`) when the input is unusable or a duplicate. */
  addCycle(raw: unknown, nowMs: number): CycleOutcome | { rejected: string } {
    const parsed = cycleInputSchema.safeParse(raw);
    if (!parsed.success) {
      return {
        rejected: parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '),
      };
    }
    const input = parsed.data;
    const st = this.state;
    const warnings: string[] = [];
    if (input.cycle === st.lastRawCycle) return { rejected: `cycle ${input.cycle} again: duplicate ignored` };
    if (input.cellNumbered && input.cycle < st.lastRawCycle) {
      return {
        rejected: `cycle ${input.cycle} again (already past cycle ${st.lastRawCycle}): duplicate ignored`,
      };
    }
    if (input.cycle < st.lastRawCycle) {
      st.offset = st.lastCycle - input.cycle + 1;
      warnings.push(
        `cycle counter went from ${st.lastRawCycle} back to ${input.cycle}: continued as ${input.cycle + st.offset}`,
      );
    }
    const cycle = input.cycle + st.offset;
    if (st.lastCycle > 0 && cycle > st.lastCycle + 1)
      warnings.push(`cycles ${st.lastCycle + 1}..${cycle - 1} missing`);
    st.lastRawCycle = input.cycle;
    st.lastCycle = cycle;
    st.lastAtMs = nowMs;

    const cleaned = cleanSamples(
      input.timeS.map((t, i) => ({
        timeS: t,
        cycle,
        voltageV: input.voltageV[i]!,
        currentA: input.currentA[i]!,
      })),
    );
    warnings.push(...cleaned.warnings.map((w) => `cycle ${cycle}: ${w.message}`));
    const summary = summarizeCycles(cleaned.samples)[0] ?? null;
    if (summary) st.cycles.push(summary);

    let fit: RcatFit | null = null;
    let model: CycleOutcome['model'] = null;
    let rCatOhm = input.rCatOhm ?? null;
    if (input.spectrum && input.spectrum.fHz.length > 0) {
      st.spectraSeen.push([cycle, input.sweep ?? 1]);
      const s = makeSpectrum(input.spectrum.fHz, input.spectrum.reOhm, input.spectrum.imOhm);
      st.tailSlopes.push([cycle, lowFrequencyTailSlope(s)]);
      if (rCatOhm === null) {
        try {
          const r = fitRcat(cycle, s, this.previousFit);
          fit = r.fit;
          model = { result: r.result, drt: r.drt };
          if (r.fit.warning) warnings.push(r.fit.warning);
          if (r.result.rmsRelative < GOOD_FIT_RELATIVE) this.previousFit = r.result;
          rCatOhm = Number.isFinite(r.fit.rCatOhm) ? r.fit.rCatOhm : null;
        } catch (e) {
          warnings.push(`cycle ${cycle}: spectrum not fitted (${(e as Error).message})`);
        }
      }
    }
    if (rCatOhm !== null) {
      const p: RcatPoint = {
        cycle,
        rCatOhm,
        temperatureC: input.temperatureC,
        pressureMPa: input.pressureMPa,
      };
      st.rcat.push(p);
    }
    this.trim();
    const health = assessCell({ cycles: st.cycles, rcat: st.rcat, tailSlopes: new Map(st.tailSlopes) });
    return { cycle, summary, fit, model, rCatOhm, health, warnings };
  }

  /** A spectrum without cycling samples (see spectrumInputSchema); rejected when malformed or repeated. */
  addSpectrum(raw: unknown, nowMs: number): CycleOutcome | { rejected: string } {
    const parsed = spectrumInputSchema.safeParse(raw);
    if (!parsed.success) {
      return {
        rejected: parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '),
      };
    }
    const { cycle, sweep, spectrum: sp, temperatureC, pressureMPa } = parsed.data;
    const st = this.state;
    if (st.spectraSeen.some(([c, k]) => c === cycle && k === sweep)) {
      return { rejected: `spectrum ${sweep} of cycle ${cycle} again: duplicate ignored` };
    }
    st.spectraSeen.push([cycle, sweep]);
    st.lastAtMs = nowMs;
    const warnings: string[] = [];
    const s = makeSpectrum(sp.fHz, sp.reOhm, sp.imOhm);
    // The cycle's first spectrum sets its R_CAT and tail slope; a later one is only reported.
    const first = !st.rcat.some((p) => p.cycle === cycle) && !st.tailSlopes.some(([c]) => c === cycle);
    let fit: RcatFit | null = null;
    let model: CycleOutcome['model'] = null;
    let rCatOhm: number | null = null;
    try {
      const r = fitRcat(cycle, s, this.previousFit);
      fit = r.fit;
      model = { result: r.result, drt: r.drt };
      if (r.fit.warning) warnings.push(r.fit.warning);
      if (r.result.rmsRelative < GOOD_FIT_RELATIVE) this.previousFit = r.result;
      rCatOhm = Number.isFinite(r.fit.rCatOhm) ? r.fit.rCatOhm : null;
    } catch (e) {
      warnings.push(`cycle ${cycle}: spectrum ${sweep} not fitted (${(e as Error).message})`);
    }
    if (first) {
      st.tailSlopes.push([cycle, lowFrequencyTailSlope(s)]);
      if (rCatOhm !== null) st.rcat.push({ cycle, rCatOhm, temperatureC, pressureMPa });
    }
    this.trim();
    const health = assessCell({ cycles: st.cycles, rcat: st.rcat, tailSlopes: new Map(st.tailSlopes) });
    return { cycle, summary: null, fit, model, rCatOhm, health, warnings };
  }

  private trim(): void {
    const st = this.state;
    for (const list of [st.cycles, st.rcat, st.tailSlopes, st.spectraSeen])
      if (list.length > MAX_CYCLES) list.splice(0, list.length - MAX_CYCLES);
  }

  /** A warning when no cycle has arrived for 3 expected periods; null otherwise. */
  silence(nowMs: number, expectedPeriodMs: number): string | null {
    const last = this.state.lastAtMs;
    if (last === null || nowMs - last < 3 * expectedPeriodMs) return null;
    return `no cycle for ${Math.round((nowMs - last) / 1000)} s (expected one every ${Math.round(expectedPeriodMs / 1000)} s)`;
  }
}
