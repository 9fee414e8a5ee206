/**
 * The example impedance spectra shipped in examples/data/eis (generated here, never copied from
 * ../shared data), so every command in the docs has a file inside the repo to read.
 *
 * The cell is made up: a LiIn | Li6PS5Cl | NMC811 pellet cell, its spectrum after charge at cycles 1,
 * 10 and 20 while the cathode interface grows. The model is this file's own, not the simulator's
 * (devices/sim) nor the fit's circuit: cable inductance, the electrolyte's resistance, the anode
 * interface and the cathode interface as Havriliak-Negami relaxations (a skewed arc, which the fit's
 * symmetric CPE arcs only approximate), and finite-length diffusion into the cathode particles
 * (reflective boundary), with seeded noise proportional to |Z|. One more sweep drifts: the cathode
 * resistance relaxes while the low frequencies are measured, as right after a current pulse, so the
 * Kramers-Kronig test has something to refuse.
 *
 * Each spectrum is written in one of the formats the readers take: cellrig's own CSV (the cell
 * folder's eis/cycle-NNN.csv), a BioLogic EC-Lab text export (.mpt) and a Gamry Framework file (.DTA).
 * test/unit/examples/eis-example.test.ts fails when the files differ from what this makes;
 * UPDATE_EXAMPLES=1 rewrites them.
 */

type Complex = readonly [number, number];

const add = (a: Complex, b: Complex): Complex => [a[0] + b[0], a[1] + b[1]];
const mul = (a: Complex, b: Complex): Complex => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const div = (a: Complex, b: Complex): Complex => {
  const d = b[0] * b[0] + b[1] * b[1];
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
};
/** z^p for real p, principal branch. */
const pow = (z: Complex, p: number): Complex => {
  const r = Math.hypot(z[0], z[1]) ** p;
  const t = Math.atan2(z[1], z[0]) * p;
  return [r * Math.cos(t), r * Math.sin(t)];
};
const sqrt = (z: Complex): Complex => pow(z, 0.5);
const coth = (z: Complex): Complex => {
  // coth z = (1 + e^-2z) / (1 - e^-2z); Re z > 0 here, so e^-2z stays small and finite.
  const m = Math.exp(-2 * z[0]);
  const e: Complex = [m * Math.cos(-2 * z[1]), m * Math.sin(-2 * z[1])];
  return div([1 + e[0], e[1]], [1 - e[0], -e[1]]);
};

/** Havriliak-Negami relaxation: R / (1 + (j w tau)^alpha)^beta. beta < 1 skews the arc. */
function havriliakNegami(w: number, rOhm: number, tauS: number, alpha: number, beta: number): Complex {
  const jwt = pow([0, w * tauS], alpha);
  return div([rOhm, 0], pow([1 + jwt[0], jwt[1]], beta));
}

/** Finite-length diffusion to a blocking boundary: R coth(sqrt(j w tau)) / sqrt(j w tau). */
function diffusionReflective(w: number, rOhm: number, tauS: number): Complex {
  const s = sqrt([0, w * tauS]);
  return div(mul([rOhm, 0], coth(s)), s);
}

export type CellState = {
  /** Cable and fixture inductance, H. */
  readonly inductanceH: number;
  /** Solid electrolyte (bulk and grain boundaries merge at these frequencies), Ohm. */
  readonly electrolyteOhm: number;
  readonly anodeOhm: number;
  readonly cathodeOhm: number;
  readonly diffusionOhm: number;
};

/** The example cell after charge at a cycle: the cathode interface grows 4 % a cycle. */
export function cellAtCycle(cycle: number): CellState {
  return {
    inductanceH: 0.35e-6,
    electrolyteOhm: 24 + 0.05 * cycle,
    anodeOhm: 9,
    cathodeOhm: 40 * 1.04 ** (cycle - 1),
    diffusionOhm: 150,
  };
}

const ANODE = { tauS: 2.2e-6, alpha: 0.9, beta: 0.95 };
const CATHODE = { tauS: 6.0e-4, alpha: 0.82, beta: 0.8 };
const DIFFUSION_TAU_S = 45;

