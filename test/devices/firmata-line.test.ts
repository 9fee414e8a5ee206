/**
 * The real serial path end to end: serialport -> a kernel pty pair (socat) -> the virtual StandardFirmata
 * board with the simulated rig behind it, and back through firmata.js and johnny-five to our drivers.
 * The same loops run on SimIO with the same seed and virtual clock; both must meet the same tolerances.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { boardPin, MEGA_2560_WIRING } from '../../devices/firmata-wiring';
import { Mcp9601 } from '../../devices/mcp9601';
import { Mcp23017RelayBoard } from '../../devices/mcp23017';
import type { PressLoopSample } from '../../devices/press-loop';
import { SIM_PINS } from '../../devices/sim/sim-rig';
import type { ControlEvent } from '../../src/control/events';
import { ChannelInterlock } from '../../src/control/interlock';
import type { TemperatureProfile } from '../../src/control/profile';
import { openTestRig, ovenLoop, pressLoop, runPeriods, type TestRig } from '../support/rig-loops';

const rigs: TestRig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});
async function open(backend: 'sim' | 'firmata', seed = 1): Promise<TestRig> {
  const r = await openTestRig(backend, seed);
  rigs.push(r);
  return r;
}

describe('the Mega wiring', () => {
  it('gives every rig pin the simulated rig uses its own Mega pin, away from USB serial and I2C', () => {
    const rigPins = [
      SIM_PINS.heaterSsr,
      SIM_PINS.heaterContactor,
      SIM_PINS.vacuumPump,
      SIM_PINS.vacuumSwitch,
      ...Object.values(SIM_PINS.press).flatMap((p) => [p.pump, p.valve]),
    ];
    const board = rigPins.map((p) => boardPin(MEGA_2560_WIRING, p));
    expect(new Set(board).size).toBe(rigPins.length);
    for (const b of board) expect([0, 1, MEGA_2560_WIRING.sda, MEGA_2560_WIRING.scl]).not.toContain(b);
    expect(() => boardPin(MEGA_2560_WIRING, 7)).toThrow(/rig pin 7 is not wired on the Arduino Mega 2560/);
  });
});

describe('Firmata over a pty: handshake and drivers', () => {
  it('opens as StandardFirmata 2.5 on a Mega and reads every simulated device as SimIO does', async () => {
    const fr = await open('firmata', 4);
    const sr = await open('sim', 4);
    expect(fr.hw.link?.firmware).toBe('StandardFirmata.ino 2.5');
    expect(fr.hw.board).toBeDefined();
    for (const r of [fr, sr]) await r.clock.tick(100);
    const read = async (r: TestRig) => {
      const tc = new Mcp9601(r.hw.bus, 'oven thermocouple');
      const t = tc.read();
      await r.clock.tick(0);
      return (await t).tempC;
    };
    const [ft, st] = [await read(fr), await read(sr)];
    expect(ft).toBe(st);
    expect(ft!).toBeGreaterThan(20);
  });
});

describe('pressure hold over Firmata (1 h, virtual clock)', () => {
  it('holds 150 MPa for an hour with the same in-band share as on SimIO, sample for sample', async () => {
    const results: Record<string, { inBand: number; n: number; pressures: number[]; alarms: string[] }> = {};
    for (const backend of ['sim', 'firmata'] as const) {
      const rig = await open(backend, 2);
      const loops = [pressLoop(rig, 0)];
      const r = { inBand: 0, n: 0, pressures: [] as number[], alarms: [] as string[] };
      await runPeriods(rig, 3600, async () => {
        const samples: PressLoopSample[] = [];
        for (const l of loops) samples.push(await l.loop.sample());
        for (const s of samples) {
          r.alarms.push(...(s.control?.events ?? []).filter((e) => e.kind === 'alarm').map((e) => e.code));
          if (s.control?.phase !== 'hold' || !s.reading) continue;
          r.n++;
          if (Math.abs(s.reading.pressureMPa - 150) <= 1.5) r.inBand++;
        }
        r.pressures.push(samples[0]!.reading?.pressureMPa ?? Number.NaN);
      });
      for (const l of loops) l.loop.stop();
      results[backend] = r;
    }
    const [sim, fw] = [results.sim!, results.firmata!];
    // The SimIO acceptance tolerances (pressure-hold.test.ts): 99 % of samples in the band, no alarm.
    for (const r of [sim, fw]) {
      expect(r.n).toBeGreaterThan(3500);
      expect(r.inBand / r.n).toBeGreaterThanOrEqual(0.99);
      expect(r.alarms).toEqual([]);
    }
    expect(fw.pressures).toHaveLength(sim.pressures.length);
    const worst = Math.max(...fw.pressures.map((p, i) => Math.abs(p - sim.pressures[i]!)));
    console.log(
      `1 h hold: in band ${sim.inBand}/${sim.n} (SimIO), ${fw.inBand}/${fw.n} (Firmata); worst sample difference ${worst} MPa`,
    );
    expect(worst).toBeLessThan(0.5);
  }, 300_000);
});

const SEGMENT: TemperatureProfile = {
  name: 'one segment',
  segments: [{ name: 'dry', targetC: 50, rampCPerMin: 5, holdS: 300, vacuum: false }],
};

describe('drying profile over Firmata', () => {
  it('runs a ramp and soak segment with the SimIO tolerances: soak within 1 C, hold to plan', async () => {
    const out: Record<string, { worstSoakC: number; codes: string[]; status: string; soakS: number }> = {};
    for (const backend of ['sim', 'firmata'] as const) {
      const rig = await open(backend, 3);
      const { loop, programmer } = ovenLoop(rig, SEGMENT);
      const r = { worstSoakC: 0, codes: [] as string[], status: '', soakS: 0 };
      await runPeriods(rig, 1200, async () => {
        const s = await loop.sample();
        r.codes.push(...s.out.events.map((e) => e.code));
        const soakS = (programmer.snapshot() as { soakElapsedS?: number } | undefined)?.soakElapsedS ?? 0;
        if (s.out.phase === 'soak' && soakS > 120 && s.reading.tempC !== null)
          r.worstSoakC = Math.max(r.worstSoakC, Math.abs(s.reading.tempC - 50));
      });
      loop.off();
      const end = programmer.snapshot();
      r.status = end?.status ?? 'idle';
      out[backend] = r;
    }
    for (const r of Object.values(out)) {
      expect(r.status).toBe('completed');
      expect(r.codes).toEqual(
        expect.arrayContaining(['run-start', 'soak-start', 'segment-end', 'run-complete']),
      );
      expect(r.worstSoakC).toBeLessThanOrEqual(1);
    }
    expect(out.firmata!.codes).toEqual(out.sim!.codes);
    console.log(
      `profile segment: worst soak deviation ${out.sim!.worstSoakC} C (SimIO), ${out.firmata!.worstSoakC} C (Firmata)`,
    );
  }, 300_000);
});

describe('relay interlock over Firmata', () => {
  it('switches a cell to the analyser and refuses the next one behind a welded relay, as on SimIO', async () => {
    const rig = await open('firmata');
    const events: ControlEvent[] = [];
    const interlock = new ChannelInterlock(
      new Mcp23017RelayBoard(rig.hw.bus, 'relay board', undefined, rig.hw.io),
      rig.clock,
      {
        channels: [
          { channel: 'ch1', cyclerRelay: 0, analyserRelay: 1 },
          { channel: 'ch2', cyclerRelay: 2, analyserRelay: 3 },
        ],
      },
      (e) => events.push(e),
    );
    const first = interlock.request('ch1', 'analyser');
    await rig.clock.tick(200);
    expect(await first).toMatchObject({ ok: true });
    expect(rig.sim.relays.contact(1)).toBe(true);
    rig.sim.inject({ device: 'relay', relay: 1, fault: 'welded' });
    const second = interlock.request('ch2', 'analyser');
    await rig.clock.tick(200);
    expect(await second).toMatchObject({ ok: false });
    expect(rig.sim.relays.contact(3)).toBe(false);
    expect(events.filter((e) => e.kind === 'alarm').map((e) => e.code)).toEqual(['relay-welded-1']);
  });
});
