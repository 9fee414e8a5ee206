/**
 * Parameters of a simulated LiIn | Li6PS5Cl | NMC811 cell and the three cells of the reference study,
 * each with its unit and its source: the paper (/work/shared/science/000_a6ac006d401206a4.txt), a named
 * reference, or "assumed". None of them is an outcome: retention, the soft short's cycle, R_CAT's course
 * and the coulombic efficiency come out of the mechanisms in cell.ts and cell-degradation.ts.
 * `parameterTable()` renders this as docs/cell-health.md's table (a test keeps the two equal).
 */

export const PAPER = 'paper';
export const ASSUMED = 'assumed';

type Param = {
  readonly value: number;
  readonly unit: string;
  readonly source: string;
  readonly what: string;
};
const param = (value: number, unit: string, source: string, what: string): Param => ({
  value,
  unit,
  source,
  what,
});

/** Shared by every cell: geometry, materials, the anode, transport and the soft-short mechanism. */
export const CELL_CONSTANTS = {
  separatorThicknessUm: param(150, 'um', PAPER, 'Li6PS5Cl separator thickness'),
  separatorConductivityMSPerCm: param(
    2.88,
    'mS/cm',
    `${PAPER} (Fig. S1, pristine LPSCl)`,
    'separator ionic conductivity at 25 C',
  ),
  areaCm2: param(0.785, 'cm2', `${ASSUMED} (10 mm pellet die)`, 'electrode area'),
  separatorActivationEv: param(
    0.35,
    'eV',
    `${ASSUMED}, of the order reported for argyrodites (Kraft et al., JACS 2017)`,
    'activation energy of the separator conductivity',
  ),
  anodePotentialV: param(
    0.62,
    'V vs Li',
    'Santhosha et al., Batteries & Supercaps 2019 (LiIn two-phase plateau)',
    'LiIn anode potential',
  ),
  anodeResistanceOhm: param(4, 'Ohm', ASSUMED, 'LiIn/Li6PS5Cl interface resistance at 25 C'),
  anodeApexHz: param(30_000, 'Hz', ASSUMED, 'apex frequency of the anode arc'),
  anodeActivationEv: param(0.3, 'eV', ASSUMED, 'activation energy of the anode interface'),
  nmcMassMg: param(
    10,
    'mg',
    `${ASSUMED} (70 wt% of a 14.3 mg composite, ratio from the ${PAPER})`,
    'NMC811 mass',
  ),
  theoreticalMAhPerG: param(
    275.5,
    'mAh/g',
    'F / (3.6 M), M(LiNi0.8Mn0.1Co0.1O2) = 97.3 g/mol',
    'one Li per formula unit',
  ),
  ratedMAhPerG: param(
    210,
    'mAh/g',
    `${ASSUMED} (the upper end of NMC811 at C/10 in sulfide cells)`,
    'rated capacity at C/10 (nominal = mass x rated)',
  ),
  particleRadiusUm: param(2.5, 'um', ASSUMED, 'NMC811 particle radius'),
  diffusivityCm2PerS: param(
    6.5e-11,
    'cm2/s',
    `${PAPER} (GITT, Fig. S9: 5.5-7.5, exponent lost in the text; 1e-11 assumed)`,
    'Li diffusivity in NMC811 at mid lithiation, 25 C',
  ),
  diffusivityDropDecades: param(
    3,
    'decades',
    `${ASSUMED}; sluggish lithiation near x = 1 (Kasnatscheew et al., PCCP 2016)`,
    'fall of the diffusivity from x = 0.8 to x = 1: discharge ends kinetically',
  ),
  diffusionActivationEv: param(0.4, 'eV', ASSUMED, 'activation energy of the Li diffusivity'),
  cathodeActivationEv: param(
    0.45,
    'eV',
    ASSUMED,
    'activation energy of R_CAT (charge transfer and interphase)',
  ),
  interphaseConductivitySPerCm: param(
    2e-9,
    'S/cm',
    `${PAPER} (polysulfides 1-100 nS/cm, Li3PO4 0.04 uS/cm)`,
    'ionic conductivity of the cathode interphase',
  ),
  contactAreaCm2: param(
    6,
    'cm2',
    `${ASSUMED} (a quarter of the particles' 25 cm2 surface)`,
    'NMC811/LPSCl contact area',
  ),
  sideChargeMAhPerNm: param(
    0.05,
    'mAh/nm',
    ASSUMED,
    'charge of the electrolyte oxidation per nm of interphase grown (most products disperse)',
  ),
  carbonSideChargeMAh: param(
    0.003,
    'mAh/cycle',
    `${ASSUMED}; LPSCl oxidised at the carbon additive (1 wt% C65, ${PAPER}) whatever the coating`,
    'charge lost to electrolyte oxidation per charge',
  ),
  contactLossPerCycle: param(
    4e-4,
    '1/cycle',
    `${ASSUMED}; chemo-mechanical contact loss (Koerver et al., Chem. Mater. 2017)`,
    'fraction of the accessible cathode lost per cycle at 150 MPa, whatever the coating',
  ),
  isolationPerNm: param(
    0.0075,
    '1/nm',
    `${ASSUMED}; SO4/SO3 by-products cut particles off (${PAPER})`,
    'fraction of the accessible cathode lost per nm of interphase grown',
  ),
  pressureExponent: param(0.5, '', ASSUMED, 'R_CAT ~ (150 MPa / P)^n: contact area under stack pressure'),
  cathodeAlpha: param(0.8, '', ASSUMED, 'CPE exponent of the cathode arc'),
  cathodeApexHz: param(400, 'Hz', ASSUMED, 'apex frequency of the cathode arc at its first value'),
  warburgOhmSqrtS: param(20, 'Ohm s^0.5', ASSUMED, 'effective low-frequency diffusion tail of the composite'),
  criticalCurrentMAPerCm2: param(
    0.315,
    'mA/cm2',
    `${ASSUMED}; critical current density for Li penetration (Kasemchainan et al., Nat. Mater. 2019)`,
    'local current density above which Li penetrates the separator',
  ),
  focusingExponent: param(
    3,
    '',
    ASSUMED,
    'local/mean current density = accessible fraction^-n (contact loss is clustered)',
  ),
  penetrationUmPerCycle: param(
    12,
    'um/cycle',
    ASSUMED,
    'filament advance per cycle per unit of relative overcurrent (j/j_crit - 1)',
  ),
  penetrationScatter: param(0.5, '', ASSUMED, 'log-normal scatter of the advance per cycle'),
  filamentOhm: param(2_000_000, 'Ohm', ASSUMED, 'filament resistance when it first connects'),
  filamentGrowthPerCycle: param(
    0.02,
    '1/cycle',
    ASSUMED,
    "filament conductance's growth per cycle after it connects",
  ),
  filamentEventsPerHour: param(0.4, '1/h', ASSUMED, 'rate of transient filament contacts (voltage drops)'),
  filamentEventGain: param(10, '', ASSUMED, 'median conductance of a transient contact, x the filament'),
  filamentEventTauS: param(300, 's', ASSUMED, 'decay time of a transient contact'),
} as const;

