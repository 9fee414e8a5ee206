import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listCellDirs, readCellDir, writeCellDir } from '../../../src/cells/directory';
import {
  CellFileError,
  formatCyclingCsv,
  parseCellMeta,
  parseCyclingCsv,
  parseSpectrumCsv,
  readCellMeta,
  spectrumCycle,
} from '../../../src/cells/format';
import { spectrum } from '../../../src/eis/spectrum';

const meta = {
  id: 'c1',
  coating: 'pristine',
  nominalCapacitymAh: 2,
  pressureMPa: 150,
  temperatureC: 25,
  activationEnergyEv: 0.5,
  cathodeBatch: { id: 'B1', dryingRun: 'dry-1' },
};
const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'cellrig-cells-'));
  tmp.push(d);
  return d;
};

describe('cell.json', () => {
  it('names the file and the field that is wrong', () => {
    expect(() => parseCellMeta('x/cell.json', JSON.stringify({ ...meta, pressureMPa: -1 }))).toThrow(
      /x\/cell\.json: pressureMPa: .*too small/i,
    );
    expect(() => parseCellMeta('x/cell.json', JSON.stringify({ ...meta, id: 'a b' }))).toThrow(
      /id: only letters/,
    );
  });

  it('needs only an id; every absent field is a warning naming what stands in for it', () => {
    const r = readCellMeta('x/cell.json', '{"id": "c7"}');
    expect(r.meta).toEqual({ id: 'c7' });
    expect(r.warnings).toHaveLength(6);
    expect(r.warnings).toContain("x/cell.json: no coating: 'unknown'");
    expect(r.warnings.join('\n')).toMatch(/no pressureMPa: R_CAT is not normalised for stack pressure/);
    expect(r.warnings.join('\n')).toMatch(/no activationEnergyEv: estimated from R_CAT/);
    expect(readCellMeta('x/cell.json', JSON.stringify(meta)).warnings).toEqual([]);
    expect(() => parseCellMeta('x/cell.json', '{"coating": "LNO"}')).toThrow(/x\/cell\.json: id: /);
  });

  it('warns about a field it does not know (a typo), and still reads the cell', () => {
    const r = readCellMeta('x/cell.json', JSON.stringify({ ...meta, pressureMpa: 150 }));
    expect(r.warnings).toEqual(["x/cell.json: unknown field 'pressureMpa' ignored"]);
  });

  it('names the line of a JSON syntax error', () => {
    const e = (() => {
      try {
        parseCellMeta('x/cell.json', '{\n "id": "c1",\n "coating": ,\n}');
      } catch (err) {
        return err as CellFileError;
      }
    })();
    expect(e).toBeInstanceOf(CellFileError);
    expect(e!.line).toBe(3);
  });
});

