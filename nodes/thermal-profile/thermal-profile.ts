/**
 * `thermal-profile` node: runs a temperature profile (a ready one, e.g. TFAA drying, or the user's) on the
 * rig's oven: thermocouple in, heater SSR, safety contactor and vacuum pump out, every control period.
 * Start, pause, resume, skip, abort and reset by msg; each run has a run id and the powder batch it dries,
 * carried on its telemetry and events. Progress is saved on events and every 10 s, so after a power loss the run
 * resumes or aborts by the configured policy. Faults and closing leave the heater off.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { OvenLoop, type OvenLoopSample } from '../../devices/oven-loop';
import { type Clock, SteppedClock } from '../../src/clock';
import { eventFields } from '../../src/control/events';
import { OvenReportCadence } from '../../src/control/oven-report-cadence';
import { ProfileProgrammer } from '../../src/control/profile';
import { checkProfile } from '../../src/control/profile-check';
import { short, status } from '../shared/node-support';
import { installedHardware, rigOrReport } from '../shared/rig-ref';
import { startSampling } from '../shared/sampling';
import {
  applyCommand,
  commandProblem,
  configInput,
  defaultStateFile,
  type EditorFields,
  loadProgress,
  ovenSettingsProblem,
  profileFieldProblem,
  runIdAt,
  savedUpdatedMs,
  saveProgress,
  thermalCommandSchema,
  thermalProfileConfigSchema,
} from './config';
import { registerEditorApi } from './editor-api';
import { ovenMessage, ovenStatus } from './messages';

type Def = NodeDef & EditorFields & { rig: string };

export default function register(RED: NodeAPI): void {
  function ThermalProfileNode(this: Node, def: Def) {
    RED.nodes.createNode(this, def);
    const what = `thermal-profile "${def.name || def.id}"`;
    const raw = configInput(def);
    const parsed = thermalProfileConfigSchema.safeParse(raw);
    if (!parsed.success) {
      const why = profileFieldProblem(parsed.error, raw.profile, what);
      this.error(why);
      this.status(status.error(short(why)));
      return;
    }
    const config = parsed.data;
    const rig = rigOrReport(RED, this, def.rig);
    if (!rig) return;
    const clock = rig.clock;
    const timeScale = config.simTimeScale;
    if (timeScale !== 1 && rig.config.backend !== 'sim') {
      const why = `${what}: a time scale of ${timeScale} is for the simulated rig only; this rig is ${rig.config.backend} (set it to 1)`;
      this.error(why);
      this.status(status.error(`time scale ×${timeScale}: simulated rig only`));
      return;
    }
    const stateFileOf = () =>
      config.stateFile ?? defaultStateFile(RED.settings.userDir as string | undefined, def.id);
    /**
     * The controller's clock: the rig's, or for a simulated oven watched in minutes a virtual one the rig's
     * drives faster, starting no earlier than saved progress (a restart never sees time run backwards).
     */
    const ovenClock: Clock =
      timeScale === 1
        ? clock
        : new SteppedClock(
            clock,
            timeScale,
            Math.max(clock.now(), savedUpdatedMs(loadProgress(stateFileOf()))),
          );
    const cadence = new OvenReportCadence(config.controlPeriodMs, timeScale);
    let lastTempC: number | undefined;
    const stateFile = stateFileOf();
    const { hardware, notInstalled } = installedHardware(rig);
    const programmerConfig = {
      controlPeriodS: config.controlPeriodMs / 1000,
      guard: { overTempCutoffC: config.overTempCutoffC },
      powerLossPolicy: config.powerLossPolicy,
      ...(config.maxOutageS ? { maxOutageS: config.maxOutageS } : {}),
      oven: hardware?.oven,
    };
    const programmer = new ProfileProgrammer(programmerConfig);
    // For the panel's profile editor: drafts checked exactly as a start on this node checks them.
    Object.assign(this, {
      checkProfile: (draft: unknown) => checkProfile(draft, programmerConfig, lastTempC ?? 25),
      profileSource: def.profile || 'tfaa-drying',
    });
    // The configured profile and cutoff against the oven's ratings (installed ones only) now, not at a start.
    const refused = notInstalled ?? ovenSettingsProblem(config, programmer.config.soakBandC, hardware!.oven);
    if (refused) {
      this.error(`${what}: ${refused}`);
      this.status(status.error(short(refused)));
      return;
    }
    let loop: OvenLoop | undefined;
    let runCount = 0;

    const events = (ts: number, fields: Record<string, unknown>) => ({
      topic: `${rig.rigId}/${config.channel}/events`,
      channel: config.channel,
      stream: 'events',
      payload: { ts, ...fields },
    });

    const report = (s: OvenLoopSample): void => {
      const run = programmer.snapshot();
      lastTempC = s.reading.tempC ?? lastTempC;
      const wallMs = clock.now();
      const o = s.out;
      for (const e of o.events) this.send([null, events(wallMs, eventFields(e))]);
      if (cadence.report(wallMs, o.events.length)) {
        const m = ovenMessage(s, run, { rigId: rig.rigId, channel: config.channel, timeScale, wallMs });
        if (m) this.send([m, null]);
        this.status(ovenStatus(s, run, programmer.trippedBy, timeScale));
      }
      const active = o.status === 'running' || o.status === 'paused';
      if (run && cadence.save(wallMs, o.events.length, active)) saveProgress(stateFile, run);
    };

    const step = async (isClosed: () => boolean): Promise<void> => {
      if (!loop) {
        const hw = await rig.hardware();
        const saved = loadProgress(stateFile);
        hw.sim?.runOvenOn(ovenClock);
        loop = new OvenLoop(hw.bus, hw.io, ovenClock, programmer, config.pins, config.windowMs);
        if (saved) programmer.restore(saved, ovenClock.now() / 1000);
      }
      const s = await loop.sample();
      if (isClosed()) loop.off();
      else report(s);
    };

    const command = (payload: unknown): void => {
      const c = thermalCommandSchema.parse(payload);
      const runId = runIdAt(config.channel, clock.now(), ++runCount);
      applyCommand(
        programmer,
        c,
        { profile: config.profile, batch: config.batch, runId },
        ovenClock.now() / 1000,
      );
    };

    const { sample, monitor } = startSampling(
      this,
      ovenClock,
      config.controlPeriodMs,
      {
        step,
        // Heater off on a fault and on close; the saved progress stays, so the next deploy resumes or
        // aborts by the policy.
        safe: () => loop?.off(),
        overrun: (o) => {
          for (const e of programmer.tripNow('loop-overrun', ovenClock.now() / 1000))
            this.send([
              null,
              events(clock.now(), eventFields({ ...e, message: `${o.message}: heater off` })),
            ]);
          this.status(status.error('period missed: heater off'));
        },
      },
      {
        loop: `thermal-profile ${config.channel}`,
        marginMs: config.periodMarginMs ?? Math.max(100, config.controlPeriodMs),
        health: rig.loops,
      },
    );

    if (ovenClock instanceof SteppedClock) {
      // Tests on a virtual rig clock step it themselves and wait for each step.
      Object.assign(this, { ovenClock });
      this.on('close', () => ovenClock.stop());
    }

    this.on('input', (m: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => {
      try {
        command(m.payload);
        if ((m.payload as { command?: unknown } | null)?.command === 'reset') monitor.reset();
      } catch (err) {
        const why = commandProblem(err, m.payload, `${what} msg.payload`);
        this.status(status.error(short(why)));
        done(new Error(why));
        return;
      }
      sample().then(() => done(), done);
    });
  }
  RED.nodes.registerType('thermal-profile', ThermalProfileNode);
  registerEditorApi(RED);
}
