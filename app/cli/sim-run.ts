/**
 * What `cellrig sim pressure|profile|bench` run (app/cli/sim.ts declares the options): the stack-pressure
 * hold and a temperature profile on the virtual clock, each writing a trace (one row per control period)
 * and a summary, and the control loop's timing on the real clock. Settings are checked against the rig's
 * hardware limits here, so a refusal names the option and the allowed range in words.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRigHardware } from '../../devices/board';
import { OvenLoop } from '../../devices/oven-loop';
import { PressChannel } from '../../devices/press-channel';
import { type PressureSample, runPressureHold } from '../../devices/sim/runs/pressure-run';
import { type ProfileSample, runProfile } from '../../devices/sim/runs/profile-run';
import { SIM_PINS, simChannelAsBuilt } from '../../devices/sim/sim-rig';
import { startEmbeddedBroker } from '../../services/embedded-broker';
import { RigPublisher } from '../../services/rig-publisher';
import { RealClock } from '../../src/clock';
import { eventFields } from '../../src/control/events';
import { PressureHold, pressureHoldConfigSchema } from '../../src/control/pressure-hold';
import {
  ProfileProgrammer,
  profileProgrammerConfigSchema,
  type TemperatureProfile,
  temperatureProfileSchema,
} from '../../src/control/profile';
import { READY_PROFILES, TFAA_DRYING } from '../../src/control/ready-profiles';
import { channelConfigSchema, describeZodError } from '../../src/rig/config';
import {
  capacityMPa,
  checkOvenSettings,
  checkPressSettings,
  maxMeasurableMPa,
  REFERENCE_RIG,
} from '../../src/rig/hardware-limits';
import { progress, UsageError } from './grammar';

export type PressureOptions = {
  target: number;
  hours: number;
  ramp?: number;
  tolerance?: number;
  overload?: number;
  seed: number;
  trace?: string;
  json?: boolean;
};
export type ProfileOptions = { seed: number; batch?: string; trace?: string; json?: boolean };
export type BenchOptions = { seconds: number; hz: number; json?: boolean };

/** The hold's settings from the options, or the reason they are refused, naming each option. */
function pressureSettings(o: PressureOptions) {
  const hw = REFERENCE_RIG.press;
  const d = pressureHoldConfigSchema.parse({});
  const dieDiameterMm = d.dieDiameterMm;
  const settings = {
    dieDiameterMm,
    targetMPa: o.target,
    toleranceMPa: o.tolerance ?? d.toleranceMPa,
    rampMPaPerS: o.ramp ?? d.rampMPaPerS,
    // Unless given, 20 MPa above the target (at least 170), within what the load cell measures.
    overloadMPa: o.overload ?? Math.min(Math.max(170, o.target + 20), maxMeasurableMPa(hw, dieDiameterMm)),
  };
  const problems = checkPressSettings(settings, hw, {
    targetMPa: '--target',
    toleranceMPa: '--tolerance',
    rampMPaPerS: '--ramp',
    overloadMPa: '--overload',
  });
  if (problems.length) throw new UsageError(problems.map((p) => p.message).join('\n'));
  return { ...settings, plausibleMaxMPa: capacityMPa(hw, dieDiameterMm) };
}

const f = (x: number | null | undefined, digits: number) =>
  x === null || x === undefined ? '' : x.toFixed(digits);

