/**
 * `stack-pressure` node: reads a cell channel's stack load cell every sample period and sends the stack
 * pressure; in 'hold' mode it also drives the channel's press to hold the target (ramp, band, creep
 * compensation, overload trip, holdback alarm, excursion tags), with events on a second output. A missing
 * load cell gives a grey "not available" status (and, under control, stops the press); the flow keeps running.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { StackLoadCell } from '../../devices/load-cell';
import { PressActuator } from '../../devices/press-actuator';
import { PressLoop, type PressLoopSample } from '../../devices/press-loop';
import type { PressureHold } from '../../src/control/pressure-hold';
import { describeZodError } from '../../src/rig/config';
import { errorMessage, short, status, validateConfig } from '../shared/node-support';
import { rigOrReport } from '../shared/rig-ref';
import { startSampling } from '../shared/sampling';
import { calibrate, calibrationCommandSchema, calibrationEvent, isCalibrationCommand } from './calibrate';
import { configFrom, holdFor, stackPressureCommandSchema, stackPressureConfigSchema } from './config';
import { eventMessage, pressureMessages, statusFor } from './messages';

type Def = NodeDef & Record<string, string | number | boolean | undefined> & { rig: string };

export default function register(RED: NodeAPI): void {
  function StackPressureNode(this: Node, def: Def) {
    RED.nodes.createNode(this, def);
    const what = `stack-pressure "${def.name || def.id}"`;
    const config = validateConfig(this, stackPressureConfigSchema, configFrom(def), what);
    if (!config) return;
    let hold: PressureHold | undefined;
    try {
      hold = holdFor(config);
    } catch (err) {
      const message = 'issues' in (err as object) ? describeZodError(err as never, what) : errorMessage(err);
      this.error(message);
      this.status(status.error(short(message)));
      return;
    }
    const rig = rigOrReport(RED, this, def.rig);
    if (!rig) return;
    const clock = rig.clock;
    let loop: PressLoop | undefined;
    let lastCounts: number | undefined;

    const send = (s: PressLoopSample): void => {
      const m = pressureMessages(s, { rigId: rig.rigId, ...config }, hold);
      if (m.telemetry) this.send([m.telemetry, null]);
      for (const e of m.events) this.send([null, e]);
    };

    const show = (s: PressLoopSample): void => this.status(statusFor(s, hold));

    const step = async (isClosed: () => boolean): Promise<void> => {
      if (!loop) {
        const hw = await rig.hardware();
        const actuator =
          hold && config.pumpPin !== undefined && config.valvePin !== undefined
            ? new PressActuator(hw.io, clock, {
                pumpPin: config.pumpPin,
                valvePin: config.valvePin,
                pumpSpeedMmPerS: hold.config.maxSpeedMmPerS,
                releaseSpeedMmPerS: hold.config.maxSpeedMmPerS,
              })
            : undefined;
        loop = new PressLoop(new StackLoadCell(hw.bus, clock, config), clock, hold, actuator);
        if (hold && config.autoStart) hold.start(clock.now() / 1000);
      }
      const s = await loop.sample();
      if (s.reading) lastCounts = s.reading.counts;
      if (isClosed()) {
        loop.stop();
        return;
      }
      show(s);
      send(s);
    };

    const recalibrate = async (p: unknown): Promise<void> => {
      const cmd = calibrationCommandSchema.safeParse(p);
      const active = hold && ['ramp', 'hold', 'release'].includes(hold.currentPhase);
      const why = !cmd.success
        ? describeZodError(cmd.error, `${what} msg.payload`)
        : active
          ? 'stop the hold before calibrating'
          : !lastCounts
            ? 'no reading yet'
            : undefined;
      if (why || !cmd.success || lastCounts === undefined) {
        this.status(status.error(short(why ?? 'calibration refused')));
        throw new Error(why);
      }
      config.calibration = calibrate(cmd.data, lastCounts, config.calibration);
      const e = calibrationEvent(cmd.data, config.calibration, clock.now() / 1000);
      this.send([null, eventMessage(e, clock.now(), { rigId: rig.rigId, ...config })]);
      this.status(status.ok(short(e.message)));
    };

    const { sample } = startSampling(this, clock, config.samplePeriodMs, {
      step,
      safe: () => loop?.stop(),
    });

    this.on('input', (msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => {
      const p = msg.payload as { command?: unknown } | undefined;
      if (isCalibrationCommand(p)) {
        recalibrate(p).then(() => done(), done);
        return;
      }
      if (p && typeof p === 'object' && 'command' in p) {
        const cmd = stackPressureCommandSchema.safeParse(p);
        if (!cmd.success || !hold) {
          const why = cmd.success
            ? 'commands need control: hold'
            : describeZodError(cmd.error, `${what} msg.payload`);
          this.status(status.error(short(why)));
          done(new Error(why));
          return;
        }
        const t = clock.now() / 1000;
        try {
          if (cmd.data.command === 'start') hold.start(t, cmd.data.targetMPa);
          else if (cmd.data.command === 'stop') hold.stop(t);
          else hold.reset(t);
        } catch (err) {
          this.status(status.error(short(errorMessage(err))));
          done(err as Error);
          return;
        }
      }
      // Any other input asks for a reading now, e.g. from an inject node or a test sequence.
      sample().then(() => done(), done);
    });
  }
  RED.nodes.registerType('stack-pressure', StackPressureNode);
}
