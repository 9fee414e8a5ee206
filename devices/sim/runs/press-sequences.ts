/**
 * Random command sequences against one press channel on the simulated rig, through the real drivers, on
 * virtual time: what a careless user, a flaky cable and a redeploy at the wrong moment do together. Each
 * sequence draws its own hold settings (within the hardware limits) and then, every 5 to 120 s of rig time,
 * an action: start (sometimes beyond the hardware), a setpoint change, stop, reset, tare, span (at the true
 * load, or off by up to 15 %, or wildly wrong), a redeploy (channel closed and made anew, sometimes
 * starting at once), an extra sample between periods, and faults (load cell frozen or unplugged, actuator
 * seized, the stack slipping, the press released by hand) that are later cleared.
 *
 * It records the highest raw reading by the installed calibration and the highest true stack force: the
 * safety layer's promise is that neither ever passes the overload limit. Used by the property test and
 * by bench/control/press-safety.ts.
 */
import { VirtualClock } from '../../../src/clock';
import { PressureHold } from '../../../src/control/pressure-hold';
import { seededRandom } from '../../../src/random';
import { channelConfigSchema, DEFAULT_LOAD_CELL } from '../../../src/rig/config';
import { capacityMPa, maxMeasurableMPa, REFERENCE_RIG } from '../../../src/rig/hardware-limits';
import { dieAreaMm2, forceFromCounts } from '../../../src/rig/load-cell';
import { openRigHardware } from '../../board';
import { CommandRefused, PressChannel, type PressCommand } from '../../press-channel';
import { type PressSimFault, SIM_PINS, simChannelAsBuilt } from '../sim-rig';

export type SequenceAction =
  | PressCommand['command']
  | 'setpoint'
  | 'redeploy'
  | 'extra-sample'
  | PressSimFault
  | 'unplug'
  | 'plug-in';

export type SequenceResult = {
  seed: number;
  periods: number;
  overloadMPa: number;
  /** Highest reading by the installed calibration, and highest true stack pressure, MPa. */
  maxRawMPa: number;
  maxTrueMPa: number;
  accepted: Partial<Record<SequenceAction, number>>;
  refused: Partial<Record<SequenceAction, number>>;
  /** Alarms raised, by code. */
  alarms: Record<string, number>;
  /** Control periods spent in each phase of the hold. */
  phases: Record<string, number>;
};

const HW = REFERENCE_RIG.press;
const DIE_MM = 10;
const AREA = dieAreaMm2(DIE_MM);

type Weighted = [SequenceAction, number];
const ACTIONS: Weighted[] = [
  ['start', 16],
  ['setpoint', 12],
  ['stop', 6],
  ['reset', 10],
  ['tare', 4],
  ['span', 10],
  ['redeploy', 5],
  ['extra-sample', 4],
  ['released-by-hand', 2],
  ['load-cell-stuck', 1],
  ['unplug', 1],
  ['actuator-stalled', 1],
  ['stack-slip', 1],
  ['clear', 4],
  ['plug-in', 4],
];

