import { describe, expect, it } from 'vitest';
import { parseSpectrumFile } from '../../../src/eis/readers';
import { type MprFile, readMpr } from '../../../src/instruments/eclab-mpr';
import { DATA_COLUMNS } from '../../../src/instruments/eclab-mpr-columns';
import { readMpt } from '../../../src/instruments/eclab-mpt';
import { InstrumentFileError } from '../../../src/instruments/errors';
import type { EcLabTable } from '../../../src/instruments/table';
import { PAIRS, readEclab } from '../../support/eclab-data';

const read = readEclab;

/** The text export's columns as printed: the number and the digits it was printed with. */
function printedColumns(name: string): Map<string, string[]> {
  const lines = read(name).toString('latin1').split(/\r?\n/);
  const headerLines = Number(/(\d+)/.exec(lines[1]!)![1]);
  const names = lines[headerLines - 1]!.split('\t');
  const out = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const line of lines.slice(headerLines)) {
    if (line === '') continue;
    line.split('\t').forEach((f, k) => {
      out.get(names[k]!)?.push(f.replace(',', '.'));
    });
  }
  return out;
}

/** Half a unit in the last printed digit (a float32 printed as 1.2345678E+000 has 8 digits). */
function printTolerance(printed: string): number {
  const m = /^-?\d\.(\d+)E([-+]\d+)$/.exec(printed);
  if (!m) return 0; // an integer: exact
  return 0.5 * 10 ** (Number(m[2]) - m[1]!.length);
}

/** Columns the export computes from the cell characteristics and settings (eclab-mpr.md). */
const EXPORT_ONLY = [
  /^x$/,
  /^Capacity\/mA\.h$/,
  /^Efficiency\/%$/,
  /^Q (dis)?charge\/mA\.h$/,
  /^control\/(V|mA)$/,
  /^step time\/s$/,
  /^(Re|Im|\||Phase)\(?(Y|C|M|Permittivity|Resistivity|Conductivity)\)?/,
  /^\|?(Y|C|M|Permittivity|Resistivity|Conductivity)\|/,
  /^Tan\(Delta\)$/,
  /^Loss Angle\(Delta\)\/deg$/,
  /^Energy (we |ce |we-ce )?(dis)?charge\/W\.h$/,
  /^Capacitance (dis)?charge\/µF$/,
  /^<?(Ewe-Ece)>?\/V$/,
  /^P(we|ce|we-ce)\/W$/,
  /^R(we|ce|we-ce)?\/Ohm$/,
  /^dq\/mA\.h$/, // printed in EIS exports, not stored there
];

const aliases = new Map<string, string[]>(
  [...DATA_COLUMNS.values()].map((s) => [s.name, [s.name, ...(s.aliases ?? [])]]),
);

