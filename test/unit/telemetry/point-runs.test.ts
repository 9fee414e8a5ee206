import { describe, expect, it } from 'vitest';
import {
  batchBody,
  countPoints,
  type PointRun,
  pointRun,
  runText,
  takePoints,
} from '../../../services/point-runs';
import { ContiguousWatermark } from '../../../src/telemetry/watermark';

// Lines as the writer may produce them: non-ASCII tags, a string field holding a newline.
const lines = [
  'pressure,channel=ch1,rig=r1 seq=0i,pressureMPa=150.5 1700000000000000000',
  'pressure,cell=µ-cell\\ 1,channel=ch1,rig=r1 seq=1i,pressureMPa=150 1700000000001000001',
  'events,channel=ch1,rig=r1 note="two\nlines 🔋",seq=2i 1700000000002000002',
  'pressure,channel=ch1,rig=r1 seq=3i,pressureMPa=-1e-7 1700000000003000003',
  'pressure,channel=ch1,rig=r1 seq=4i,pressureMPa=1 1700000000004000004',
];
const wm = new ContiguousWatermark();
/** Runs of 4 and 1 points: cuts fall after the non-ASCII lines too. */
const runs = (): PointRun[] => [
  pointRun('r1', wm, lines.slice(0, 4), [0, 1, 2, 3]),
  pointRun('r1', wm, lines.slice(4), [4]),
];
const linesOf = (rs: PointRun[]) => rs.flatMap((r) => runText(r).split(/\n(?=pressure|events)/));

describe('point runs', () => {
  it('take the first n points, cutting a run between two lines, and keep the rest in order', () => {
    for (let n = 0; n <= lines.length + 1; n++) {
      const [head, rest] = takePoints(runs(), n);
      const k = Math.min(n, lines.length);
      expect(countPoints(head)).toBe(k);
      expect(countPoints(rest)).toBe(lines.length - k);
      expect(linesOf(head)).toEqual(lines.slice(0, k));
      expect(linesOf(rest)).toEqual(lines.slice(k));
      expect([...head, ...rest].flatMap((r) => r.seqs)).toEqual([0, 1, 2, 3, 4]);
      // Cut again: the line ends of a cut run still point at its own lines.
      for (let m = 0; m <= lines.length - k; m++)
        expect(linesOf(takePoints(rest, m)[0])).toEqual(lines.slice(k, k + m));
    }
  });

  it('keep their own bytes when many share one buffer', () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      pointRun('r1', wm, [`m,tag=é${i} v=${i} ${i}`, `m,tag=x${i} v=${-i} ${i + 1}`], [2 * i, 2 * i + 1]),
    );
    many.forEach((r, i) => {
      expect(runText(r)).toBe(`m,tag=é${i} v=${i} ${i}\nm,tag=x${i} v=${-i} ${i + 1}`);
    });
  });

  it('join into one /write body, a line per point, UTF-8', () => {
    expect(batchBody(runs()).toString('utf8')).toBe(lines.join('\n'));
    expect(batchBody(runs()).length).toBe(Buffer.byteLength(lines.join('\n')));
    expect(batchBody([]).length).toBe(0);
  });
});
