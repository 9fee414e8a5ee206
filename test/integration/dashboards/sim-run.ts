/**
 * A simulated run delivered into a real InfluxDB the production way, ending now: stack pressure read
 * from the simulated rig (press, creep, NAU7802 behind the mux) on the virtual clock, and the other
 * streams the dashboards read (dashboards/streams.ts) from simple deterministic models. Every sample is
 * published as JSON on its cellrig/v1/<rig>/<channel>/<stream> topic (QoS 1) to a real Mosquitto, and
 * the InfluxDB writer (services/influx-writer.ts) validates it and writes it.
 */

import mqtt from 'mqtt';
import type { StreamFields, StreamName } from '../../../dashboards/streams';
import { openRigHardware } from '../../../devices/board';
import { StackLoadCell } from '../../../devices/load-cell';
import { InfluxWriter } from '../../../services/influx-writer';
import { RealClock, VirtualClock } from '../../../src/clock';
import { seededRandom } from '../../../src/random';
import { channelConfigSchema } from '../../../src/rig/config';
import { streamTopic } from '../../../src/telemetry/topics';
import { writerConfigSchema } from '../../../src/telemetry/writer-config';
import { tempDir } from '../../support/temp-dir';

export type SimRunOptions = {
  rigs: string[];
  channels: string[];
  durationS: number;
  /** The run ends here (ms since epoch); the dashboards' "now". */
  endMs: number;
};

export type SimRunSummary = {
  published: number;
  written: number;
  deadLettered: number;
  byStream: Record<string, number>;
};

const CELLS = [
  { cell: 'pristine-NMC811', coating: 'pristine' },
  { cell: 'LNO-NMC811', coating: 'LNO' },
  { cell: 'TFAA-NMC811', coating: 'TFAA-2wt%' },
];

class PointSink {
  readonly messages: { topic: string; payload: string }[] = [];
  readonly byStream: Record<string, number> = {};
  private readonly seqs = new Map<string, number>();

  add<S extends StreamName>(
    rig: string,
    channel: string,
    stream: S,
    ts: number,
    fields: StreamFields<S>,
    tags: { cell?: string; coating?: string } = {},
  ): void {
    const key = `${rig}/${channel}/${stream}`;
    const seq = this.seqs.get(key) ?? 0;
    this.seqs.set(key, seq + 1);
    const payload = JSON.stringify({ ts, seq, ...tags, ...fields });
    this.messages.push({ topic: streamTopic(rig, channel, stream), payload });
    this.byStream[stream] = (this.byStream[stream] ?? 0) + 1;
  }
}

async function pressureFromSimRig(sink: PointSink, rig: string, seed: number, opts: SimRunOptions) {
  const startMs = opts.endMs - opts.durationS * 1000;
  const clock = new VirtualClock(startMs);
  const hw = await openRigHardware({ rigId: rig, backend: 'sim', seed }, clock);
  try {
    const cells = opts.channels.map((channel, i) => ({
      channel,
      ...(CELLS[i % CELLS.length] as (typeof CELLS)[number]),
      loadCell: new StackLoadCell(
        hw.bus,
        clock,
        channelConfigSchema.parse({ channel, cell: 'c', coating: 'pristine', muxPort: i }),
      ),
    }));
    for (let t = 0; t < opts.durationS; t++) {
      for (const c of cells) {
        const reading = c.loadCell.read();
        await clock.tick(0);
        const r = await reading;
        sink.add(
          rig,
          c.channel,
          'pressure',
          r.ts,
          { pressureMPa: r.pressureMPa, forceN: r.forceN, setpointMPa: 150, toleranceMPa: 1.5 },
          { cell: c.cell, coating: c.coating },
        );
      }
      await clock.tick(1000);
    }
  } finally {
    hw.close();
  }
}