describe.each(PAIRS)('%s.mpr against its text export', (pair) => {
  const mpr = readMpr(`${pair}.mpr`, read(`${pair}.mpr`));
  const mpt = readMpt(`${pair}.mpt`, read(`${pair}.mpt`));
  const printed = printedColumns(`${pair}.mpt`);
  const exportName = (name: string) => (aliases.get(name) ?? [name]).find((n) => printed.has(n));

  it('has the same rows, technique and acquisition start', () => {
    expect(mpr.rowCount).toBe(mpt.rowCount);
    expect(mpr.rowCount).toBeGreaterThan(0);
    // The short 3-line export of gcpl.pr_182.1 names neither; its binary has the technique but no log.
    if (mpt.technique !== null) expect(mpr.technique).toBe(mpt.technique);
    expect(mpr.technique).not.toBeNull();
    if (mpt.acquisitionStart !== null) {
      const ms = (s: string) => Date.parse(`${s}Z`);
      expect(Math.abs(ms(mpr.acquisitionStart!) - ms(mpt.acquisitionStart))).toBeLessThanOrEqual(1);
    }
  });

  it('reads every stored and derived column to the precision the export prints', () => {
    const worst: string[] = [];
    for (const [name, values] of mpr.columns) {
      const twin = exportName(name);
      expect(twin, `${name} not in the export`).toBeDefined();
      const texts = printed.get(twin!)!;
      for (let k = 0; k < values.length; k++) {
        const text = texts[k]!;
        const expected = Number(text);
        if (isMaskedQualityIndicator(mpr, name, k, expected)) continue;
        // A float64 printed to 16 digits may sit exactly half a unit off: add the double's own spacing.
        const tol = printTolerance(text) + 4 * Number.EPSILON * Math.abs(expected);
        const diff = Math.abs(values[k]! - expected);
        if (diff > tol) worst.push(`${name} row ${k}: ${values[k]} vs printed ${text}`);
      }
    }
    expect(worst.slice(0, 5)).toEqual([]);
  });

  it('leaves out only the columns the export computes from settings and cell constants', () => {
    const produced = new Set([...mpr.columns.keys()].map(exportName));
    const missing = [...printed.keys()].filter((n) => n !== '' && !produced.has(n));
    expect(missing.filter((n) => !EXPORT_ONLY.some((r) => r.test(n)))).toEqual([]);
  });

  it('reads the text export as the same table where both hold a column', () => {
    for (const [name, values] of mpr.columns) {
      const twin = mpt.columns.get(exportName(name)!)!;
      expect(twin, name).toBeDefined();
      expect(twin.length).toBe(values.length);
    }
  });
});

/** EIS exports print -1 (THD/NSD/NSR) or 0 (harmonics) above ~100 kHz where the binary has numbers. */
function isMaskedQualityIndicator(mpr: EcLabTable, name: string, row: number, printed: number): boolean {
  if (!/^(THD|NSD|NSR) |^\|(Ewe|I) h\d\|/.test(name)) return false;
  const f = mpr.columns.get('freq/Hz')?.[row] ?? 0;
  return f > 100_000 && (printed === -1 || printed === 0);
}

describe('what the reader finds in the pairs', () => {
  const files = new Map<string, MprFile>(PAIRS.map((p) => [p, readMpr(`${p}.mpr`, read(`${p}.mpr`))]));

  it('reads both header layouts and data versions 3 and 11', () => {
    const old = files.get('gcpl.pr_182.1')!;
    expect(old.modules.map((m) => `${m.name} v${m.version} ${m.headerLayout}`)).toEqual([
      'VMP Set v0 old',
      'VMP data v3 old',
    ]);
    expect(old.acquisitionStart).toBeNull(); // no log module
    const mb = files.get('mb.issue_149')!;
    expect(mb.modules.map((m) => `${m.name} v${m.version}`)).toEqual([
      'VMP Set v10',
      'VMP data v11',
      'VMP LOG v10',
      'VMP loop v10',
    ]);
  });

  it("takes the loop starts that the export lists as 'Loop N from point number A to B'", () => {
    const text = read('mb.issue_149.mpt').toString('latin1');
    const fromText = [...text.matchAll(/Loop \d+ from point number (\d+) to (\d+)/g)].map((m) =>
      Number(m[1]),
    );
    const last = [...text.matchAll(/to (\d+)\r?\n/g)].map((m) => Number(m[1])).pop()!;
    expect(files.get('mb.issue_149')!.loopStarts).toEqual([...fromText, last + 1]);
  });

  it('derives the cycle number from the half cycle, and the current from dq/dt where no current is stored', () => {
    const gcpl = files.get('gcpl.pr_182.1')!;
    expect(gcpl.derived).toEqual(['cycle number', '<I>/mA']);
    expect(new Set(gcpl.columns.get('cycle number'))).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(files.get('mb.issue_149')!.derived).toEqual(['cycle number', 'Re(Z)/Ohm', '-Im(Z)/Ohm']);
    expect(files.get('peis.issue_149')!.derived).toEqual([]);
  });
});

