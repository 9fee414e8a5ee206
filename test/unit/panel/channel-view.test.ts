import { describe, expect, it } from 'vitest';
import { ChannelView } from '../../../src/panel/channel-view';

const pressure = (ts: number, mpa: number, extra: Record<string, unknown> = {}) => ({
  channel: 'ch1',
  stream: 'pressure',
  payload: {
    ts,
    cell: 'pristine-NMC811',
    pressureMPa: mpa,
    setpointMPa: 150,
    toleranceMPa: 1.5,
    phase: 'hold',
    inBand: true,
    ...extra,
  },
});

describe('channel view', () => {
  it('draws pressure, setpoint and band every sample', () => {
    const v = new ChannelView('ch1');
    const series = (t: number) => v.accept(pressure(t, 150.2)).points!.map((p) => p.series);
    expect(series(1_000_000)).toEqual(['pressure', 'setpoint', 'band high', 'band low']);
    const band = v.accept(pressure(1_020_000, 149)).points!;
    expect(band.find((p) => p.series === 'band high')!.y).toBe(151.5);
    expect(band.find((p) => p.series === 'band low')!.y).toBe(148.5);
  });

  it('draws only the pressure of a channel that is not held', () => {
    const v = new ChannelView('ch1');
    const p = v.accept({ channel: 'ch1', stream: 'pressure', payload: { ts: 1, pressureMPa: 3 } });
    expect(p.points).toEqual([{ series: 'pressure', x: 1, y: 3 }]);
    expect(p.readout).toMatchObject({ pressureMPa: 3 });
    expect(p.readout).not.toHaveProperty('setpointMPa');
  });

  it('merges relays, the cycler trace, the last cycle and R_CAT into the readout sent with the next sample', () => {
    const v = new ChannelView('ch2');
    expect(
      v.accept({ stream: 'relays', payload: { ts: 1, ch1: 'off', ch2: 'analyser', analyser: 'ch2' } })
        .readout,
    ).toMatchObject({
      channel: 'ch2',
      relay: 'analyser',
    });
    for (const [stream, payload] of [
      ['cycling', { ts: 2, voltageV: 3.41, currentA: 0.00018 }],
      ['cycle', { ts: 3, cycle: 12, retention: 0.987, dischargeMAh: 1.77 }],
      ['eis-fit', { ts: 4, cycle: 12, rCatOhm: 41.2 }],
    ] as const)
      expect(v.accept({ channel: 'ch2', stream, payload })).toEqual({ points: null, readout: null });
    expect(
      v.accept({ channel: 'ch1', stream: 'pressure', payload: { ts: 5, pressureMPa: 150 } }).readout,
    ).toBeNull();
    const r = v.accept({
      channel: 'ch2',
      stream: 'pressure',
      payload: { ts: 6, pressureMPa: 149.9 },
    }).readout;
    expect(r).toEqual({
      channel: 'ch2',
      ts: 6,
      pressureMPa: 149.9,
      relay: 'analyser',
      voltageV: 3.41,
      currentA: 0.00018,
      cycle: 12,
      retention: 0.987,
      dischargeMAh: 1.77,
      rCatOhm: 41.2,
      phase: undefined,
      inBand: undefined,
      excursion: undefined,
      alarms: undefined,
    });
  });

  it('ignores what is not a sample: no payload, non-numbers, another channel', () => {
    const v = new ChannelView('ch1');
    for (const m of [
      {},
      { channel: 'ch1', stream: 'pressure', payload: { ts: 'x', pressureMPa: 1 } },
      { channel: 'ch1', stream: 'pressure', payload: null },
    ])
      expect(v.accept(m)).toEqual({ points: null, readout: null });
  });
});