describe('cycling.csv', () => {
  it('rejects a wrong header on line 1', () => {
    expect(() => parseCyclingCsv('c/cycling.csv', 'time,cycle,V,I\n0,1,3,0.1\n')).toThrow(
      "c/cycling.csv:1: expected header 'time_s,cycle,voltage_V,current_A' (optionally ',temperature_C'), found 'time,cycle,V,I'",
    );
    expect(() => parseCyclingCsv('c.csv', 'time_s,cycle,voltage_V\n0,1,3\n')).toThrow(
      /c\.csv:1: expected header/,
    );
  });

  it('reads the optional temperature_C column, in any column order, and keeps a sample whose temperature is bad', () => {
    const r = parseCyclingCsv(
      'c.csv',
      'cycle,time_s,temperature_C,current_A,voltage_V\n1,0,25.5,0.1,3.0\n1,60,,0.1,3.1\n1,120,hot,0.1,3.2\n',
    );
    expect(r.hasTemperature).toBe(true);
    expect(r.samples).toEqual([
      { timeS: 0, cycle: 1, voltageV: 3.0, currentA: 0.1, temperatureC: 25.5 },
      { timeS: 60, cycle: 1, voltageV: 3.1, currentA: 0.1 },
      { timeS: 120, cycle: 1, voltageV: 3.2, currentA: 0.1 },
    ]);
    expect(r.badLines).toEqual([
      { line: 4, problem: "temperature not a number in '1,120,hot,0.1,3.2'; kept without it" },
    ]);
  });

  it('writes temperature_C only when a sample has one, and reads back what it wrote', () => {
    const samples = [
      { timeS: 0, cycle: 1, voltageV: 3.1, currentA: 0.0002, temperatureC: 24.25 },
      { timeS: 60, cycle: 1, voltageV: 3.2, currentA: 0.0002 },
    ];
    const text = formatCyclingCsv(samples);
    expect(text.split('\n')[0]).toBe('time_s,cycle,voltage_V,current_A,temperature_C');
    expect(parseCyclingCsv('c.csv', text).samples).toEqual(samples);
  });

  it('keeps a bad row as NaN and reports its line, so later lines keep their numbers', () => {
    const r = parseCyclingCsv(
      'c.csv',
      'time_s,cycle,voltage_V,current_A\n0,1,3.0,0.1\n60,1,abc,0.1\n120,1,3.1\n180,1,3.2,0.1\n\n',
    );
    expect(r.samples).toHaveLength(4);
    expect(r.badLines.map((b) => b.line)).toEqual([3, 4]);
    expect(r.badLines[1]!.problem).toBe('expected 4 fields, found 3');
    expect(Number.isNaN(r.samples[1]!.voltageV)).toBe(true);
  });

  it('writes what it reads', () => {
    const samples = [
      { timeS: 0, cycle: 1, voltageV: 3.123456, currentA: 0.0002 },
      { timeS: 120.5, cycle: 1, voltageV: 3.2, currentA: -0.0002 },
    ];
    expect(parseCyclingCsv('c.csv', formatCyclingCsv(samples)).samples).toEqual(samples);
  });
});

describe('spectra', () => {
  it('reads its own f_Hz,re_ohm,im_ohm layout and names a bad line', () => {
    const s = parseSpectrumCsv('s.csv', 'f_Hz,re_ohm,im_ohm\n1000,10,-2\n1,20,-5\n');
    expect(Array.from(s.imOhm)).toEqual([-2, -5]);
    expect(() => parseSpectrumCsv('s.csv', 'f_Hz,re_ohm,im_ohm\n1000,10,-2\n0,20,-5\n')).toThrow(
      /s\.csv:3: expected three numbers/,
    );
  });

  it('takes the cycle from the file name', () => {
    expect(spectrumCycle('cycle-007.csv')).toBe(7);
    expect(spectrumCycle('cycle-12.mpt')).toBe(12);
    expect(spectrumCycle('notes.txt')).toBeNull();
  });
});

describe('cell folders', () => {
  it('round-trips a cell and lists only folders that hold a cell.json', async () => {
    const root = await tempDir();
    const s = spectrum([1000, 1], [10, 20], [-2, -5]);
    await writeCellDir(root, {
      meta,
      samples: [{ timeS: 0, cycle: 1, voltageV: 3, currentA: 0 }],
      spectra: [{ cycle: 1, spectrum: s }],
    });
    await mkdir(join(root, 'not-a-cell'));
    expect(await listCellDirs(root)).toEqual([join(root, 'c1')]);
    const back = await readCellDir(join(root, 'c1'));
    expect(back.meta).toEqual(meta);
    expect(back.spectra.map((x) => x.cycle)).toEqual([1]);
    expect(back.warnings).toEqual([]);
    expect(await readFile(join(root, 'c1', 'eis', 'cycle-001.csv'), 'utf8')).toMatch(/^f_Hz,re_ohm,im_ohm\n/);
  });

  it('turns an unreadable spectrum into a warning naming the file, and a missing cell.json into an error', async () => {
    const root = await tempDir();
    await writeCellDir(root, { meta, samples: [], spectra: [] });
    await writeFile(join(root, 'c1', 'eis', 'cycle-002.csv'), 'f_Hz,re_ohm,im_ohm\n1000,x,1\n');
    const back = await readCellDir(join(root, 'c1'));
    expect(back.warnings).toEqual([
      expect.stringMatching(/cycle-002\.csv:2: .*spectrum of cycle 2 left out/),
    ]);
    await expect(readCellDir(join(root, 'nothing'))).rejects.toThrow(/nothing\/cell\.json: missing/);
  });
});
