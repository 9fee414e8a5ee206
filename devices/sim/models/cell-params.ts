/**
 * Parameters of a simulated LiIn | Li6PS5Cl | NMC811 cell, and the three cells of the reference study.
 * Every number a batch generator may vary is here, so a test can make cells that fail differently.
 */
export type SoftShortParams = {
  /** First cycle whose charge the leakage path is present in. */
  readonly onsetCycle: number;
  /**
   * Leakage current through the fully connected filament at 3.6 V, as a fraction of the C/10 current at
   * onset. Above about 1 the charge voltage stalls and the cycler's charge time limit ends the step.
   */
  readonly severity: number;
  /** Relative growth of the filament's conductance per cycle after onset. */
  readonly growthPerCycle: number;
};

export type SimCellParams = {
  readonly id: string;
  readonly coating: string;
  readonly nominalCapacitymAh: number;
  readonly pressureMPa: number;
  readonly temperatureC: number;
  readonly cathodeBatch: { readonly id: string; readonly dryingRun: string | null };
  /** Solid-electrolyte separator resistance (high-frequency intercept) at the nominal temperature. */
  readonly rSeOhm: number;
  /** LiIn | Li6PS5Cl interface arc. */
  readonly rAnodeOhm: number;
  readonly anodeApexHz: number;
  /** Cathode interface arc: R_CAT before cycling, its rise during formation and its growth afterwards. */
  readonly rCatInitialOhm: number;
  readonly rCatFormationOhm: number;
  /** e-folding length of the formation rise, in cycles. */
  readonly formationCycles: number;
  readonly rCatGrowthOhmPerCycle: number;
  readonly cathodeApexHz: number;
  readonly cathodeAlpha: number;
  /** Warburg coefficient of solid-state diffusion in the cathode particles. */
  readonly warburgOhmSqrtS: number;
  /** Resistance of the slow polarisation that builds up over a step, and its time constant. */
  readonly rPolarisationOhm: number;
  readonly polarisationTauS: number;
  /** Discharge capacity of cycle 1 as a fraction of nominal. */
  readonly firstDischargeFraction: number;
  /** Coulombic efficiency of cycle 1 (interphase formation) and afterwards. */
  readonly firstCycleEfficiency: number;
  readonly steadyEfficiency: number;
  /** Discharge-capacity retention at cycle 100 against cycle 1, and how the fade bends (1 = linear). */
  readonly retentionAt100: number;
  readonly fadeExponent: number;
  readonly softShort: SoftShortParams | null;
  readonly noise: {
    readonly voltageV: number;
    /** Relative noise of the measured current. */
    readonly currentRelative: number;
    /** Relative noise of each impedance point, on both parts, against |Z|. */
    readonly eisRelative: number;
    /** Cycle-to-cycle drift of the cell temperature. */
    readonly temperatureC: number;
    /** Cycle-to-cycle scatter of the delivered capacity. */
    readonly capacityRelative: number;
  };
};

/** The cycling protocol of the study: C/10 between 1.88 and 3.68 V, rests, EIS in the charged state. */
export type Protocol = {
  readonly chargeCutoffV: number;
  readonly dischargeCutoffV: number;
  readonly cRate: number;
  /** The cycler ends a charge that has not reached the cut-off after this long. */
  readonly chargeTimeLimitS: number;
  readonly restS: number;
  readonly sampleIntervalS: number;
};

export const studyProtocol: Protocol = {
  chargeCutoffV: 3.68,
  dischargeCutoffV: 1.88,
  cRate: 0.1,
  chargeTimeLimitS: 15 * 3600,
  restS: 3600,
  sampleIntervalS: 120,
};

const common = {
  nominalCapacitymAh: 2,
  pressureMPa: 150,
  temperatureC: 25,
  rSeOhm: 42,
  rAnodeOhm: 8,
  anodeApexHz: 20_000,
  cathodeApexHz: 300,
  cathodeAlpha: 0.8,
  warburgOhmSqrtS: 45,
  rPolarisationOhm: 150,
  polarisationTauS: 600,
  firstDischargeFraction: 0.9,
  firstCycleEfficiency: 0.8,
  noise: {
    voltageV: 0.0005,
    currentRelative: 0.0005,
    eisRelative: 0.003,
    temperatureC: 0.3,
    capacityRelative: 0.001,
  },
} as const;

/** Pristine NMC811: R_CAT keeps growing, 78 % at cycle 100, a soft short from cycle 60. */
export const pristineCell: SimCellParams = {
  ...common,
  id: 'pristine',
  coating: 'pristine',
  cathodeBatch: { id: 'NMC811-pristine-01', dryingRun: 'dry-2026-01-pristine' },
  rCatInitialOhm: 30,
  rCatFormationOhm: 8,
  formationCycles: 2,
  rCatGrowthOhmPerCycle: 1.1,
  steadyEfficiency: 0.996,
  retentionAt100: 0.78,
  fadeExponent: 1.1,
  softShort: { onsetCycle: 60, severity: 0.4, growthPerCycle: 0.03 },
};

/** LNO-coated: the lowest initial resistance, but R_CAT keeps growing. */
export const lnoCell: SimCellParams = {
  ...common,
  id: 'lno',
  coating: 'LNO',
  cathodeBatch: { id: 'NMC811-LNO-01', dryingRun: 'dry-2026-01-lno' },
  rCatInitialOhm: 12,
  rCatFormationOhm: 4,
  formationCycles: 2,
  rCatGrowthOhmPerCycle: 0.45,
  steadyEfficiency: 0.997,
  retentionAt100: 0.88,
  fadeExponent: 1,
  softShort: null,
};

/** 2 wt% TFAA: R_CAT rises over about 5 formation cycles, then stays flat; 95 % at cycle 100. */
export const tfaaCell: SimCellParams = {
  ...common,
  id: 'tfaa',
  coating: 'TFAA-2wt%',
  cathodeBatch: { id: 'NMC811-TFAA-2wt-01', dryingRun: 'dry-2026-01-tfaa' },
  rCatInitialOhm: 20,
  rCatFormationOhm: 18,
  formationCycles: 1.7,
  rCatGrowthOhmPerCycle: 0,
  steadyEfficiency: 0.998,
  retentionAt100: 0.95,
  fadeExponent: 1,
  softShort: null,
};

export const referenceCells: readonly SimCellParams[] = [pristineCell, lnoCell, tfaaCell];
