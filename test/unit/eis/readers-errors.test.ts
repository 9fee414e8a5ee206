import { describe, expect, it } from 'vitest';
import { parseSpectrumFile } from '../../../src/eis/readers';

const parse = (text: string | Buffer) =>
  parseSpectrumFile('cell7.csv', Buffer.isBuffer(text) ? text : Buffer.from(text));

describe('instrument file readers on malformed and unusual input', () => {
  it('names the file, the line and the bad field when a value is not a number', () => {
    expect(() => parse('1000,1,-1\n100,2,abc\n10,3,-2\n')).toThrow(
      /cell7\.csv, line 2: "abc" in column 3 is not a number/,
    );
  });

  it('refuses NaN written as text instead of passing it on', () => {
    expect(() => parse('1000,1,-1\n100,NaN,-2\n')).toThrow(/line 2: "NaN"/);
  });

  it('refuses a zero or negative frequency with its line', () => {
    expect(() => parse('1000,1,-1\n-100,2,-2\n')).toThrow(/line 2: fHz: frequency must be positive/);
  });

  it('refuses a repeated frequency and says which line it repeats', () => {
    expect(() => parse('1000,1,-1\n100,2,-2\n100,2,-2\n')).toThrow(/line 3: frequency 100 Hz repeats line 2/);
  });

  it('refuses a row with too few fields', () => {
    expect(() => parse('1000,1,-1\n100,2\n')).toThrow(/line 2: expected at least 3 fields, found 2/);
  });

  it('refuses an empty file', () => {
    expect(() => parse('')).toThrow(/cell7\.csv: empty file/);
  });

  it('refuses a header naming no imaginary column', () => {
    expect(() => parse('freq/Hz,Re(Z)/Ohm\n1000,1\n')).toThrow(/line 1: no imaginary part column/);
  });

  it('negates a column headed -Im(Z) and keeps one headed Im(Z)', () => {
    expect(parse('f (Hz);Re(Z) (Ohm);-Im(Z) (Ohm)\n1000;1;0.5\n').spectrum.imOhm[0]).toBe(-0.5);
    expect(parse('f (Hz);Re(Z) (Ohm);Im(Z) (Ohm)\n1000;1;0.5\n').spectrum.imOhm[0]).toBe(0.5);
  });

  it('reads semicolon-separated rows with decimal commas and kOhm and kHz units', () => {
    const { spectrum } = parse("Frequency (kHz);Z' (kOhm);Z'' (kOhm)\n1,5;2,25;-0,5\n");
    expect(Array.from(spectrum.fHz)).toEqual([1500]);
    expect(Array.from(spectrum.reOhm)).toEqual([2250]);
    expect(Array.from(spectrum.imOhm)).toEqual([-500]);
  });

  it('settles an unnamed imaginary column from the phase column', () => {
    const text = 'freq/Hz\tRe(Z)/Ohm\t#NAME?\tPhase(Z)/deg\n1000\t1\t0.5\t-26.6\n100\t2\t1\t-26.6\n';
    expect(Array.from(parse(text).spectrum.imOhm)).toEqual([-0.5, -1]);
  });

  it('catches a truncated Autolab export from its declared point count', () => {
    const text =
      '"Z60W Data File: Version 1.1"\n0,2,0,1,0.1,10000\n3\n"  Freq (Hz)    Ampl     Bias   Time(Sec)   Z\'(a)    Z\'\'(b)"\n10000,0,0,0,1,-1\n1000,0,0,0,2,-2\n';
    expect(() => parse(text)).toThrow(/declares 3 points but holds 2/);
  });

  it('refuses a damaged BioLogic binary .mpr with the reason', () => {
    const mpr = Buffer.concat([Buffer.from('BIO-LOGIC MODULAR FILE\x1a'), Buffer.alloc(64)]);
    expect(() => parse(mpr)).toThrow(/byte 22: file header damaged/);
  });

  it('refuses an EC-Lab file whose header line count is missing', () => {
    expect(() => parse('EC-Lab ASCII FILE\nsomething else\n')).toThrow(
      /line 2: expected "Nb header lines : N"/,
    );
  });

  it('reads a UTF-16 export with a byte-order mark', () => {
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('100\t1\t-1\r\n10\t2\t-3\r\n', 'utf16le'),
    ]);
    expect(Array.from(parse(utf16).spectrum.imOhm)).toEqual([-1, -3]);
  });
});