/** Per coating: the bare interface, the interphase at assembly, and how fast it grows. */
export type CoatingParams = {
  readonly chargeTransferOhm: Param;
  readonly interphaseAtAssemblyNm: Param;
  readonly formationNm: Param;
  readonly formationCycles: Param;
  readonly growthNmPerCycle: Param;
};

export const COATINGS: Readonly<Record<'pristine' | 'LNO' | 'TFAA-2wt%', CoatingParams>> = {
  pristine: {
    chargeTransferOhm: param(20, 'Ohm', ASSUMED, 'charge-transfer resistance, charged state, 25 C'),
    interphaseAtAssemblyNm: param(
      2,
      'nm',
      `${ASSUMED}; pristine NMC811 reacts with LPSCl on mixing (${PAPER}, XPS: 21 mol% by-products)`,
      'interphase before cycling',
    ),
    formationNm: param(
      3,
      'nm',
      `${ASSUMED}; pristine's R_CAT rise is most marked in the first 5 cycles (${PAPER})`,
      'interphase grown in the first charge',
    ),
    formationCycles: param(2.5, 'cycles', ASSUMED, 'e-folding of the formation growth'),
    growthNmPerCycle: param(
      0.12,
      'nm/cycle',
      `${ASSUMED}; no stagnation of pristine's R_CAT (${PAPER})`,
      'interphase growth per cycle afterwards (O2 release oxidising LPSCl)',
    ),
  },
  LNO: {
    chargeTransferOhm: param(
      6,
      'Ohm',
      `${ASSUMED}; LNO gives the lowest initial R_CAT (${PAPER})`,
      'charge-transfer resistance',
    ),
    interphaseAtAssemblyNm: param(
      0.3,
      'nm',
      ASSUMED,
      'interphase before cycling (the conductive LNO layer shields)',
    ),
    formationNm: param(0.3, 'nm', ASSUMED, 'interphase grown in the first charge'),
    formationCycles: param(2, 'cycles', ASSUMED, 'e-folding of the formation growth'),
    growthNmPerCycle: param(
      0.12,
      'nm/cycle',
      `${ASSUMED}; LNO's R_CAT keeps growing without stabilisation (${PAPER}, Fig. S8d)`,
      'interphase growth per cycle afterwards',
    ),
  },
  'TFAA-2wt%': {
    chargeTransferOhm: param(12, 'Ohm', ASSUMED, 'charge-transfer resistance'),
    interphaseAtAssemblyNm: param(
      0,
      'nm',
      `${PAPER} (XPS: no by-products before cycling; the 2-3 nm LiF layer conducts 6 uS/cm, < 0.01 Ohm)`,
      'interphase before cycling',
    ),
    formationNm: param(
      0.6,
      'nm',
      `${ASSUMED}; TFAA's change is drastically smaller and mostly in the first 5 cycles (${PAPER})`,
      'interphase grown in the first charge',
    ),
    formationCycles: param(1.5, 'cycles', ASSUMED, 'e-folding of the formation growth'),
    growthNmPerCycle: param(
      0.002,
      'nm/cycle',
      `${ASSUMED}; stable CEI (${PAPER})`,
      'interphase growth per cycle afterwards',
    ),
  },
};

