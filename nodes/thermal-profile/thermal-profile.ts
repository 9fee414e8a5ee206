/**
 * `thermal-profile` node: runs a temperature profile (a ready one, e.g. TFAA drying, or the user's) on the
 * rig's oven: thermocouple in, heater SSR, safety contactor and vacuum pump out, every control period.
 * Start, pause, resume, skip, abort and reset by msg; each run has a run id and the powder batch it dries,
 * carried on its telemetry and events. Progress is saved on events and every 10 s, so after a power loss the run
 * resumes or aborts by the configured policy. Faults and closing leave the heater off.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { OvenLoop, type OvenLoopSample } from '../../devices/oven-loop';
import { eventFields } from '../../src/control/events';
import { ProfileProgrammer } from '../../src/control/profile';
import { describeZodError } from '../../src/rig/config';
import { errorMessage, short, status, validateConfig } from '../shared/node-support';
import { rigOrReport } from '../shared/rig-ref';
import { startSampling } from '../shared/sampling';
import {
  defaultStateFile,
  loadProgress,
  saveProgress,
  thermalCommandSchema,
  thermalProfileConfigSchema,
} from './config';

type Def = NodeDef & Record<string, string | number | boolean | undefined> & { rig: string };

/** An empty editor field means "use the default". */
const blank = (v: unknown) => (v === '' || v === null ? undefined : v);

export default function register(RED: NodeAPI): void {
  function ThermalProfileNode(this: Node, def: Def) {
    RED.nodes.createNode(this, def);
    const what = `thermal-profile "${def.name || def.id}"`;
    const raw = {
      ...def,
      profile: def.profile || undefined,
      batch: def.batch || undefined,
      stateFile: def.stateFile || undefined,
      powerLossPolicy: def.powerLossPolicy || undefined,
      channel: def.channel || undefined,
      pins: {
        ssr: blank(def.ssrPin),
        contactor: blank(def.contactorPin),
        vacuumPump: blank(def.vacuumPumpPin),
        vacuumSwitch: blank(def.vacuumSwitchPin),
      },
    };
    const config = validateConfig(this, thermalProfileConfigSchema, raw, what);
    if (!config) return;
    const rig = rigOrReport(RED, this, def.rig);
    if (!rig) return;
    const clock = rig.clock;
    const stateFile =
      config.stateFile ?? defaultStateFile(RED.settings.userDir as string | undefined, def.id);
    const programmer = new ProfileProgrammer({
      controlPeriodS: config.controlPeriodMs / 1000,
      guard: { overTempCutoffC: config.overTempCutoffC },
      powerLossPolicy: config.powerLossPolicy,
      ...(config.maxOutageS ? { maxOutageS: config.maxOutageS } : {}),
    });
    let loop: OvenLoop | undefined;
    let runCount = 0;
    let lastSaveMs = 0;

    const msg = (stream: string, ts: number, fields: Record<string, unknown>) => ({
      topic: `${rig.rigId}/${config.channel}/${stream}`,
      channel: config.channel,
      stream,
      payload: { ts, ...fields },
    });

    const report = (s: OvenLoopSample): void => {
      const run = programmer.snapshot();
      const o = s.out;
      const ids = run ? { runId: run.runId, ...(run.batch ? { batch: run.batch } : {}) } : {};
      if (s.reading.tempC !== null || o.status !== 'idle') {
        const fields = {
          ...ids,
          heaterDuty: o.heaterDuty,
          heaterEnabled: o.heaterEnabled,
          vacuumOn: o.vacuumOn,
          vacuumOk: s.vacuumOk,
          status: o.status,
        };
        if (s.reading.tempC !== null) Object.assign(fields, { tempC: s.reading.tempC });
        if (o.setpointC !== null) Object.assign(fields, { setpointC: o.setpointC });
        if (o.segmentIndex !== null)
          Object.assign(fields, {
            segment: o.segmentIndex,
            phase: o.phase ?? '',
            soakS: run?.soakElapsedS ?? 0,
          });
        this.send([msg('oven', s.ts, fields), null]);
      }
      for (const e of o.events) this.send([null, msg('events', s.ts, eventFields(e))]);
      const t = s.reading.tempC === null ? '--' : s.reading.tempC.toFixed(1);
      if (programmer.trippedBy) this.status(status.error(short(`${programmer.trippedBy}: heater off`)));
      else if (s.unavailable) this.status(status.unavailable('not available: heater off'));
      else if (o.status === 'running' || o.status === 'paused') {
        const seg = run!.profile.segments[run!.segmentIndex]!;
        const text = `${t} / ${o.setpointC?.toFixed(1)} C, ${run!.segmentIndex + 1}/${run!.profile.segments.length} ${o.phase} ${Math.floor(run!.soakElapsedS)}/${seg.holdS} s`;
        this.status(o.status === 'paused' ? status.warn(`paused ${text}`) : status.ok(text));
      } else this.status(status.idle(`${t} C, ${o.status}`));
      // Every event, and every 10 s while a run is active: after a power loss at most 10 s of soak is
      // done again (the safe side), and an SD card is not written every second for days.
      const active = o.status === 'running' || o.status === 'paused';
      if (run && (o.events.length || (active && s.ts - lastSaveMs >= 10_000))) {
        saveProgress(stateFile, run);
        lastSaveMs = s.ts;
      }
    };

    const step = async (isClosed: () => boolean): Promise<void> => {
      if (!loop) {
        const hw = await rig.hardware();
        loop = new OvenLoop(hw.bus, hw.io, clock, programmer, config.pins, config.windowMs);
        const saved = loadProgress(stateFile);
        if (saved) programmer.restore(saved, clock.now() / 1000);
      }
      const s = await loop.sample();
      if (isClosed()) loop.off();
      else report(s);
    };

    const command = (payload: unknown): void => {
      const c = thermalCommandSchema.parse(payload);
      const t = clock.now() / 1000;
      if (c.command === 'start') {
        const runId =
          c.runId ??
          `${config.channel}-${new Date(clock.now()).toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${++runCount}`;
        const batch = c.batch ?? config.batch;
        programmer.start(c.profile ?? config.profile, { runId, ...(batch ? { batch } : {}) }, t);
      } else if (c.command === 'pause') programmer.pause(t);
      else if (c.command === 'resume') programmer.resume(t);
      else if (c.command === 'skip') programmer.skip(t);
      else if (c.command === 'abort') programmer.abort(t);
      else programmer.reset();
    };

    const { sample } = startSampling(this, clock, config.controlPeriodMs, {
      step,
      // Heater off on a fault and on close; the saved progress stays, so the next deploy resumes or
      // aborts by the policy.
      safe: () => loop?.off(),
    });

    this.on('input', (m: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => {
      try {
        command(m.payload);
      } catch (err) {
        const why =
          'issues' in (err as object)
            ? describeZodError(err as never, `${what} msg.payload`)
            : errorMessage(err);
        this.status(status.error(short(why)));
        done(new Error(why));
        return;
      }
      sample().then(() => done(), done);
    });
  }
  RED.nodes.registerType('thermal-profile', ThermalProfileNode);
}