/** Oven, heater, relays, events, alerts and the cell's cycling and impedance streams. */
function otherStreams(sink: PointSink, rig: string, seed: number, opts: SimRunOptions): void {
  const rnd = seededRandom(seed);
  const startMs = opts.endMs - opts.durationS * 1000;
  const at = (s: number) => startMs + Math.round(s * 1000);
  let tempC = 25;
  for (let s = 0; s < opts.durationS; s++) {
    const setpointC = Math.min(100, 25 + s * 0.5);
    const duty = Math.max(0, Math.min(1, (setpointC - tempC) * 0.2));
    tempC += duty * 0.8 - (tempC - 25) * 0.002 + (rnd.next() - 0.5) * 0.05;
    sink.add(rig, 'oven', 'oven', at(s), { tempC, setpointC, heaterDuty: duty, heaterEnabled: true });
  }
  opts.channels.forEach((channel, i) => {
    const states = ['off', 'cycler', 'analyser', i === 0 ? 'isolated' : 'cycler'];
    states.forEach((state, k) => {
      sink.add(rig, channel, 'relay', at((k * opts.durationS) / states.length), { state });
    });
    const cycles = 10;
    for (let cycle = 1; cycle <= cycles; cycle++) {
      const s = (cycle * (opts.durationS - 30)) / cycles;
      const retention = 1 - cycle * (i === 0 ? 0.003 : 0.0005);
      sink.add(rig, channel, 'cycle', at(s), {
        cycle,
        chargeMAh: 1.9 * retention + 0.01,
        dischargeMAh: 1.9 * retention,
        retention,
        coulombicEfficiency: 0.995,
      });
      const rCatOhm = 40 + cycle * (i === 0 ? 4 : 0.5);
      sink.add(rig, channel, 'eis-fit', at(s + 1), {
        cycle,
        rSeOhm: 20 + rnd.normal() * 0.2,
        rCatOhm,
        rCatStderrOhm: 0.01 * rCatOhm,
        rCatDetermined: 1,
        rmse: 0.004,
      });
      const growth = i === 0 ? 0.01 : 0.0005;
      sink.add(rig, channel, 'health', at(s + 1), {
        cycle,
        ceBaseline: 0.995,
        ceCusum: i === 0 && cycle > 7 ? 0.004 * (cycle - 7) : 0,
        ceThreshold: 0.005,
        ceSigma: 0.001,
        voltageNoiseV: 0.0008,
        restSlopeVPerH: -0.002,
        restSlopeThresholdVPerH: -0.01,
        chargeDipV: 0.0002,
        chargeDipThresholdV: 0.008,
        rCatNormalisedOhm: rCatOhm,
        rCatGrowthPerCycle: growth,
        rCatGrowthLower: growth - 0.001,
        rCatGrowthUpper: growth + 0.001,
        softShortFlagged: i === 0 && cycle > 8 ? 1 : 0,
      });
      for (let k = 0; k < 30; k++) {
        const fHz = 1e6 * 10 ** (-k / 5);
        const w = 2 * Math.PI * fHz;
        const z = { re: 20, im: 0 };
        const rc = 40 / (1 + (w * 40 * 1e-6) ** 2);
        z.re += rc;
        z.im = -rc * w * 40 * 1e-6;
        sink.add(rig, channel, 'spectrum', at(s + 2) + k, { cycle, fHz, reOhm: z.re, imOhm: z.im });
      }
    }
    for (let s = 0; s < opts.durationS; s += 5) {
      const phase = (s % 120) / 120;
      sink.add(rig, channel, 'cycling', at(s), {
        voltageV: 1.88 + 1.8 * phase,
        currentA: phase < 0.5 ? 1.9e-4 : -1.9e-4,
        cycle: 1 + Math.floor(s / 120),
      });
    }
    sink.add(rig, channel, 'alert', at(opts.durationS - 90), {
      level: i === 0 ? 2 : 0,
      kind: i === 0 ? 'resistance-growth' : 'none',
      message: i === 0 ? 'R_CAT keeps growing after formation' : 'healthy',
    });
  });
  sink.add(rig, 'oven', 'events', at(10), {
    kind: 'event',
    code: 'segment-start',
    message: 'ramp to 100 C started',
    timeS: 10,
  });
  sink.add(rig, opts.channels[0] as string, 'events', at(opts.durationS - 60), {
    kind: 'alarm',
    code: 'holdback',
    message: 'stack pressure outside the band for longer than the holdback time',
    timeS: opts.durationS - 60,
  });
}

export type Delivery = { mqttUrl: string; influxUrl: string; database: string };

/**
 * Publishes the run and waits until the writer has written (or dead-lettered) every sample; throws if
 * that takes longer than `timeoutMs`.
 */
export async function deliverSimulatedRun(
  to: Delivery,
  opts: SimRunOptions,
  timeoutMs = 60_000,
): Promise<SimRunSummary> {
  const sink = new PointSink();
  for (const [i, rig] of opts.rigs.entries()) {
    await pressureFromSimRig(sink, rig, i + 1, opts);
    otherStreams(sink, rig, 100 + i, opts);
  }
  const writer = new InfluxWriter(
    writerConfigSchema.parse({
      brokerUrl: to.mqttUrl,
      influxUrl: to.influxUrl,
      database: to.database,
      rig: '',
      clientId: `dashboards-writer-${process.pid}`,
    }),
    new RealClock(),
    {},
    { dir: tempDir('dashboards-writer') },
  );
  const subscribed = new Promise<void>((resolve) => writer.once('connect', () => resolve()));
  writer.start();
  const publisher = await mqtt.connectAsync(to.mqttUrl, { clientId: `dashboards-sim-${process.pid}` });
  try {
    await subscribed;
    // The writer subscribes on connect; a moment for the SUBACK before the first sample.
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < sink.messages.length; i += 500) {
      await Promise.all(
        sink.messages.slice(i, i + 500).map((m) => publisher.publishAsync(m.topic, m.payload, { qos: 1 })),
      );
    }
    const deadline = Date.now() + timeoutMs;
    const done = () => writer.stats.written + writer.stats.deadLettered >= sink.messages.length;
    while (!done()) {
      if (Date.now() > deadline)
        throw new Error(`writer wrote ${writer.stats.written} of ${sink.messages.length} samples in time`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      published: sink.messages.length,
      written: writer.stats.written,
      deadLettered: writer.stats.deadLettered,
      byStream: sink.byStream,
    };
  } finally {
    await publisher.endAsync();
    await writer.close();
  }
}
