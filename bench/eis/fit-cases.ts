/**
 * One sensible circuit for each measured spectrum in ../shared/data/eis, as a researcher would pick it
 * from the Nyquist plot: shared by the fit benchmark and the fit tests. `dropInductive` follows
 * impedance.py's examples where the circuit has no inductor.
 */
import type { Weighting } from '../../src/eis/fit';

export type FitCase = {
  readonly file: string;
  readonly circuit: string;
  readonly weighting: Weighting;
  readonly dropInductive: boolean;
  /** Why this circuit, in a few words. */
  readonly why: string;
};

export const FIT_CASES: readonly FitCase[] = [
  {
    file: 'exampleData.csv',
    circuit: 'R0-p(R1,C1)-p(R2-Wo1,C2)',
    weighting: 'unit',
    dropInductive: true,
    why: "impedance.py's getting-started circuit",
  },
  {
    file: 'exampleDataBioLogic.mpt',
    circuit: 'R0-p(R1,CPE1)-p(R2,CPE2)',
    weighting: 'modulus',
    dropInductive: false,
    why: 'thin-film electrode: a small HF arc and the electrode arc',
  },
  {
    file: 'exampleDataGamry.DTA',
    circuit: 'R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)',
    weighting: 'modulus',
    dropInductive: false,
    why: 'HF arc, a small mid arc, a large LF arc',
  },
  {
    file: 'exampleDataAutolab.txt',
    circuit: 'L0-R0-p(R1,CPE1)-p(R2,CPE2)-CPE3',
    weighting: 'modulus',
    dropInductive: false,
    why: 'battery: lead inductance, two arcs, diffusion tail',
  },
  {
    file: 'LIB_data.txt',
    circuit: 'L0-R0-p(R1,CPE1)-p(R2,CPE2)-CPE3',
    weighting: 'modulus',
    dropInductive: false,
    why: 'Li-ion cell: lead inductance, SEI and charge-transfer arcs, diffusion tail',
  },
  {
    file: 'data_1.csv',
    circuit: 'L0-R0-p(R1,CPE1)-p(R2,CPE2)-CPE3',
    weighting: 'modulus',
    dropInductive: false,
    why: 'Li-ion cell: as LIB_data.txt',
  },
  {
    file: 'DAHN_TXT_example.txt',
    circuit: 'R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-CPE4',
    weighting: 'modulus',
    dropInductive: false,
    why: 'Li-ion full cell: HF arc, small mid arc, large LF arc, tail',
  },
  {
    file: 'MPT_example.mpt',
    circuit: 'R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-CPE4',
    weighting: 'modulus',
    dropInductive: true,
    why: 'symmetric cell: three arcs and a LF tail',
  },
  {
    file: 's04147-140deg.txt',
    circuit: 'p(R1,CPE1)-p(R2,CPE2)-CPE3',
    weighting: 'modulus',
    dropInductive: false,
    why: 'pellet: bulk and grain-boundary arcs, blocking-electrode spur',
  },
  {
    file: 's04147-200deg.txt',
    circuit: 'p(R1,CPE1)-p(R2,CPE2)-CPE3',
    weighting: 'modulus',
    dropInductive: false,
    why: 'pellet: bulk and grain-boundary arcs, blocking-electrode spur',
  },
];