export async function runPressure(o: PressureOptions): Promise<number> {
  const config = pressureSettings(o);
  const rows: string[] = ['t_s,setpoint,value,output'];
  const t0 = process.hrtime.bigint();
  const onSample = o.trace
    ? (s: PressureSample) => {
        rows.push(
          `${s.timeS},${f(s.out.setpointMPa, 3)},${f(s.measuredMPa, 3)},${s.out.velocityMmPerS.toExponential(4)}`,
        );
      }
    : undefined;
  const r = runPressureHold({ seed: o.seed, hours: o.hours, config, onSample });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (o.trace) writeFileSync(o.trace, `${rows.join('\n')}\n`);
  const alarms = r.events.filter((e) => e.kind === 'alarm').map((e) => `${e.code}@${e.timeS}s`);
  const summary = {
    targetMPa: o.target,
    hours: o.hours,
    seed: o.seed,
    samples: r.samples,
    approachS: r.approachS,
    inBandPercent: 100 * r.inBandFraction,
    measuredInBandPercent: 100 * r.measuredInBandFraction,
    maxOvershootMPa: r.maxOvershootMPa,
    maxRampRateMPaPerS: r.maxRampRateMPaPerS,
    worstDeviationMPa: r.worstDeviationMPa,
    alarms,
    finalPhase: r.finalPhase,
    wallS,
    ...(o.trace ? { trace: o.trace } : {}),
  };
  if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    process.stdout.write(
      [
        `pressure hold at ${o.target} MPa for ${o.hours} h (seed ${o.seed}), ${r.samples} control periods in ${wallS.toFixed(2)} s`,
        `  approach after ${r.approachS ?? 'never'} s; ramp max ${r.maxRampRateMPaPerS.toFixed(3)} MPa/s; overshoot ${r.maxOvershootMPa.toFixed(3)} MPa`,
        `  in band after approach: ${summary.inBandPercent.toFixed(2)} % (true), ${summary.measuredInBandPercent.toFixed(2)} % (measured); worst ${r.worstDeviationMPa.toFixed(3)} MPa`,
        `  alarms: ${alarms.length ? alarms.join(', ') : 'none'}; final phase ${r.finalPhase}`,
        ...(o.trace ? [`  trace: ${o.trace}`] : []),
      ].join('\n') + '\n',
    );
  }
  return 0;
}

function loadProfile(arg: string | undefined): TemperatureProfile {
  const name = arg ?? 'tfaa-drying';
  const ready = READY_PROFILES[name];
  if (ready) return ready;
  if (!existsSync(name))
    throw new UsageError(
      `no ready profile or file named '${name}'. Ready profiles: ${Object.keys(READY_PROFILES).join(', ')}; or give a profile JSON file`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(name, 'utf8'));
  } catch (err) {
    throw new UsageError(`${name}: ${(err as Error).message}`);
  }
  const r = temperatureProfileSchema.safeParse(raw);
  if (!r.success) throw new UsageError(describeZodError(r.error, name));
  return r.data;
}

/** A profile against the oven's ratings and the programmer's cutoff, each refusal in words. */
function checkProfile(profile: TemperatureProfile, source: string): void {
  const c = profileProgrammerConfigSchema.parse({});
  const problems = checkOvenSettings(
    { overTempCutoffC: c.guard.overTempCutoffC, soakBandC: c.soakBandC, segments: profile.segments },
    REFERENCE_RIG.oven,
    { segments: `${source}: segment` },
  );
  if (problems.length) throw new UsageError(problems.map((p) => p.message).join('\n'));
}

