/**
 * The confounder matrix of issue 11, as cell specs for the reviewer's model: voltage noise 0.5-5 mV,
 * logging every 10-600 s, rests of 10-120 min, pauses of up to 4 h in charge, discharge or rest,
 * reversible temperature spells of up to +-5 C (logged), R_CAT growth 0-3 %/cycle, spectrum noise
 * 0.2-1 % with a few per cent spoiled spectra, and soft shorts from a 1 % CE drop to severe with onsets
 * from cycle 3 to 95. Each condition is a group of seeded cells; `mixed` draws every confounder at once.
 */
import type { ReviewCellSpec, ShortSpec, SpectrumSpec } from './model';
import { type Rng, rng } from './rng';

export type Confounders = {
  voltageV: [number, number];
  logIntervalS: readonly number[];
  restMin: [number, number];
  pauses: boolean;
  swingC: number;
  spectrumNoise: [number, number];
  spoiledFraction: number;
  /** Anode and cathode arcs within about a decade of each other (the fit may not tell them apart). */
  arcsWithinDecade?: boolean;
};

const NOMINAL: Confounders = {
  voltageV: [0.0005, 0.002],
  logIntervalS: [60, 120, 300, 600],
  restMin: [30, 60],
  pauses: false,
  swingC: 0,
  spectrumNoise: [0.002, 0.005],
  spoiledFraction: 0,
};

/** Every confounder across its whole range at once (10 s logging is its own group: it is costly). */
export const MIXED: Confounders = {
  voltageV: [0.0005, 0.005],
  logIntervalS: [120, 300, 600],
  restMin: [10, 120],
  pauses: true,
  swingC: 5,
  spectrumNoise: [0.002, 0.01],
  spoiledFraction: 0.05,
};

export type Condition = {
  readonly name: string;
  readonly kind: 'healthy' | 'short' | 'growth';
  readonly count: number;
  readonly confounders: Confounders;
  readonly cycles?: number;
  readonly ceDrop?: [number, number];
  readonly onsets?: [number, number];
  readonly growthPerCycle?: number;
};

export const HEALTHY_CONDITIONS: readonly Condition[] = [
  { name: 'healthy, nominal', kind: 'healthy', count: 20, confounders: NOMINAL },
  {
    name: 'healthy, voltage noise 3-5 mV',
    kind: 'healthy',
    count: 15,
    confounders: { ...NOMINAL, voltageV: [0.003, 0.005] },
  },
  {
    name: 'healthy, logging every 600 s',
    kind: 'healthy',
    count: 10,
    confounders: { ...NOMINAL, logIntervalS: [600] },
  },
  {
    name: 'healthy, logging every 10 s',
    kind: 'healthy',
    count: 5,
    cycles: 12,
    confounders: { ...NOMINAL, logIntervalS: [10] },
  },
  {
    name: 'healthy, rests 10 min',
    kind: 'healthy',
    count: 8,
    confounders: { ...NOMINAL, restMin: [10, 10] },
  },
  {
    name: 'healthy, rests 120 min',
    kind: 'healthy',
    count: 7,
    confounders: { ...NOMINAL, restMin: [120, 120] },
  },
  {
    name: 'healthy, pauses up to 4 h',
    kind: 'healthy',
    count: 20,
    confounders: { ...NOMINAL, pauses: true },
  },
  {
    name: 'healthy, temperature spells +-5 C',
    kind: 'healthy',
    count: 20,
    confounders: { ...NOMINAL, swingC: 5 },
  },
  {
    name: 'healthy, spectrum noise 1 %, 5 % spoiled',
    kind: 'healthy',
    count: 15,
    confounders: { ...NOMINAL, spectrumNoise: [0.008, 0.01], spoiledFraction: 0.05 },
  },
  { name: 'healthy, all confounders', kind: 'healthy', count: 20, confounders: MIXED },
];

export const SHORT_CONDITIONS: readonly Condition[] = [
  { name: 'short, CE -2 %', kind: 'short', count: 25, ceDrop: [0.02, 0.025], confounders: MIXED },
  { name: 'short, CE -3 %', kind: 'short', count: 25, ceDrop: [0.03, 0.035], confounders: MIXED },
  { name: 'short, CE -5 %', kind: 'short', count: 25, ceDrop: [0.05, 0.06], confounders: MIXED },
  { name: 'short, CE -10 %', kind: 'short', count: 15, ceDrop: [0.1, 0.12], confounders: MIXED },
  {
    name: 'short, severe (CE -30 to -60 %)',
    kind: 'short',
    count: 15,
    ceDrop: [0.3, 0.6],
    confounders: MIXED,
  },
  {
    name: 'short, CE -2 to -5 %, logging every 10 s',
    kind: 'short',
    count: 5,
    ceDrop: [0.02, 0.05],
    onsets: [3, 12],
    confounders: { ...MIXED, logIntervalS: [10] },
  },
];

export const MILD_SHORT_CONDITIONS: readonly Condition[] = [
  { name: 'short, CE -0.3 %', kind: 'short', count: 15, ceDrop: [0.003, 0.0035], confounders: MIXED },
  { name: 'short, CE -0.5 %', kind: 'short', count: 15, ceDrop: [0.005, 0.006], confounders: MIXED },
  { name: 'short, CE -1 %', kind: 'short', count: 20, ceDrop: [0.01, 0.012], confounders: MIXED },
  { name: 'short, CE -1.5 %', kind: 'short', count: 20, ceDrop: [0.015, 0.017], confounders: MIXED },
];

