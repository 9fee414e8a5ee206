/**
 * One channel's health as cycles arrive one at a time (the cell-health node's core): validates each
 * cycle, continues a restarted counter, drops duplicates, summarises the samples, takes R_CAT from the
 * message (only with its standard error) or fits it from the spectrum, and re-assesses the cell. Its state is plain JSON, so the node
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
import { fitRcat, notDetermined, type RcatFit, seedsNext, typicalRms } from './rcat';
import { lowFrequencyTailSlope } from './spectrum-tail';

/** JSON has no NaN: a missing reading arrives as null and is treated as NaN (dropped with a warning). */
const reading = z.union([z.number(), z.null()]).transform((v) => (v === null ? Number.NaN : v));

export const cycleInputSchema = z
  .object({
    cycle: z.number().int().min(0),
    timeS: z.array(reading),
    voltageV: z.array(reading),
    currentA: z.array(reading),
    /** An R_CAT fitted elsewhere: used only with its standard error. */
    rCatOhm: z.number().positive().optional(),
    rCatStderrOhm: z.number().positive().optional(),
    rSeOhm: z.number().positive().optional(),
    /** Which of the cycle's spectra `spectrum` is (instruments may take several per cycle); default 1. */
    sweep: z.number().int().min(1).optional(),
    /**
     * The cycle is the cell's own number, which never restarts (instrument-watch continues it across
     * files): a cycle at or below the last one is a repeat sent again after a restart, not a new counter.
     */
    cellNumbered: z.boolean().optional(),
    /** The cell's temperature: one value for the cycle, or one per sample (null where not read). */
    temperatureC: z.union([z.number(), z.array(z.union([z.number(), z.null()]))]).optional(),
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
  })
  .refine((c) => !Array.isArray(c.temperatureC) || c.temperatureC.length === c.timeS.length, {
    message: 'temperatureC has a different length from timeS',
    path: ['temperatureC'],
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
  version: z.literal(2),
  lastRawCycle: z.number(),
  lastCycle: z.number(),
  offset: z.number(),
  lastAtMs: z.number().nullable(),
  cycles: z.array(z.custom<CycleSummary>((v) => typeof v === 'object' && v !== null)),
  rcat: z.array(z.custom<RcatFit>((v) => typeof v === 'object' && v !== null)),
  eisTemperatures: z.array(z.tuple([z.number(), z.number()])),
  tailSlopes: z.array(z.tuple([z.number(), z.number()])),
  pressureMPa: z.number().nullable(),
  /** (cycle, sweep) of the spectra taken, so a repeated one is ignored. */
  spectraSeen: z.array(z.tuple([z.number(), z.number()])).default([]),
});
export type MonitorState = z.infer<typeof monitorStateSchema>;

export type CycleOutcome = {
  readonly cycle: number;
  readonly summary: CycleSummary | null;
  /** This cycle's R_CAT: determined (with its standard error) or not (with the reason), or null without a spectrum. */
  readonly fit: RcatFit | null;
  /** The fitted circuit and the DRT behind `fit`, for plots (null when the cycle was not fitted). */
  readonly model: { readonly result: FitResult; readonly drt: DrtResult | null } | null;
  /** This cycle's R_CAT when determined, else null (`fit.reason` says why). */
  readonly rCatOhm: number | null;
  readonly health: CellHealth;
  /** About this cycle's data (bad samples, a restarted counter, a duplicate...). */
  readonly warnings: string[];
};

const MAX_CYCLES = 2000;

export class CellMonitor {
  private state: MonitorState;
  private previousFit: FitResult | undefined;

  /** `seed`: the fit that seeds the next cycle's (`seed` of the monitor this one continues). */
  constructor(restored?: unknown, seed?: FitResult) {
    this.previousFit = seed;
    const parsed = monitorStateSchema.safeParse(restored);
    this.state = parsed.success
      ? parsed.data
      : {
          version: 2,
          lastRawCycle: -1,
          lastCycle: 0,
          offset: 0,
          lastAtMs: null,
          cycles: [],
          rcat: [],
          eisTemperatures: [],
          tailSlopes: [],
          pressureMPa: null,
          spectraSeen: [],
        };
  }

  toJSON(): MonitorState {
    return this.state;
  }

  /** The fit that seeds the next cycle's; not in the JSON state (a worker thread passes it on). */
  get seed(): FitResult | undefined {
    return this.previousFit;
  }

  get lastCycle(): number {
    return this.state.lastCycle;
  }

  /** Returns `{rejected}` with the reason when the input is unusable or a duplicate. */
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
    if (input.pressureMPa !== undefined) st.pressureMPa = input.pressureMPa;

    const tempAt = (i: number): number | undefined => {
      const t = Array.isArray(input.temperatureC) ? input.temperatureC[i] : input.temperatureC;
      return typeof t === 'number' && Number.isFinite(t) ? t : undefined;
    };
    const cleaned = cleanSamples(
      input.timeS.map((t, i) => {
        const temperatureC = tempAt(i);
        const s = { timeS: t, cycle, voltageV: input.voltageV[i]!, currentA: input.currentA[i]! };
        return temperatureC === undefined ? s : { ...s, temperatureC };
      }),
    );
    warnings.push(...cleaned.warnings.map((w) => `cycle ${cycle}: ${w.message}`));
    const summary = summarizeCycles(cleaned.samples)[0] ?? null;
    if (summary) st.cycles.push(summary);
    const eisT = summary?.restAfterCharge?.endTemperatureC ?? null;
    if (eisT !== null) st.eisTemperatures.push([cycle, eisT]);

