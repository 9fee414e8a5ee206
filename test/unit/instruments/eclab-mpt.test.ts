import { describe, expect, it } from 'vitest';
import { readMpt } from '../../../src/instruments/eclab-mpt';
import { InstrumentFileError } from '../../../src/instruments/errors';
import { readEclab } from '../../support/eclab-data';

const text = (s: string) => Buffer.from(s, 'latin1');
const SHORT = 'EC-Lab ASCII FILE\r\nNb header lines : 3\r\nmode\ttime/s\tEwe/V\tI/mA\t\r\n';

describe('EC-Lab text export as a whole table', () => {
  it('reads decimal commas (a European Windows locale) like decimal points', () => {
    const t = readMpt('mb.issue_149.mpt', readEclab('mb.issue_149.mpt'));
    expect(t.rowCount).toBe(564);
    expect(t.columns.get('Ewe/V')![0]).toBeCloseTo(3.4214761, 7);
    expect(t.technique).toBe('Modulo Bat');
    expect(t.acquisitionStart).toBe('2024-01-10T11:02:29.886');
  });

  it('reads the short three-line export, which names no technique', () => {
    const t = readMpt('gcpl.pr_182.1.mpt', readEclab('gcpl.pr_182.1.mpt'));
    expect(t.rowCount).toBe(2533);
    expect(t.technique).toBeNull();
    expect(t.acquisitionStart).toBeNull();
  });

  it('leaves a half-written last line of a growing file for the next read', () => {
    const body = `${SHORT}1\t0.5\t3.1\t0.2\t\r\n1\t1.5\t3.2\t0.2\t\r\n1\t2.`;
    const t = readMpt('live.mpt', text(body), { growing: true });
    expect(t.rowCount).toBe(2);
    expect(t.complete).toBe(false);
    expect(() => readMpt('done.mpt', text(body))).toThrow(
      /done\.mpt, line 6: 2 fields where the header names 4/,
    );
  });

  it('gives an empty table while a growing file has not written its header yet', () => {
    const t = readMpt('live.mpt', text('EC-Lab ASCII FILE\r\nNb header lines : 60\r\n\r\nModulo Bat\r\n'), {
      growing: true,
    });
    expect(t.rowCount).toBe(0);
    expect(t.technique).toBe('Modulo Bat');
  });

  it('names the line and the column of a value that is not a number', () => {
    const body = `${SHORT}1\t0.5\t3.1\t0.2\t\r\n1\t1.5\tNaN\t0.2\t\r\n`;
    const err = (() => {
      try {
        readMpt('bad.mpt', text(body));
      } catch (e) {
        return e as InstrumentFileError;
      }
    })();
    expect(err).toBeInstanceOf(InstrumentFileError);
    expect(err!.message).toBe(`bad.mpt, line 5: "NaN" in column 'Ewe/V' is not a number`);
  });

  it('refuses a header count that does not fit the file', () => {
    expect(() => readMpt('x.mpt', text('EC-Lab ASCII FILE\r\nNb header lines : 99\r\n'))).toThrow(
      /x\.mpt, line 2: header of 99 lines, but the file has 2/,
    );
    expect(() => readMpt('x.mpt', text('EC-Lab ASCII FILE\r\nNb header lines : 2\r\n'))).toThrow(
      /at least 3/,
    );
    expect(() => readMpt('x.mpt', text(`${SHORT.replace(': 3', ': 4')}1\t2\t3\t4\r\n`))).toThrow(
      /line 4: the column-name line holds numbers/,
    );
  });

  it("drops header names no row fills after EC-Lab's empty name (peis.issue_225.with_ece)", () => {
    const t = readMpt('peis.issue_225.with_ece.mpt', readEclab('peis.issue_225.with_ece.mpt'));
    expect(t.columns.has('Rwe-ce/Ohm')).toBe(true);
    expect(t.columns.has('Ewe-Ece/V')).toBe(false);
    expect(t.rowCount).toBe(32);
  });
});