describe('refusals name the file and the place', () => {
  const good = read('mb.issue_223.mpr');
  const refuse = (bytes: Uint8Array, pattern: RegExp) => {
    let err: unknown;
    try {
      readMpr('damaged.mpr', bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InstrumentFileError);
    expect((err as Error).message).toMatch(/^damaged\.mpr/);
    expect((err as Error).message).toMatch(pattern);
  };
  const dataIdsAt = 8294 + 6 + 59 + 6; // mb.issue_223: data module tag, header, ids from byte 6

  it('an unknown column id, by number', () => {
    const b = Buffer.from(good);
    b.writeUInt16LE(999, dataIdsAt + 2 * 3); // the 4th id
    refuse(b, /byte \d+: unknown column id 999 \(column 4 of 21\)/);
  });

  it('an unknown module, by name', () => {
    const b = Buffer.from(good);
    b.write('VMP ExtDev', 17682 + 6, 'latin1');
    refuse(b, /byte 17682: unknown module 'VMP ExtDev'/);
  });

  it('an unknown data module version', () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(12, 8294 + 6 + 47);
    refuse(b, /module 'VMP data' version 12 .* not known \(known: 11\)/);
  });

  it('a module longer than the file', () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(0x7fffffff, 8294 + 6 + 39);
    refuse(b, /declares 2147483647 bytes but only \d+ remain/);
  });

  it('a data module cut short, with the whole rows it holds', () => {
    refuse(good.subarray(0, 12000), /declares \d+ bytes but only \d+ remain/);
  });

  it('a row count that does not fill the data module', () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(109, 8294 + 6 + 59);
    refuse(b, /declares 109 rows of 77 bytes but holds 8316 bytes \(108 whole rows\)/);
  });

  it('modules out of the order EC-Lab writes them', () => {
    const set = good.subarray(52, 8294);
    const data = good.subarray(8294, 17682);
    refuse(
      Buffer.concat([good.subarray(0, 52), data, set, good.subarray(17682)]),
      /'VMP data' where EC-Lab writes 'VMP Set'/,
    );
  });

  it('a text file or an empty one', () => {
    refuse(read('mb.issue_223.mpt'), /not an EC-Lab \.mpr/);
    refuse(new Uint8Array(0), /too short/);
  });
});

describe('a .mpr as a spectrum for the eis commands and the eis-analyze node', () => {
  it('reads a single PEIS sweep as the text export gives it', () => {
    for (const pair of ['peis.issue_225.with_ece']) {
      const bin = parseSpectrumFile(`${pair}.mpr`, readEclab(`${pair}.mpr`));
      const txt = parseSpectrumFile(`${pair}.mpt`, readEclab(`${pair}.mpt`));
      expect(bin.format).toBe('biologic-mpr');
      expect(Array.from(bin.spectrum.imOhm, (v) => Number(v.toPrecision(8)))).toEqual(
        Array.from(txt.spectrum.imOhm),
      );
      expect(Array.from(bin.spectrum.fHz, (v) => Number(v.toPrecision(8)))).toEqual(
        Array.from(txt.spectrum.fHz),
      );
    }
  });

  it('refuses a file of several sweeps with their count', () => {
    expect(() => parseSpectrumFile('mb.issue_149.mpr', readEclab('mb.issue_149.mpr'))).toThrow(
      /mb\.issue_149\.mpr: 16 impedance sweeps in this \.mpr: `cellrig cells import` takes them all/,
    );
    // PEIS and GEIS repeated four times (EC-Lab's cycle number 1-4), as the export shows too.
    for (const pair of ['peis.issue_149', 'geis.issue_149']) {
      expect(() => parseSpectrumFile(`${pair}.mpr`, readEclab(`${pair}.mpr`))).toThrow(/4 impedance sweeps/);
      expect(() => parseSpectrumFile(`${pair}.mpt`, readEclab(`${pair}.mpt`))).toThrow(/repeats line/);
    }
  });
});
