/**
 * `stack-pressure` node: reads a cell channel's stack load cell every sample period and sends the
 * stack pressure. A missing load cell gives a grey "not available" status and the flow keeps running.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { DeviceNotAvailableError } from '../../devices/i2c-bus';
import { StackLoadCell } from '../../devices/load-cell';
import type { TimerHandle } from '../../src/clock';
import { channelConfigSchema } from '../../src/rig/config';
import { errorMessage, short, status, validateConfig } from '../shared/node-support';
import { rigRuntime } from '../shared/rig-ref';

type StackPressureDef = NodeDef & {
  rig: string;
  channel: string;
  cell: string;
  coating: string;
  muxPort: string | number;
  dieDiameterMm: string | number;
  samplePeriodMs: string | number;
  zeroCounts: string | number;
  countsPerN: string | number;
};

export default function register(RED: NodeAPI): void {
  function StackPressureNode(this: Node, def: StackPressureDef) {
    RED.nodes.createNode(this, def);
    const config = validateConfig(
      this,
      channelConfigSchema,
      {
        channel: def.channel,
        cell: def.cell,
        coating: def.coating,
        muxPort: def.muxPort,
        dieDiameterMm: def.dieDiameterMm || undefined,
        samplePeriodMs: def.samplePeriodMs || undefined,
        calibration:
          def.zeroCounts !== undefined &&
          def.zeroCounts !== '' &&
          def.countsPerN !== undefined &&
          def.countsPerN !== ''
            ? { zeroCounts: Number(def.zeroCounts), countsPerN: Number(def.countsPerN) }
            : undefined,
      },
      `stack-pressure "${def.name || def.id}"`,
    );
    if (!config) return;
    const rig = rigRuntime(RED, def.rig);
    if (typeof rig === 'string') {
      this.error(rig);
      this.status(status.error(short(rig)));
      return;
    }
    const clock = rig.clock;
    let loadCell: StackLoadCell | undefined;
    let reading = false;
    let closed = false;

    const sample = async (): Promise<void> => {
      if (reading || closed) return;
      reading = true;
      try {
        loadCell ??= new StackLoadCell((await rig.hardware()).bus, clock, config);
        const r = await loadCell.read();
        if (closed) return;
        this.status(status.ok(`${r.pressureMPa.toFixed(1)} MPa`));
        const msg: NodeMessage & { channel: string; stream: string } = {
          topic: `${rig.rigId}/${config.channel}/pressure`,
          channel: config.channel,
          stream: 'pressure',
          payload: {
            ts: r.ts,
            pressureMPa: r.pressureMPa,
            forceN: r.forceN,
            counts: r.counts,
            cell: config.cell,
            coating: config.coating,
          },
        };
        this.send(msg);
      } catch (err) {
        loadCell?.reset();
        if (closed) return;
        if (err instanceof DeviceNotAvailableError) this.status(status.unavailable());
        else {
          this.status(status.error(short(errorMessage(err))));
          this.warn(errorMessage(err));
        }
      } finally {
        reading = false;
      }
    };

    this.status(status.idle('starting'));
    const timer: TimerHandle = clock.setInterval(() => void sample(), config.samplePeriodMs);
    void sample();

    this.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => {
      // Any input asks for a reading now, e.g. from an inject node or a test sequence.
      sample().then(() => done(), done);
    });
    this.on('close', (done: () => void) => {
      closed = true;
      clock.clearTimer(timer);
      this.status({});
      done();
    });
  }
  RED.nodes.registerType('stack-pressure', StackPressureNode);
}