export type Coating = keyof typeof COATINGS;

export type SimCellParams = {
  readonly id: string;
  readonly coating: Coating;
  readonly pressureMPa: number;
  /** Mean lab temperature; the cell follows it with a daily swing and a slow random walk. */
  readonly labTemperatureC: number;
  readonly cathodeBatch: { readonly id: string; readonly dryingRun: string | null };
  readonly noise: {
    readonly voltageV: number;
    /** Relative noise of the measured current. */
    readonly currentRelative: number;
    /** Relative noise of each impedance point, on both parts, against |Z|. */
    readonly eisRelative: number;
    /** Thermocouple noise; readings are logged to 0.1 C. */
    readonly temperatureC: number;
  };
};

export const LAB = {
  dailySwingC: param(0.4, 'C', ASSUMED, 'amplitude of the lab temperature over a day'),
  walkC: param(0.3, 'C', ASSUMED, 'standard deviation of the slow lab-temperature walk'),
  walkHours: param(8, 'h', ASSUMED, 'correlation time of that walk'),
} as const;

/** The cycling protocol of the study: C/10 between 1.88 and 3.68 V, rests, EIS in the charged state. */
export type Protocol = {
  readonly chargeCutoffV: number;
  readonly dischargeCutoffV: number;
  readonly cRate: number;
  /** The cycler ends a charge or discharge that has not reached its cut-off after this long. */
  readonly stepTimeLimitS: number;
  readonly restS: number;
  readonly sampleIntervalS: number;
};

export const studyProtocol: Protocol = {
  chargeCutoffV: 3.68,
  dischargeCutoffV: 1.88,
  cRate: 0.1,
  stepTimeLimitS: 15 * 3600,
  restS: 3600,
  sampleIntervalS: 120,
};

