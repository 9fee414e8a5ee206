import { describe, expect, it } from 'vitest';
import { CyclingView } from '../../../src/panel/cycling-view';

const sample = (channel: string, ts: number, voltageV: number, currentA: number) => ({
  channel,
  stream: 'cycling',
  payload: { ts, cycle: 3, voltageV, currentA },
});

describe('cycling view', () => {
  it('keeps every fourth sample of each channel, current in µA', () => {
    const v = new CyclingView('current');
    const out = [];
    for (let i = 0; i < 8; i++) {
      out.push(v.accept(sample('ch1', 1000 + i, 3.4, 0.00018)));
      out.push(v.accept(sample('ch2', 1000 + i, 3.3, -0.00018)));
    }
    const kept = out.filter((p) => p !== null).flat();
    expect(kept.map((p) => `${p.series}@${p.x}`)).toEqual(['ch1@1000', 'ch2@1000', 'ch1@1004', 'ch2@1004']);
    expect(kept[0]!.y).toBeCloseTo(180, 9);
    expect(kept[1]!.y).toBeCloseTo(-180, 9);
  });

  it('draws volts as they are and ignores other streams and broken samples', () => {
    const v = new CyclingView('voltage');
    expect(v.accept(sample('ch1', 5, 3.41, 0))).toEqual([{ series: 'ch1', x: 5, y: 3.41 }]);
    expect(v.accept({ channel: 'ch1', stream: 'pressure', payload: { ts: 6, pressureMPa: 150 } })).toBeNull();
    expect(v.accept({ channel: 'ch1', stream: 'cycling', payload: { ts: 7, voltageV: null } })).toBeNull();
  });
});