export const GROWTH_CONDITIONS: readonly Condition[] = [0.005, 0.01, 0.02, 0.03].map((g) => ({
  name: `R_CAT growth ${g * 100} %/cycle`,
  kind: 'growth' as const,
  count: 10,
  growthPerCycle: g,
  confounders: MIXED,
}));

/** Reported, not asserted: how often R_CAT is determined when the two arcs overlap. */
export const OVERLAP_CONDITIONS: readonly Condition[] = [
  {
    name: 'R_CAT growth 1 %/cycle, arcs within a decade',
    kind: 'growth',
    count: 5,
    growthPerCycle: 0.01,
    confounders: { ...MIXED, arcsWithinDecade: true },
  },
];

export const ALL_CONDITIONS = [
  ...HEALTHY_CONDITIONS,
  ...SHORT_CONDITIONS,
  ...MILD_SHORT_CONDITIONS,
  ...GROWTH_CONDITIONS,
  ...OVERLAP_CONDITIONS,
];

const HEALTHY_CYCLES = 60;

/** The cells of one condition; `base` keeps seeds apart between conditions. */
export function cellsOf(c: Condition, base: number): ReviewCellSpec[] {
  const r = rng(base);
  return Array.from({ length: c.count }, (_, i) =>
    spec(c, r, `${slug(c.name)}-${String(i).padStart(2, '0')}`),
  );
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function spec(c: Condition, r: Rng, id: string): ReviewCellSpec {
  const k = c.confounders;
  const capacityMAh = r.uniform(1.6, 2.4);
  const stabilisedOhm = r.uniform(15, 150);
  let cycles = c.cycles ?? HEALTHY_CYCLES;
  let short: ShortSpec | null = null;
  let growthPerCycle = 0;
  let growthFrom = 1e9;
  if (c.kind === 'short') {
    const [lo, hi] = c.onsets ?? [3, 95];
    const onsetCycle = Math.floor(r.uniform(lo, hi + 1));
    short = {
      onsetCycle,
      ceDrop: r.uniform(c.ceDrop![0], c.ceDrop![1]),
      growthPerCycle: r.uniform(0, 0.05),
      burstsPerHour: r.next() < 0.5 ? r.uniform(0.2, 1) : 0,
    };
    cycles = Math.min(100, onsetCycle + 8);
  } else if (c.kind === 'growth') {
    growthPerCycle = c.growthPerCycle!;
    growthFrom = Math.floor(r.uniform(8, 31));
    // Until R_CAT is 10 % over its stabilised value, then the 15 cycles allowed, and a margin.
    cycles = growthFrom + Math.ceil(Math.log(1.1) / Math.log(1 + growthPerCycle)) + 20;
  }
  const logIntervalS = r.pick(k.logIntervalS);
  const spectrum: SpectrumSpec = {
    fMaxHz: r.pick([1e5, 1e6]),
    fMinHz: r.pick([0.01, 0.02, 0.05]),
    pointsPerDecade: 5,
    relativeNoise: r.uniform(k.spectrumNoise[0], k.spectrumNoise[1]),
    spoiledFraction: k.spoiledFraction,
    rSeOhm: r.uniform(4, 12),
    anode: {
      ohm: r.uniform(2, 10),
      apexHz: r.uniform(2e4, 8e4) / (k.arcsWithinDecade ? 4 : 1),
      phi: r.uniform(0.85, 0.95),
    },
    cathode: { apexHz: r.uniform(100, 1000) * (k.arcsWithinDecade ? 4 : 1), phi: r.uniform(0.7, 0.9) },
    warburg: { ohm: r.uniform(5, 40), tauS: r.uniform(10, 100) },
    inductanceH: r.uniform(0.3e-6, 2e-6),
  };
  return {
    id,
    seed: Math.floor(r.uniform(1, 2 ** 31)),
    cycles,
    capacityMAh,
    fadePerCycle: r.uniform(0.0002, 0.001),
    formationDeficit: r.uniform(0.08, 0.18),
    formationCycles: r.uniform(0.5, 1.5),
    steadyDeficit: r.uniform(0.0005, 0.002),
    r0Ohm: r.uniform(5, 20),
    rCat: {
      stabilisedOhm,
      formationDrop: r.uniform(0.1, 0.4),
      formationCycles: r.uniform(0.8, 2),
      growthPerCycle,
      growthFrom,
    },
    activationEv: r.uniform(0.3, 0.65),
    diffusion: { ohm: r.uniform(10, 60), tauS: r.uniform(600, 3000) },
    kineticOhm: r.uniform(5, 25),
    protocol: {
      currentA: (capacityMAh / 1000) * 0.1,
      chargeCutoffV: 3.68,
      dischargeCutoffV: 1.88,
      restS: r.uniform(k.restMin[0], k.restMin[1]) * 60,
      logIntervalS,
      stepLimitS: 15 * 3600,
    },
    noise: {
      voltageV: r.uniform(k.voltageV[0], k.voltageV[1]),
      currentRelative: r.uniform(5e-5, 5e-4),
      stepGain: r.uniform(1e-4, 4e-4),
    },
    swingC: k.swingC,
    pauses: k.pauses ? { perCycle: r.uniform(0.1, 0.3), maxS: 4 * 3600 } : { perCycle: 0, maxS: 0 },
    short,
    spectrum,
  };
}