    let fit: RcatFit | null = null;
    let model: CycleOutcome['model'] = null;
    if (input.rCatOhm !== undefined) {
      fit =
        input.rCatStderrOhm !== undefined
          ? {
              cycle,
              determined: true,
              rCatOhm: input.rCatOhm,
              rCatStderrOhm: input.rCatStderrOhm,
              reason: null,
              rSeOhm: input.rSeOhm ?? null,
              cathodeHz: null,
              rmsRelative: null,
              rmseOhm: null,
            }
          : notDetermined(cycle, 'rCatOhm given without rCatStderrOhm: its uncertainty is unknown');
    } else if (input.spectrum && input.spectrum.fHz.length > 0) {
      st.spectraSeen.push([cycle, input.sweep ?? 1]);
      const s = makeSpectrum(input.spectrum.fHz, input.spectrum.reOhm, input.spectrum.imOhm);
      st.tailSlopes.push([cycle, lowFrequencyTailSlope(s)]);
      const r = this.fit(cycle, s);
      fit = r.fit;
      model = r.model;
    }
    if (fit) {
      st.rcat.push(fit);
      if (!fit.determined) warnings.push(`cycle ${cycle}: R_CAT not determined: ${fit.reason}`);
    }
    this.trim();
    const health = this.assess();
    return { cycle, summary, fit, model, rCatOhm: fit?.rCatOhm ?? null, health, warnings };
  }

  /** A spectrum without cycling samples (see spectrumInputSchema); rejected when malformed or repeated. */
  addSpectrum(raw: unknown, nowMs: number): CycleOutcome | { rejected: string } {
    const parsed = spectrumInputSchema.safeParse(raw);
    if (!parsed.success) {
      return {
        rejected: parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '),
      };
    }
    const { cycle, sweep, spectrum: sp, pressureMPa } = parsed.data;
    const st = this.state;
    if (st.spectraSeen.some(([c, k]) => c === cycle && k === sweep)) {
      return { rejected: `spectrum ${sweep} of cycle ${cycle} again: duplicate ignored` };
    }
    st.spectraSeen.push([cycle, sweep]);
    st.lastAtMs = nowMs;
    if (pressureMPa !== undefined) st.pressureMPa = pressureMPa;
    if (parsed.data.temperatureC !== undefined && !st.eisTemperatures.some(([c]) => c === cycle))
      st.eisTemperatures.push([cycle, parsed.data.temperatureC]);
    const warnings: string[] = [];
    const s = makeSpectrum(sp.fHz, sp.reOhm, sp.imOhm);
    // The cycle's first spectrum sets its R_CAT and tail slope; a later one is only reported.
    const first = !st.rcat.some((p) => p.cycle === cycle) && !st.tailSlopes.some(([c]) => c === cycle);
    const r = this.fit(cycle, s);
    if (!r.fit.determined)
      warnings.push(`cycle ${cycle}: spectrum ${sweep}: R_CAT not determined: ${r.fit.reason}`);
    if (first) {
      st.tailSlopes.push([cycle, lowFrequencyTailSlope(s)]);
      st.rcat.push(r.fit);
    }
    this.trim();
    const health = this.assess();
    return { cycle, summary: null, fit: r.fit, model: r.model, rCatOhm: r.fit.rCatOhm, health, warnings };
  }

  /** Fits a spectrum from the previous good fit, with the DRT the panel shows beside it. */
  private fit(cycle: number, s: ReturnType<typeof makeSpectrum>) {
    const r = fitRcat(cycle, s, this.previousFit, typicalRms(this.state.rcat), { withDrt: true });
    if (seedsNext(r.fit) && r.result) this.previousFit = r.result;
    return { fit: r.fit, model: r.result ? { result: r.result, drt: r.drt } : null };
  }

  private assess(): CellHealth {
    const st = this.state;
    return assessCell({
      cycles: st.cycles,
      rcat: st.rcat,
      eisTemperatureC: new Map(st.eisTemperatures),
      tailSlopes: new Map(st.tailSlopes),
      ...(st.pressureMPa !== null ? { pressureMPa: st.pressureMPa } : {}),
    });
  }

  private trim(): void {
    const st = this.state;
    for (const list of [st.cycles, st.rcat, st.tailSlopes, st.eisTemperatures, st.spectraSeen])
      if (list.length > MAX_CYCLES) list.splice(0, list.length - MAX_CYCLES);
  }

  /** A warning when no cycle has arrived for 3 expected periods; null otherwise. */
  silence(nowMs: number, expectedPeriodMs: number): string | null {
    const last = this.state.lastAtMs;
    if (last === null || nowMs - last < 3 * expectedPeriodMs) return null;
    return `no cycle for ${Math.round((nowMs - last) / 1000)} s (expected one every ${Math.round(expectedPeriodMs / 1000)} s)`;
  }
}