export function cellImpedance(fHz: number, s: CellState): Complex {
  const w = 2 * Math.PI * fHz;
  let z: Complex = [s.electrolyteOhm, w * s.inductanceH];
  z = add(z, havriliakNegami(w, s.anodeOhm, ANODE.tauS, ANODE.alpha, ANODE.beta));
  z = add(z, havriliakNegami(w, s.cathodeOhm, CATHODE.tauS, CATHODE.alpha, CATHODE.beta));
  return add(z, diffusionReflective(w, s.diffusionOhm, DIFFUSION_TAU_S));
}

/** 1 MHz down to 10 mHz, 8 points a decade, as a potentiostat sweeps (high to low). */
export function sweepFrequencies(): number[] {
  const perDecade = 8;
  const decades = 8;
  return Array.from({ length: decades * perDecade + 1 }, (_, k) => 1e6 * 10 ** (-k / perDecade));
}

/** mulberry32: a small seeded generator, so the files are the same on every machine. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export type Point = { fHz: number; reOhm: number; imOhm: number; timeS: number };

/** Time a sweep spends at f: a few periods, at least 0.2 s, as potentiostats integrate. */
function dwellS(fHz: number): number {
  return Math.max(0.2, 3 / fHz);
}

/**
 * One sweep of the cell: noise of `noise` x |Z| on each part. `drift` (a fraction) makes the cathode
 * resistance relax towards (1 - drift) of its value while the sweep runs, with a 5-minute time
 * constant: a cell measured too soon after its current was switched off.
 */
export function sweep(state: CellState, seed: number, noise = 0.002, drift = 0): Point[] {
  const random = seeded(seed);
  let t = 0;
  return sweepFrequencies().map((fHz) => {
    t += dwellS(fHz);
    const s =
      drift === 0
        ? state
        : { ...state, cathodeOhm: state.cathodeOhm * (1 - drift * (1 - Math.exp(-t / 300))) };
    const [re, im] = cellImpedance(fHz, s);
    const mod = Math.hypot(re, im);
    return {
      fHz,
      reOhm: re + noise * mod * gaussian(random),
      imOhm: im + noise * mod * gaussian(random),
      timeS: t,
    };
  });
}

/** Rounds to n significant digits and prints without trailing noise (what a CSV writer would do). */
function sig(v: number, n: number): string {
  return Number(v.toPrecision(n)).toString();
}

/** cellrig's own spectrum CSV, as in a cell folder's eis/cycle-NNN.csv (true sign of Im). */
export function toCellrigCsv(points: readonly Point[]): Buffer {
  const rows = points.map((p) => `${sig(p.fHz, 6)},${sig(p.reOhm, 6)},${sig(p.imOhm, 6)}`);
  return Buffer.from(`f_Hz,re_ohm,im_ohm\n${rows.join('\n')}\n`);
}

const e = (v: number, digits = 7): string => {
  // EC-Lab and Gamry write 1.2345670E+003: a signed three-digit exponent.
  const [m, x] = v.toExponential(digits).split('e') as [string, string];
  const n = Number(x);
  return `${m}E${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(3, '0')}`;
};

/** An EC-Lab text export of a PEIS technique (header lines, then tab-separated columns, CRLF, latin-1). */
export function toEcLabMpt(points: readonly Point[], cycle: number): Buffer {
  const header = [
    'EC-Lab ASCII FILE',
    'Nb header lines : HEADER',
    '',
    'Potentio Electrochemical Impedance Spectroscopy',
    '',
    'Run on channel : 3 (example)',
    'Comments : cellrig example spectrum (generated by test/support/eis-example.ts, not measured)',
    `Acquisition started on : 03/14/2026 09:${String(10 + cycle).padStart(2, '0')}:00.000`,
    'Electrode material : NMC811 | Li6PS5Cl | LiIn',
    'Initial state : charged to 3.68 V',
    'Electrolyte : Li6PS5Cl pellet, 150 MPa',
    `Cycle : ${cycle}`,
    '',
    'mode\tsingle sine',
    'E (V)\t0.0000',
    'vs.\tEoc',
    'fi\t1.000',
    'unit fi\tMHz',
    'ff\t10.000',
    'unit ff\tmHz',
    'Nd\t8',
    'Points\tper decade',
    'spacing\tLogarithmic',
    'Va (mV)\t10.0',
    '',
  ];
  header[1] = `Nb header lines : ${header.length + 1}`;
  const names = [
    'freq/Hz',
    'Re(Z)/Ohm',
    '-Im(Z)/Ohm',
    '|Z|/Ohm',
    'Phase(Z)/deg',
    'time/s',
    '<Ewe>/V',
    '<I>/mA',
  ];
  const rows = points.map((p) =>
    [
      e(p.fHz),
      e(p.reOhm),
      e(-p.imOhm),
      e(Math.hypot(p.reOhm, p.imOhm)),
      e((Math.atan2(p.imOhm, p.reOhm) * 180) / Math.PI),
      e(p.timeS),
      e(3.68 - 0.0004 * p.timeS),
      e(0),
    ].join('\t'),
  );
  return Buffer.from(`${[...header, names.join('\t'), ...rows].join('\r\n')}\r\n`, 'latin1');
}

