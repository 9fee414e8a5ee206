import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpectrumFile } from '../../../src/eis/readers';

const repoRoot = path.join(__dirname, '..', '..', '..');
const dataDir = path.join(repoRoot, '..', 'shared', 'data', 'eis');
const read = (name: string) => parseSpectrumFile(name, readFileSync(path.join(dataDir, name)));

// Point counts, ranges and conventions from ../shared/data/eis/SOURCES.md; firstIm is the true Im(Z) of
// the first data row (negated here by hand where the file stores -Im).
const expected = [
  {
    file: 'exampleData.csv',
    format: 'csv',
    n: 66,
    firstHz: 3.1623e-3,
    lastHz: 1e4,
    firstIm: -2.0438698544418925e-2,
  },
  {
    file: 'exampleDataBioLogic.mpt',
    format: 'biologic-mpt',
    n: 43,
    firstHz: 1000.3201,
    lastHz: 1.689554e-2,
    firstIm: -0.38998979,
  },
  {
    file: 'exampleDataGamry.DTA',
    format: 'gamry-dta',
    n: 72,
    firstHz: 200015.6,
    lastHz: 0.0158898,
    firstIm: -1367.239,
  },
  {
    file: 'exampleDataAutolab.txt',
    format: 'autolab-txt',
    n: 41,
    firstHz: 1e4,
    lastHz: 0.1,
    firstIm: 0.007191946305823,
  },
  {
    file: 'LIB_data.txt',
    format: 'csv',
    n: 107,
    firstHz: 999.040405,
    lastHz: 0.00500083202,
    firstIm: 0.00318273902,
  },
  {
    file: 'data_1.csv',
    format: 'csv',
    n: 107,
    firstHz: 999.040405,
    lastHz: 0.005000832,
    firstIm: 0.003569859,
  },
  { file: 'DAHN_TXT_example.txt', format: 'csv', n: 70, firstHz: 1e5, lastHz: 1e-2, firstIm: -0.172 },
  {
    file: 'MPT_example.mpt',
    format: 'biologic-mpt',
    n: 70,
    firstHz: 100019.51,
    lastHz: 1.0005763e-2,
    firstIm: -1.6276802,
  },
  { file: 's04147-140deg.txt', format: 'neisys-txt', n: 42, firstHz: 1e6, lastHz: 3e-2, firstIm: -5.43115e4 },
  {
    file: 's04147-200deg.txt',
    format: 'neisys-txt',
    n: 40,
    firstHz: 1e6,
    lastHz: 6.9838e-2,
    firstIm: -1.83471e4,
  },
] as const;

describe('instrument file readers on the shared real spectra', () => {
  for (const e of expected) {
    it(`detects ${e.file} as ${e.format} from its content and reads all ${e.n} points`, () => {
      const { format, spectrum } = read(e.file);
      expect(format).toBe(e.format);
      expect(spectrum.fHz).toHaveLength(e.n);
      expect(spectrum.fHz[0]).toBeCloseTo(e.firstHz, 6);
      expect(spectrum.fHz[e.n - 1]! / e.lastHz).toBeCloseTo(1, 6);
    });

    it(`gives ${e.file} the true sign of Im(Z): negative on its capacitive arc`, () => {
      const { spectrum } = read(e.file);
      expect(spectrum.imOhm[0]! / e.firstIm).toBeCloseTo(1, 9);
      // Every one of these spectra ends, at its lowest frequency, on a capacitive arc or diffusion tail.
      const lowest = spectrum.fHz.indexOf(Math.min(...spectrum.fHz));
      expect(spectrum.imOhm[lowest]).toBeLessThan(0);
    });
  }

  it('reads a file whose name says nothing about its format', () => {
    const content = readFileSync(path.join(dataDir, 'exampleDataGamry.DTA'));
    expect(parseSpectrumFile('upload.bin', content).format).toBe('gamry-dta');
  });
});

describe("cellrig's own spectrum layout (cellrig sim cells)", () => {
  it('reads f_Hz,re_ohm,im_ohm with the true sign of the imaginary part', () => {
    const csv = 'f_Hz,re_ohm,im_ohm\n1000,10.5,-2.1\n100,12,-5.5\n10,20,-8\n';
    const { spectrum } = parseSpectrumFile('cycle-001.csv', Buffer.from(csv));
    expect(Array.from(spectrum.fHz)).toEqual([1000, 100, 10]);
    expect(Array.from(spectrum.reOhm)).toEqual([10.5, 12, 20]);
    expect(Array.from(spectrum.imOhm)).toEqual([-2.1, -5.5, -8]);
  });
});