export const PROTOCOL_SOURCES: Readonly<Record<keyof Protocol, string>> = {
  chargeCutoffV: PAPER,
  dischargeCutoffV: PAPER,
  cRate: PAPER,
  stepTimeLimitS: ASSUMED,
  restS: ASSUMED,
  sampleIntervalS: ASSUMED,
};

const noise = { voltageV: 0.0005, currentRelative: 2e-4, eisRelative: 0.003, temperatureC: 0.05 };
const common = { pressureMPa: 150, labTemperatureC: 25, noise } as const;

export const pristineCell: SimCellParams = {
  ...common,
  id: 'pristine',
  coating: 'pristine',
  cathodeBatch: { id: 'NMC811-pristine-01', dryingRun: 'dry-2026-01-pristine' },
};

export const lnoCell: SimCellParams = {
  ...common,
  id: 'lno',
  coating: 'LNO',
  cathodeBatch: { id: 'NMC811-LNO-01', dryingRun: 'dry-2026-01-lno' },
};

export const tfaaCell: SimCellParams = {
  ...common,
  id: 'tfaa',
  coating: 'TFAA-2wt%',
  cathodeBatch: { id: 'NMC811-TFAA-2wt-01', dryingRun: 'dry-2026-01-tfaa' },
};

export const referenceCells: readonly SimCellParams[] = [pristineCell, lnoCell, tfaaCell];

/** Nominal capacity: NMC811 mass x rated specific capacity. */
export function nominalCapacityMAh(): number {
  return (CELL_CONSTANTS.nmcMassMg.value * CELL_CONSTANTS.ratedMAhPerG.value) / 1000;
}

/** R_SE = L / (sigma A): 150 um of 2.88 mS/cm over 0.785 cm2 is 6.6 Ohm at 25 C. */
export function separatorOhm(): number {
  const c = CELL_CONSTANTS;
  return (
    (c.separatorThicknessUm.value * 1e-4) / (c.separatorConductivityMSPerCm.value * 1e-3 * c.areaCm2.value)
  );
}

/** Ohm per nm of interphase: d / (sigma A_contact). */
export function interphaseOhmPerNm(): number {
  const c = CELL_CONSTANTS;
  return 1e-7 / (c.interphaseConductivitySPerCm.value * c.contactAreaCm2.value);
}

const fmt = (v: number) =>
  Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(v);

const cell = (x: string) => x.replace(/\|/g, '/');

/** The parameters as a Markdown table (docs/cell-health.md): name, value per cell, unit, source. */
export function parameterTable(): string {
  const rows: string[] = ['| parameter | value | unit | source |', '| --- | --- | --- | --- |'];
  const row = (name: string, p: Param, value = fmt(p.value)) =>
    rows.push(`| ${cell(p.what)} (\`${name}\`) | ${value} | ${p.unit} | ${cell(p.source)} |`);
  for (const [name, p] of Object.entries(CELL_CONSTANTS)) row(name, p);
  const names = Object.keys(COATINGS.pristine) as (keyof CoatingParams)[];
  for (const name of names) {
    const values = Object.entries(COATINGS)
      .map(([coating, c]) => `${coating} ${fmt(c[name].value)}`)
      .join(', ');
    const all = Object.entries(COATINGS).map(([coating, c]) => [coating, c[name].source] as const);
    const sources =
      new Set(all.map(([, src]) => src)).size === 1
        ? all[0]![1]
        : all.map(([coating, src]) => `${coating}: ${src}`).join('; ');
    rows.push(
      `| ${COATINGS.pristine[name].what} (\`${name}\`) | ${values} | ${COATINGS.pristine[name].unit} | ${sources} |`,
    );
  }
  for (const [name, p] of Object.entries(LAB)) row(name, p);
  for (const [name, source] of Object.entries(PROTOCOL_SOURCES)) {
    rows.push(`| protocol (\`${name}\`) | ${fmt(studyProtocol[name as keyof Protocol])} | | ${source} |`);
  }
  return rows.join('\n');
}
