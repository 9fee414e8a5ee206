/**
 * `stack-pressure` node: reads a cell channel's stack load cell every sample period and sends the stack
 * pressure; in 'hold' mode it also drives the channel's press to hold the target (ramp, band, creep
 * compensation, overload trip, holdback alarm, excursion tags), with events on a second output. Commands
 * and their safety checks live in devices/press-channel.ts; this file only adapts them to Node-RED. A
 * missing load cell gives a grey "not available" status (and, under control, stops the press).
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { CommandRefused, PressChannel, type PressCommand } from '../../devices/press-channel';
import type { PressLoopSample } from '../../devices/press-loop';
import type { ControlEvent } from '../../src/control/events';
import { describeZodError } from '../../src/rig/config';
import { describeProblems } from '../../src/rig/hardware-limits';
import { errorMessage, short, status, validateConfig } from '../shared/node-support';
import { rigOrReport } from '../shared/rig-ref';
import { startSampling } from '../shared/sampling';
import {
  configFrom,
  deployedChannel,
  holdFor,
  pressCommandSchema,
  settingsProblems,
  stackPressureConfigSchema,
} from './config';
import { eventMessage, pressureMessages, statusFor } from './messages';

type Def = NodeDef & Record<string, string | number | boolean | undefined> & { rig: string };

export default function register(RED: NodeAPI): void {
  function StackPressureNode(this: Node, def: Def) {
    RED.nodes.createNode(this, def);
    const what = `stack-pressure "${def.name || def.id}"`;
    const config = validateConfig(this, stackPressureConfigSchema, configFrom(def), what);
    if (!config) return;
    const rig = rigOrReport(RED, this, def.rig);
    if (!rig) return;
    // The channel as deployed against the rig's installation: another zero, span, die, port or pins is
    // refused here, before anything touches the press (and again below, in PressChannel).
    const installed = rig.installation.channel(deployedChannel(config));
    if (!installed.ok) {
      this.error(`${what}: ${installed.reason}`);
      this.status(status.error(short(installed.reason)));
      return;
    }
    const hardware = installed.hardware.press;
    const problems = settingsProblems(config, hardware);
    if (problems.length) {
      const message = `${what}: ${describeProblems(problems)}`;
      this.error(message);
      this.status(status.error(short(`${problems[0]!.message}`)));
      return;
    }
    const hold = holdFor(config, hardware);
    const clock = rig.clock;
    const who = { rigId: rig.rigId, ...config };
    let channel: PressChannel | undefined;

    const sendEvents = (events: ControlEvent[]): void => {
      for (const e of events) this.send([null, eventMessage(e, clock.now(), who)]);
    };
    const refuse = (err: unknown, done: (err?: Error) => void): void => {
      const why = errorMessage(err);
      this.status(status.error(short(why)));
      done(new Error(why));
    };

    const step = async (isClosed: () => boolean): Promise<void> => {
      if (!channel) {
        const hw = await rig.hardware();
        channel = new PressChannel(hw, clock, {
          channel: config,
          hardware,
          installed: installed.entry,
          rigId: rig.rigId,
          hold,
          pins:
            config.pumpPin !== undefined && config.valvePin !== undefined
              ? { pump: config.pumpPin, valve: config.valvePin }
              : undefined,
        });
        if (hold && config.autoStart) channel.command({ command: 'start' });
      }
      const s: PressLoopSample = await channel.sample();
      if (isClosed()) {
        channel.safe();
        return;
      }
      this.status(statusFor(s, hold, channel.latched));
      const m = pressureMessages(s, who, hold);
      if (m.telemetry) this.send([m.telemetry, null]);
      for (const e of m.events) this.send([null, e]);
    };

    const { sample, monitor } = startSampling(
      this,
      clock,
      config.samplePeriodMs,
      {
        step,
        safe: () => channel?.safe(),
        overrun: (o) => {
          sendEvents(channel?.overrun(o) ?? []);
          this.status(status.error(short(`period missed: press stopped`)));
        },
      },
      { loop: `stack-pressure ${config.channel}`, marginMs: config.periodMarginMs, health: rig.loops },
    );

    this.on('input', (msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => {
      const p = msg.payload as { command?: unknown } | undefined;
      if (p && typeof p === 'object' && 'command' in p) {
        const cmd = pressCommandSchema.safeParse(p);
        if (!cmd.success) {
          refuse(new Error(describeZodError(cmd.error, `${what} msg.payload`)), done);
          return;
        }
        try {
          if (!channel) throw new CommandRefused('no reading yet: the rig is still starting');
          const events = channel.command(cmd.data as PressCommand);
          if (cmd.data.command === 'reset') monitor.reset();
          sendEvents(events);
          const calibrated = events.find((e) => e.code === 'calibrated');
          if (calibrated) this.status(status.ok(short(calibrated.message)));
        } catch (err) {
          refuse(err, done);
          return;
        }
      }
      // Any other input asks for a reading now, e.g. from an inject node or a test sequence.
      sample().then(() => done(), done);
    });
  }
  RED.nodes.registerType('stack-pressure', StackPressureNode);
}
