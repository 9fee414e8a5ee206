/**
 * `cellrig probe` against the virtual Firmata board on a pty (the real serial path, real clock), and
 * against nothing: it must list every simulated device with a reading, switch an output for one second,
 * refuse a heater without the flag, and name the port or bus it tried when there is no board.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runProgram } from '../../app/cli/grammar';
import { buildProgram } from '../../app/cli/program';
import { SIM_PINS } from '../../devices/sim/sim-rig';
import { RealClock } from '../../src/clock';
import { runCli } from '../support/cli';
import { type FirmataBench, startFirmataBench } from '../support/firmata-board';

const probe = (argv: string[]) => runCli((a) => runProgram(buildProgram(), a), ['probe', ...argv]);

let bench: FirmataBench | undefined;
afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

describe('cellrig probe', () => {
  it('lists every simulated device over Firmata, each sensor with one reading in units', async () => {
    bench = await startFirmataBench(new RealClock(), 7);
    const r = await probe(['--port', bench.hostPath]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/over Firmata on .*ttyFIRMATA \(StandardFirmata\.ino 2\.5\)/);
    expect(r.out).toMatch(
      /0x20 MCP23017 \(relay board port expander\): coils on: none; contacts closed: none/,
    );
    expect(r.out).toMatch(/0x67 MCP9601 \(thermocouple converter\): 2\d\.\d\d °C/);
    expect(r.out).toMatch(/0x70 TCA9548A/);
    for (let port = 0; port < 8; port++)
      expect(r.out).toMatch(
        new RegExp(`port ${port}: 0x2A NAU7802 .*: \\d+ counts = \\d+ N = 1[45]\\d\\.\\d MPa`),
      );
    // Nothing else answers: three parts on the main bus, one behind each port.
    expect(r.out.match(/^ {2}(port \d: )?0x[0-9A-F]{2} /gm)).toHaveLength(11);
  }, 30_000);

  it('switches one output on for one second when asked, and refuses the heater without --allow-heater', async () => {
    bench = await startFirmataBench(new RealClock(), 7);
    const pump = SIM_PINS.press[1]!.pump;
    const seen: number[] = [];
    const watch = setInterval(() => seen.push(bench!.sim.digitalRead(pump)), 50);
    const r = await probe(['--port', bench.hostPath, '--toggle', String(pump), '--yes']);
    clearInterval(watch);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/rig pin 12 \(ch2 press pump\) was on for 1 s, now off/);
    const on = seen.filter((v) => v === 1).length * 50;
    expect(on).toBeGreaterThanOrEqual(800);
    expect(on).toBeLessThanOrEqual(1300);
    // The off command left before the port closed; it reaches the board through socat a moment later.
    for (let i = 0; i < 20 && bench.sim.digitalRead(pump) !== 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(bench.sim.digitalRead(pump)).toBe(0);

    const heater = await probe(['--port', bench.hostPath, '--toggle', String(SIM_PINS.heaterSsr), '--yes']);
    expect(heater.code).toBe(2);
    expect(heater.err).toMatch(/oven heater SSR: switching it needs --allow-heater/);
  }, 30_000);

  it('says which port or bus it tried when nothing is there', async () => {
    const fw = await probe(['--port', '/dev/cellrig-no-board']);
    expect(fw.code).toBe(1);
    expect(fw.err).toMatch(/tried Firmata on \/dev\/cellrig-no-board: .*cannot open/);
    const linux = await probe(['--backend', 'linux', '--i2c-bus', '7', '--gpio-chip', 'gpiochip9']);
    expect(linux.code).toBe(1);
    expect(linux.err).toMatch(/tried Linux \/dev\/i2c-7 and gpiochip9: /);
  }, 30_000);
});
