import { describe, expect, it } from 'vitest';
import { ChannelView, LEVEL_EVERY_MS } from '../../../src/panel/channel-view';

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
  it('draws pressure every sample, and setpoint and band when they change and every LEVEL_EVERY_MS', () => {
    const v = new ChannelView('ch1');
    const series = (t: number, extra: Record<string, unknown> = {}) =>
      v.accept(pressure(t, 150.2, extra)).points!.map((p) => `${p.series}@${p.x}=${p.y}`);
    const t0 = 1_000_000;
    expect(series(t0)).toEqual([
      `pressure@${t0}=150.2`,
      `setpoint@${t0}=150`,
      `band high@${t0}=151.5`,
      `band low@${t0}=148.5`,
    ]);
    // Unchanged: the pressure only, until the level's line needs to reach the present again.
    for (let t = t0 + 1000; t < t0 + LEVEL_EVERY_MS; t += 1000)
      expect(series(t)).toEqual([`pressure@${t}=150.2`]);
    const t1 = t0 + LEVEL_EVERY_MS;
    expect(series(t1)).toEqual([
      `pressure@${t1}=150.2`,
      `setpoint@${t1}=150`,
      `band high@${t1}=151.5`,
      `band low@${t1}=148.5`,
    ]);
    // A new setpoint: the old level closed at this instant, then the new one, so the line steps.
    const t2 = t1 + 1000;
    expect(series(t2, { setpointMPa: 100 })).toEqual([
      `pressure@${t2}=150.2`,
      `setpoint@${t2}=150`,
      `band high@${t2}=151.5`,
      `band low@${t2}=148.5`,
      `setpoint@${t2}=100`,
      `band high@${t2}=101.5`,
      `band low@${t2}=98.5`,
    ]);
    // The hold ends: the level is closed, and nothing more is drawn for it.
    const t3 = t2 + 1000;
    expect(series(t3, { setpointMPa: undefined, toleranceMPa: undefined })).toEqual([
      `pressure@${t3}=150.2`,
      `setpoint@${t3}=100`,
      `band high@${t3}=101.5`,
      `band low@${t3}=98.5`,
    ]);
    expect(series(t3 + 2 * LEVEL_EVERY_MS, { setpointMPa: undefined, toleranceMPa: undefined })).toEqual([
      `pressure@${t3 + 2 * LEVEL_EVERY_MS}=150.2`,
    ]);
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
