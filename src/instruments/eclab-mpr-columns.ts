/**
 * The column ids of an EC-Lab .mpr data module: what each id holds, how it is stored, and the name
 * EC-Lab's text export gives it. `checked` says where an entry comes from:
 *   'pairs'  read from the eight .mpr/.mpt pairs in ../shared/data/eclab and equal to the text export
 *            (test/unit/instruments/eclab-mpr.test.ts checks every one of them on every run);
 *   'public' from the public descriptions (galvani's BioLogic.py and yadg's eclab parser), where both
 *            agree on id, type and meaning, but no file here holds it.
 * An id that is in neither is refused (eclab-mpr.ts), never guessed. See eclab-mpr.md for the layout.
 */
export type StoredType = 'f4' | 'f8' | 'u2' | 'u4';

export type DataColumnSpec = {
  readonly name: string;
  readonly type: StoredType;
  readonly checked: 'pairs' | 'public';
  /** Other names the text export uses for the same quantity (it depends on the technique). */
  readonly aliases?: readonly string[];
};

export const TYPE_BYTES: Record<StoredType, number> = { f4: 4, f8: 8, u2: 2, u4: 4 };

/**
 * Flag ids: all present flags share one byte in the row, placed where the first flag id appears.
 * mode is two bits (1 CC, 2 CV, 3 rest); the others are one bit each.
 */
export const FLAG_COLUMNS: ReadonlyMap<number, { readonly name: string; readonly mask: number }> = new Map([
  [1, { name: 'mode', mask: 0x03 }],
  [2, { name: 'ox/red', mask: 0x04 }],
  [3, { name: 'error', mask: 0x08 }],
  [21, { name: 'control changes', mask: 0x10 }],
  [31, { name: 'Ns changes', mask: 0x20 }],
  [65, { name: 'counter inc.', mask: 0x80 }],
]);

const p = (name: string, type: StoredType, aliases?: string[]): DataColumnSpec => ({
  name,
  type,
  checked: 'pairs',
  ...(aliases ? { aliases } : {}),
});
const pub = (name: string, type: StoredType): DataColumnSpec => ({ name, type, checked: 'public' });

export const DATA_COLUMNS: ReadonlyMap<number, DataColumnSpec> = new Map([
  [4, p('time/s', 'f8')],
  [5, p('control/V/mA', 'f4')],
  [6, p('Ewe/V', 'f4')],
  [7, p('dq/mA.h', 'f8')],
  [8, p('I/mA', 'f4')],
  [9, p('Ece/V', 'f4')],
  [11, pub('<I>/mA', 'f8')],
  [13, p('(Q-Qo)/mA.h', 'f8')],
  [19, pub('control/V', 'f4')],
  [20, pub('control/mA', 'f4')],
  [23, pub('dQ/mA.h', 'f8')],
  [24, p('cycle number', 'f8')],
  [32, p('freq/Hz', 'f4')],
  [33, p('|Ewe|/V', 'f4')],
  [34, p('|I|/A', 'f4')],
  [35, p('Phase(Z)/deg', 'f4')],
  [36, p('|Z|/Ohm', 'f4')],
  [37, p('Re(Z)/Ohm', 'f4')],
  [38, p('-Im(Z)/Ohm', 'f4')],
  [39, p('I Range', 'u2')],
  [70, p('P/W', 'f4', ['Pwe/W'])],
  [74, p('|Energy|/W.h', 'f8')],
  [76, p('<I>/mA', 'f4')],
  [77, p('<Ewe>/V', 'f4')],
  [96, p('|Ece|/V', 'f4')],
  [98, p('Phase(Zce)/deg', 'f4')],
  [99, p('|Zce|/Ohm', 'f4')],
  [100, p('Re(Zce)/Ohm', 'f4')],
  [101, p('-Im(Zce)/Ohm', 'f4')],
  [123, p('Energy charge/W.h', 'f8')],
  [124, p('Energy discharge/W.h', 'f8')],
  [125, p('Capacitance charge/µF', 'f8')],
  [126, p('Capacitance discharge/µF', 'f8')],
  [131, p('Ns', 'u2')],
  [169, p('Cs/µF', 'f4')],
  [172, p('Cp/µF', 'f4')],
  [430, p('Phase(Zwe-ce)/deg', 'f4')],
  [431, p('|Zwe-ce|/Ohm', 'f4')],
  [432, p('Re(Zwe-ce)/Ohm', 'f4')],
  [433, p('-Im(Zwe-ce)/Ohm', 'f4')],
  [462, pub('Temperature/°C', 'f4')],
  [467, p('Q charge/discharge/mA.h', 'f8')],
  [468, p('half cycle', 'u4')],
  [469, p('z cycle', 'u4')],
  [471, p('<Ece>/V', 'f4')],
  [473, p('THD Ewe/%', 'f4')],
  [474, p('THD I/%', 'f4')],
  [476, p('NSD Ewe/%', 'f4')],
  [477, p('NSD I/%', 'f4')],
  [479, p('NSR Ewe/%', 'f4')],
  [480, p('NSR I/%', 'f4')],
  [486, p('|Ewe h2|/V', 'f4')],
  [487, p('|Ewe h3|/V', 'f4')],
  [488, p('|Ewe h4|/V', 'f4')],
  [489, p('|Ewe h5|/V', 'f4')],
  [490, p('|Ewe h6|/V', 'f4')],
  [491, p('|Ewe h7|/V', 'f4')],
  [492, p('|I h2|/A', 'f4')],
  [493, p('|I h3|/A', 'f4')],
  [494, p('|I h4|/A', 'f4')],
  [495, p('|I h5|/A', 'f4')],
  [496, p('|I h6|/A', 'f4')],
  [497, p('|I h7|/A', 'f4')],
  // In neither public description: its 8 bytes follow from mb.issue_223's row size, its name and
  // values from the text export of the same run.
  [880, p('Energy we/W.h', 'f8')],
]);

/** Technique ids (first byte of the settings module) seen in the pairs, with EC-Lab's own names. */
export const TECHNIQUES: ReadonlyMap<number, string> = new Map([
  [4, 'Galvanostatic Cycling with Potential Limitation'],
  [29, 'Potentio Electrochemical Impedance Spectroscopy'],
  [30, 'Galvano Electrochemical Impedance Spectroscopy'],
  [127, 'Modulo Bat'],
]);