export async function runProfileCmd(name: string | undefined, o: ProfileOptions): Promise<number> {
  const profile = loadProfile(name);
  checkProfile(profile, name ?? 'tfaa-drying');
  const rows: string[] = ['t_s,setpoint,value,output'];
  const t0 = process.hrtime.bigint();
  const onSample = o.trace
    ? (s: ProfileSample) => {
        rows.push(`${s.timeS},${f(s.setpointC, 3)},${f(s.measuredC, 4)},${s.out.heaterDuty.toFixed(4)}`);
      }
    : undefined;
  const r = runProfile({ profile, seed: o.seed, batch: o.batch, onSample });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (o.trace) writeFileSync(o.trace, `${rows.join('\n')}\n`);
  const holds = r.events
    .filter((e) => e.code === 'segment-end')
    .map((e) => ({ segment: e.data?.segment, soakS: e.data?.soakS }));
  const alarms = r.events.filter((e) => e.kind === 'alarm').map((e) => `${e.code}@${e.timeS}s`);
  const summary = {
    profile: profile.name,
    seed: o.seed,
    status: r.status,
    durationS: r.durationS,
    holds,
    alarms,
    wallS,
  };
  if (o.json) process.stdout.write(`${JSON.stringify({ ...summary, events: r.events }, null, 2)}\n`);
  else {
    const lines = [
      `${profile.name} (seed ${o.seed}): ${r.status} after ${(r.durationS / 3600).toFixed(2)} h of rig time, ${wallS.toFixed(2)} s wall`,
      ...profile.segments.map((s, i) => {
        const h = holds.find((x) => x.segment === i);
        return `  ${i + 1}. ${s.name}: ${s.targetC} C, hold ${s.holdS} s planned, ${h ? `${h.soakS} s soaked` : 'not reached'}`;
      }),
      `  alarms: ${alarms.length ? alarms.join(', ') : 'none'}`,
      ...(o.trace ? [`  trace: ${o.trace}`] : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return r.status === 'completed' ? 0 : 1;
}

/**
 * Control-loop timing on the real clock: the three presses (pressure hold) and the oven (TFAA profile)
 * of the simulated rig, stepped together at `hz` through the real drivers and IO plugin, with every
 * sample and event published through the journaled MQTT publisher to an embedded broker (full
 * telemetry). Measures the period jitter (start-to-start interval minus the nominal period) and the CPU
 * time and wall time of one loop.
 */
export type LoopBenchResult = {
  hz: number;
  /** Timer firings, and loops run (a firing while the previous loop still runs is skipped). */
  periods: number;
  loops: number;
  jitterMs: { p50: number; p99: number; max: number };
  /** Periods that started over 2 ms off: when (performance.now()) and by how much, to match them to causes. */
  offPeriods: { atMs: number; ms: number }[];
  loopWallMs: { p50: number; p99: number };
  cpuMsPerLoop: number;
  published: number;
};

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runLoopBench(opts: { seconds: number; hz: number }): Promise<LoopBenchResult> {
  const clock = new RealClock();
  const broker = await startEmbeddedBroker('127.0.0.1', 0);
  const journalDir = mkdtempSync(join(tmpdir(), 'cellrig-bench-'));
  const publisher = new RigPublisher({ url: broker.url, rigId: 'bench', clock, journalDir });
  const hw = await openRigHardware({ rigId: 'bench', backend: 'sim', seed: 1 }, clock);
  const presses = [0, 1, 2].map((port) => {
    const channel = channelConfigSchema.parse({
      channel: `ch${port + 1}`,
      cell: `c${port + 1}`,
      coating: 'pristine',
      muxPort: port,
      samplePeriodMs: Math.round(1000 / opts.hz),
    });
    const pins = SIM_PINS.press[port]!;
    const press = new PressChannel(hw, clock, {
      channel,
      hardware: REFERENCE_RIG.press,
      // The simulated rig as built is its installation.
      installed: simChannelAsBuilt(port),
      hold: new PressureHold({ plausibleMaxMPa: capacityMPa(REFERENCE_RIG.press, channel.dieDiameterMm) }),
      pins,
    });
    press.command({ command: 'start' });
    return { channel: channel.channel, loop: press };
  });
  const programmer = new ProfileProgrammer({ controlPeriodS: 1 / opts.hz });
  programmer.start(TFAA_DRYING, { runId: 'bench', batch: 'bench' }, clock.now() / 1000);
  const oven = new OvenLoop(hw.bus, hw.io, clock, programmer, {
    ssr: SIM_PINS.heaterSsr,
    contactor: SIM_PINS.heaterContactor,
    vacuumPump: SIM_PINS.vacuumPump,
    vacuumSwitch: SIM_PINS.vacuumSwitch,
  });

  const periodMs = 1000 / opts.hz;
  const starts: number[] = [];
  const walls: number[] = [];
  let published = 0;
  let busy = false;
  const publish = (channel: string, stream: string, fields: Record<string, unknown>) => {
    published++;
    publisher.publish({ channel, stream, fields }).catch(() => undefined);
  };
  const tick = async () => {
    const t0 = performance.now();
    starts.push(t0);
    if (busy) return;
    busy = true;
    const samples = await Promise.all(presses.map((p) => p.loop.sample()));
    for (const [i, s] of samples.entries()) {
      const ch = presses[i]!.channel;
      if (s.reading && s.control) {
        publish(ch, 'pressure', {
          ts: s.ts,
          pressureMPa: s.reading.pressureMPa,
          forceN: s.reading.forceN,
          setpointMPa: s.control.setpointMPa ?? 0,
          outputMmPerS: s.control.velocityMmPerS,
          excursion: s.control.excursion,
        });
      }
      for (const e of s.control?.events ?? []) publish(ch, 'events', { ts: s.ts, ...eventFields(e) });
    }
    const o = await oven.sample();
    publish('oven', 'oven', {
      ts: o.ts,
      tempC: o.reading.tempC ?? -1,
      setpointC: o.out.setpointC ?? 0,
      heaterDuty: o.out.heaterDuty,
    });
    for (const e of o.out.events) publish('oven', 'events', { ts: o.ts, ...eventFields(e) });
    walls.push(performance.now() - t0);
    busy = false;
  };
  const cpu0 = process.cpuUsage();
  const timer = clock.setInterval(() => void tick(), periodMs);
  await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  clock.clearTimer(timer);
  const cpu = process.cpuUsage(cpu0);
  for (const p of presses) p.loop.safe();
  oven.off();
  await publisher.close();
  hw.close();
  await broker.close();
  rmSync(journalDir, { recursive: true, force: true });

  const offsets = starts.slice(1).map((t, i) => ({ atMs: t, ms: Math.abs(t - starts[i]! - periodMs) }));
  const jitter = offsets.map((o) => o.ms).sort((a, b) => a - b);
  const wallSorted = [...walls].sort((a, b) => a - b);
  return {
    hz: opts.hz,
    periods: starts.length,
    loops: walls.length,
    jitterMs: {
      p50: quantile(jitter, 0.5),
      p99: quantile(jitter, 0.99),
      max: jitter[jitter.length - 1] ?? Number.NaN,
    },
    offPeriods: offsets.filter((o) => o.ms > 2),
    loopWallMs: { p50: quantile(wallSorted, 0.5), p99: quantile(wallSorted, 0.99) },
    // The whole process's CPU over the run (drivers, controllers, publisher, broker), per loop.
    cpuMsPerLoop: (cpu.user + cpu.system) / 1000 / Math.max(1, walls.length),
    published,
  };
}

export async function runBench(o: BenchOptions): Promise<number> {
  // The bench runs on the real clock: show how far it is on a terminal (not with --json).
  const bar = progress(!o.json);
  const t0 = Date.now();
  const ticker = setInterval(
    () => bar.update(`control-loop bench: ${((Date.now() - t0) / 1000).toFixed(0)} of ${o.seconds} s`),
    250,
  );
  const r = await runLoopBench({ seconds: o.seconds, hz: o.hz }).finally(() => {
    clearInterval(ticker);
    bar.done();
  });
  if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else {
    process.stdout.write(
      [
        `control loop at ${r.hz} Hz for ${o.seconds} s (3 presses + oven, real drivers on the simulated rig, full telemetry): ${r.loops} loops in ${r.periods} periods`,
        `  period jitter: p50 ${r.jitterMs.p50.toFixed(2)} ms, p99 ${r.jitterMs.p99.toFixed(2)} ms, max ${r.jitterMs.max.toFixed(2)} ms`,
        `  loop wall time: p50 ${r.loopWallMs.p50.toFixed(2)} ms, p99 ${r.loopWallMs.p99.toFixed(2)} ms`,
        `  process CPU per loop: ${r.cpuMsPerLoop.toFixed(2)} ms; ${r.published} samples published`,
      ].join('\n') + '\n',
    );
  }
  return 0;
}