export async function runPressSequence(opts: { seed: number; hours: number }): Promise<SequenceResult> {
  const random = seededRandom(opts.seed);
  const clock = new VirtualClock();
  const hw = await openRigHardware({ rigId: 'rig01', backend: 'sim', seed: opts.seed }, clock);
  const sim = hw.sim!;
  const press = sim.presses.get(0)!;
  const top = maxMeasurableMPa(HW, DIE_MM);
  const toleranceMPa = round(random.uniform(0.3, 3));
  const gap = Math.max(HW.overloadGapMPa, (2 * HW.guardMarginN) / AREA);
  const overloadMPa = round(random.uniform(155, top));
  const maxTarget = overloadMPa - toleranceMPa - gap;
  const targetMPa = round(random.uniform(0.9 * maxTarget, maxTarget));
  const holdConfig = {
    targetMPa,
    toleranceMPa,
    overloadMPa,
    rampMPaPerS: round(random.uniform(0.3, 6)),
    plausibleMaxMPa: capacityMPa(HW, DIE_MM),
  };
  const channelConfig = channelConfigSchema.parse({
    channel: 'ch1',
    cell: 'c1',
    coating: 'pristine',
    muxPort: 0,
    samplePeriodMs: 1000,
  });
  const makeChannel = () =>
    new PressChannel(hw, clock, {
      channel: channelConfig,
      hardware: HW,
      installed: simChannelAsBuilt(0),
      hold: new PressureHold(holdConfig),
      pins: SIM_PINS.press[0]!,
    });
  let channel = makeChannel();
  const result: SequenceResult = {
    seed: opts.seed,
    periods: 0,
    overloadMPa,
    maxRawMPa: Number.NEGATIVE_INFINITY,
    maxTrueMPa: Number.NEGATIVE_INFINITY,
    accepted: {},
    refused: {},
    alarms: {},
    phases: {},
  };
  const count = (which: 'accepted' | 'refused', a: SequenceAction) => {
    result[which][a] = (result[which][a] ?? 0) + 1;
  };
  const trueMPa = () => {
    press.advanceTo(sim.timeS());
    return press.forceN / AREA;
  };
  const sample = async () => {
    const s = await whileTicking(clock, channel.sample());
    if (s.reading)
      result.maxRawMPa = Math.max(
        result.maxRawMPa,
        forceFromCounts(s.reading.counts, DEFAULT_LOAD_CELL) / AREA,
      );
    const phase = s.control?.phase ?? 'none';
    result.phases[phase] = (result.phases[phase] ?? 0) + 1;
    for (const e of s.control?.events ?? [])
      if (e.kind === 'alarm') result.alarms[e.code] = (result.alarms[e.code] ?? 0) + 1;
  };
  const command = (a: SequenceAction, c: PressCommand) => {
    try {
      channel.command(c);
      count('accepted', a);
    } catch (err) {
      if (!(err instanceof CommandRefused)) throw err;
      count('refused', a);
    }
  };

  const endMs = clock.now() + opts.hours * 3_600_000;
  let nextActionMs = clock.now() + 5000;
  while (clock.now() < endMs) {
    const periodStartMs = clock.now();
    await sample();
    result.periods++;
    if (clock.now() >= nextActionMs) {
      const a = pick(random, ACTIONS);
      await act(a);
      nextActionMs = clock.now() + random.uniform(5, 120) * 1000;
    }
    // Sub-steps, so the true force is seen between readings too (a pump pulse ends mid-period).
    while (clock.now() < periodStartMs + 1000) {
      await clock.tick(Math.min(250, periodStartMs + 1000 - clock.now()));
      result.maxTrueMPa = Math.max(result.maxTrueMPa, trueMPa());
    }
  }
  channel.safe();
  hw.close();
  return result;

  async function act(a: SequenceAction): Promise<void> {
    switch (a) {
      case 'start':
        // One start in four asks for more than the hardware can give.
        return command(a, {
          command: 'start',
          ...(random.next() < 0.25 ? { targetMPa: round(random.uniform(top - 10, 2 * top)) } : {}),
        });
      case 'setpoint':
        // Mostly near the top of what the settings allow, where the limit is close.
        return command(a, {
          command: 'start',
          targetMPa: round(random.uniform(0.7 * maxTarget, maxTarget + 5)),
        });
      case 'stop':
      case 'reset':
      case 'tare':
        return command(a, { command: a });
      case 'span': {
        // Mostly a known load that reads a little high, so the controller under-reads the stack afterwards
        // (the dangerous way round); some exact, some over, some wildly wrong.
        const r = random.next();
        const factor =
          r < 0.6
            ? random.uniform(0.88, 1)
            : r < 0.7
              ? 1
              : r < 0.85
                ? random.uniform(1, 1.15)
                : random.uniform(0, 3);
        return command(a, { command: 'span', knownForceN: trueMPa() * AREA * factor });
      }
      case 'redeploy':
        channel.safe();
        channel = makeChannel();
        count('accepted', a);
        if (random.next() < 0.5) command('start', { command: 'start' });
        return;
      case 'extra-sample':
        await clock.tick(random.int(1, 999));
        await sample();
        count('accepted', a);
        return;
      case 'unplug':
        sim.detachLoadCell(0);
        count('accepted', a);
        return;
      case 'plug-in':
        sim.reattachLoadCell(0);
        count('accepted', a);
        return;
      default:
        sim.inject({ device: 'press', port: 0, fault: a });
        count('accepted', a);
    }
  }
}

/** Awaits `p` while moving virtual time on, so a read that must time out (an unplugged cell) can. */
async function whileTicking<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let settled = false;
  p.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await clock.tick(0);
  while (!settled) await clock.tick(10);
  return p;
}

function pick(random: { next(): number }, table: Weighted[]): SequenceAction {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = random.next() * total;
  for (const [a, w] of table) {
    x -= w;
    if (x < 0) return a;
  }
  return table[table.length - 1]![0];
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