/** A Gamry Framework EISPOT file: tagged header, then the ZCURVE table (rows start with a tab). */
export function toGamryDta(points: readonly Point[], cycle: number): Buffer {
  const g = (v: number): string => e(v, 5);
  const lines = [
    'EXPLAIN',
    'TAG\tEISPOT',
    'TITLE\tLABEL\tPotentiostatic EIS\tTest &Identifier',
    'DATE\tLABEL\t3/14/2026\tDate',
    `TIME\tLABEL\t09:${String(10 + cycle).padStart(2, '0')}:00\tTime`,
    'NOTES\tNOTES\t1\t&Notes...',
    `\tcellrig example spectrum, cycle ${cycle} (generated by test/support/eis-example.ts, not measured)`,
    'FREQINIT\tQUANT\t1.00000E+006\tInitial Freq. (Hz)',
    'FREQFINAL\tQUANT\t1.00000E-002\tFinal Freq. (Hz)',
    'PTSPERDEC\tQUANT\t8\tPoints/decade',
    'VDC\tPOTEN\t0.00000E+000\tT\tDC Voltage (V)',
    'VAC\tQUANT\t1.00000E+001\tAC Voltage (mV rms)',
    'AREA\tQUANT\t7.85400E-001\tArea (cm^2)',
    'ZCURVE\tTABLE',
    '\tPt\tTime\tFreq\tZreal\tZimag\tZsig\tZmod\tZphz\tIdc\tVdc\tIERange',
    '\t#\ts\tHz\tohm\tohm\tV\tohm\t°\tA\tV\t#',
    ...points.map((p, k) =>
      [
        '',
        String(k),
        String(Math.round(p.timeS)),
        g(p.fHz),
        g(p.reOhm),
        g(p.imOhm),
        g(1),
        g(Math.hypot(p.reOhm, p.imOhm)),
        g((Math.atan2(p.imOhm, p.reOhm) * 180) / Math.PI),
        g(0),
        g(3.68),
        '8',
      ].join('\t'),
    ),
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
}

/** The sweeps behind the example files, by path under examples/data. */
export function eisExampleSweeps(): Record<string, Point[]> {
  return {
    'eis/cell-03_cycle-001.csv': sweep(cellAtCycle(1), 101),
    'eis/cell-03_cycle-010.mpt': sweep(cellAtCycle(10), 110),
    'eis/cell-03_cycle-020.DTA': sweep(cellAtCycle(20), 120),
    'eis/cell-03_drifting.csv': sweep(cellAtCycle(20), 121, 0.002, 0.15),
  };
}

/** Every example file, by its path under examples/data. */
export function eisExampleFiles(): Record<string, Buffer> {
  const s = eisExampleSweeps();
  return {
    'eis/cell-03_cycle-001.csv': toCellrigCsv(s['eis/cell-03_cycle-001.csv']!),
    'eis/cell-03_cycle-010.mpt': toEcLabMpt(s['eis/cell-03_cycle-010.mpt']!, 10),
    'eis/cell-03_cycle-020.DTA': toGamryDta(s['eis/cell-03_cycle-020.DTA']!, 20),
    'eis/cell-03_drifting.csv': toCellrigCsv(s['eis/cell-03_drifting.csv']!),
  };
}
