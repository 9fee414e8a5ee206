/**
 * Load-cell calibration as a technician runs it on the simulated rig: release the press, tare, put a
 * known load on (the simulated stack's true force stands for the reference cell in the die), span. The
 * procedure must find the simulated cell's own calibration from its readings, refuse a tare under load
 * (the safety rule of devices/press-channel.ts) and write the result into the channel's node in a flow file.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findChannel, writeCalibration } from '../../app/cli/calibrate';
import { runProgram } from '../../app/cli/grammar';
import { buildProgram } from '../../app/cli/program';
import {
  CalibrationError,
  type CalibrationStep,
  calibrateLoadCell,
} from '../../devices/calibration-procedure';
import { channelConfigSchema, DEFAULT_LOAD_CELL } from '../../src/rig/config';
import { REFERENCE_RIG } from '../../src/rig/hardware-limits';
import { runCli } from '../support/cli';
import { openTestRig, type TestRig } from '../support/rig-loops';

let rig: TestRig | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An installed calibration a few per cent off the cell's true one (DEFAULT_LOAD_CELL in the simulator). */
const INSTALLED = { zeroCounts: 8_300, countsPerN: 103 };
const channel = channelConfigSchema.parse({
  channel: 'ch1',
  cell: 'c',
  coating: 'pristine',
  muxPort: 0,
  calibration: INSTALLED,
});

/** The channel's installation: the load cell behind port 0, installed with that calibration. */
const installed = { muxPort: 0, dieDiameterMm: 10, calibration: INSTALLED };

/** Runs the procedure while the virtual clock moves, so its sample-period waits pass. */
async function run(
  r: TestRig,
  ask: (s: CalibrationStep) => Promise<string>,
  knownForceN?: number,
  asInstalled: typeof installed | undefined = installed,
) {
  let done = false;
  const p = calibrateLoadCell({
    hw: r.hw,
    clock: r.clock,
    channel,
    hardware: REFERENCE_RIG.press,
    installed: asInstalled,
    knownForceN,
    ask,
  }).finally(() => {
    done = true;
  });
  p.catch(() => undefined); // the caller awaits it after the clock has run
  for (let i = 0; i < 100 && !done; i++) await r.clock.tick(500);
  return p;
}

describe('load-cell calibration', () => {
  it("finds the cell's own zero and span from a released press and a reference reading", async () => {
    rig = await openTestRig('sim', 11);
    const press = rig.sim.presses.get(0)!;
    let reference = 0;
    const steps: string[] = [];
    const cal = await run(rig, async (s) => {
      steps.push(s.step);
      if (s.step === 'release') {
        rig!.sim.inject({ device: 'press', port: 0, fault: 'released-by-hand' });
        return '';
      }
      // The press pushed until the reference cell reads about 5 kN; the technician types its reading.
      press.displace(5000 / 60_000);
      reference = press.forceN;
      return reference.toFixed(1);
    });
    expect(steps).toEqual(['release', 'load']);
    expect(reference).toBeGreaterThan(4000);
    expect(Math.abs(cal.zeroCounts - DEFAULT_LOAD_CELL.zeroCounts)).toBeLessThan(
      0.002 * DEFAULT_LOAD_CELL.countsPerN * 1000,
    );
    expect(Math.abs(cal.countsPerN / DEFAULT_LOAD_CELL.countsPerN - 1)).toBeLessThan(0.005);
    // The installed calibration was 4 % off: the new one reads the known load within 0.5 %.
    const counts = DEFAULT_LOAD_CELL.zeroCounts + reference * DEFAULT_LOAD_CELL.countsPerN;
    expect(Math.abs((counts - cal.zeroCounts) / cal.countsPerN / reference - 1)).toBeLessThan(0.005);
  });

  it('refuses the tare while the press holds its load, and changes nothing', async () => {
    rig = await openTestRig('sim', 11);
    const err = await run(rig, async () => '', 5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CalibrationError);
    expect(String(err)).toMatch(/tare refused: .*a tare needs the press released/);
  });

  it('refuses a known load the installed calibration disagrees with by more than 10 %', async () => {
    rig = await openTestRig('sim', 11);
    const press = rig.sim.presses.get(0)!;
    const err = await run(
      rig,
      async (s) => {
        if (s.step === 'release') rig!.sim.inject({ device: 'press', port: 0, fault: 'released-by-hand' });
        else press.displace(5000 / 60_000);
        return '';
      },
      // Told 8 kN while about 5 kN is on the cell: a wrong weight or a wiring fault.
      8000,
    ).catch((e: unknown) => e);
    expect(String(err)).toMatch(/span refused: .*against a known 8000 N/);
  });
});

describe('writing the calibration into the rig flow', () => {
  it("writes zero and span into the channel's stack-pressure node, keeping the previous file", () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellrig-cal-'));
    dirs.push(dir);
    const file = join(dir, 'flows.json');
    copyFileSync(join(__dirname, '../../flows/rig.json'), file);
    const r = writeCalibration(file, 'ch2', { zeroCounts: 8012.4, countsPerN: 107.41234 });
    expect(r.after).toEqual({ zeroCounts: 8012, countsPerN: 107.4123 });
    expect(findChannel(file, 'ch2').node).toMatchObject({ zeroCounts: 8012, countsPerN: 107.4123 });
    expect(findChannel(file, 'ch1').node).toMatchObject({ zeroCounts: 8000, countsPerN: 107.37 });
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(
      readFileSync(join(__dirname, '../../flows/rig.json'), 'utf8'),
    );
  });

  it('names the file and the channels it has when the channel is not in the flow', async () => {
    const r = await runCli(
      (a) => runProgram(buildProgram(), a),
      [
        'calibrate',
        '--channel',
        'ch9',
        '--known-n',
        '5000',
        '--flows',
        join(__dirname, '../../flows/rig.json'),
      ],
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/rig\.json: no stack-pressure node for channel "ch9" \(channels: ch1, ch2, ch3\)/);
  });
});
