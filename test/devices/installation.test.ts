/**
 * The installation record below the nodes: what the safety layer judges raw counts by. It is written only
 * by the calibration procedure (press released), `cellrig install hardware` and the simulated rig's own
 * seed; it is refused, never replaced, when torn, edited, writable by others or made for another rig; and a
 * press channel whose node settings disagree with it does not exist, so no deploy moves the overload limit
 * in raw counts. Tried here below the node; test/nodes/stack-pressure-installation.test.ts tries the same
 * through Node-RED deploys.
 */

import { spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runProgram } from '../../app/cli/grammar';
import { buildProgram } from '../../app/cli/program';
import { CalibrationError, calibrateAndInstall } from '../../devices/calibration-procedure';
import { CommandRefused, PressChannel } from '../../devices/press-channel';
import { RigInstallation, readInstallationFile } from '../../devices/rig-installation';
import { SIM_PINS, simChannelAsBuilt } from '../../devices/sim/sim-rig';
import { PressureHold } from '../../src/control/pressure-hold';
import { channelConfigSchema, DEFAULT_LOAD_CELL } from '../../src/rig/config';
import { capacityMPa, REFERENCE_RIG } from '../../src/rig/hardware-limits';
import { countsFromForce, dieAreaMm2 } from '../../src/rig/load-cell';
import { runCli } from '../support/cli';
import { installForTest } from '../support/installation';
import { openPressRig } from '../support/press-rig';
import { openTestRig, type TestRig } from '../support/rig-loops';

const HW = REFERENCE_RIG.press;
const dirs: string[] = [];
let rig: TestRig | undefined;
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cellrig-inst-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ch1 = (extra: Record<string, unknown> = {}) =>
  channelConfigSchema.parse({ channel: 'ch1', cell: 'c1', coating: 'pristine', muxPort: 0, ...extra });
/** 170 MPa on the installed 10 mm die, in counts by the installed (as built) calibration. */
const LIMIT_COUNTS = countsFromForce(170 * dieAreaMm2(10), DEFAULT_LOAD_CELL);

describe('the record file', () => {
  it('a simulated rig seeds its own (0600, marked simulated); a real rig has none and says how to install it', () => {
    const dir = tempDir();
    const sim = RigInstallation.open({ dataDir: dir, rigId: 'rig01', backend: 'sim' });
    expect(sim.refusal).toBeUndefined();
    expect(statSync(sim.file).mode & 0o777).toBe(0o600);
    expect(sim.record).toMatchObject({
      backend: 'sim',
      hardwareSet: { how: 'sim-seed' },
      hardware: REFERENCE_RIG,
    });
    const real = RigInstallation.open({ dataDir: tempDir(), rigId: 'rig01', backend: 'firmata' });
    expect(real.record).toBeUndefined();
    expect(real.refusal).toMatch(/no installation record .*cellrig install hardware --reference/);
    expect(
      real.channel({ channel: 'ch1', muxPort: 0, dieDiameterMm: 10, calibration: DEFAULT_LOAD_CELL }),
    ).toMatchObject({
      ok: false,
    });
  });

  it('refuses a torn, hand-edited, group-writable or copied record with the reason, and never seeds over it', () => {
    const dir = tempDir();
    const inst = installForTest(dir, { backend: 'sim' });
    const good = readFileSync(inst.file, 'utf8');
    const attempt = (text: string, mode = 0o600) => {
      writeFileSync(inst.file, text);
      chmodSync(inst.file, mode);
      const again = RigInstallation.open({ dataDir: dir, rigId: 'rig01', backend: 'sim' });
      expect(readFileSync(inst.file, 'utf8')).toBe(text); // left as found
      return again.refusal ?? '';
    };
    expect(attempt(good.slice(0, 200))).toMatch(/damaged: not complete JSON/);
    expect(attempt(good.replace('"zeroCounts": 8000', '"zeroCounts": 7000'))).toMatch(
      /sha256 checksum does not match its content .*edited by hand/,
    );
    expect(attempt(good, 0o664)).toMatch(/others may write it \(mode 664\)/);
    expect(attempt(good)).toBe('');
    const other = RigInstallation.open({ dataDir: dir, rigId: 'rig01', backend: 'linux' });
    expect(other.refusal).toMatch(/made on the simulated rig and this rig runs on the linux backend/);
  });

  it('a write that fails (disk full) leaves the old record whole and no temporary file', () => {
    const dir = tempDir();
    const inst = installForTest(dir, { backend: 'firmata' });
    const before = readFileSync(inst.file, 'utf8');
    const fs = nodeFs;
    let writes = 0;
    const failing = {
      ...fs,
      writeSync: ((...a: Parameters<typeof fs.writeSync>) => {
        if (++writes > 0)
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return fs.writeSync(...a);
      }) as typeof fs.writeSync,
    };
    const broken = RigInstallation.open({ dataDir: dir, rigId: 'rig01', backend: 'firmata', fs: failing });
    expect(() => broken.installChannel('ch4', simChannelAsBuilt(3)!, 'calibrate', 'test')).toThrow(
      /could not write .*ENOSPC.*the record on disk is unchanged/,
    );
    expect(readFileSync(inst.file, 'utf8')).toBe(before);
    expect(readdirSync(join(dir, 'installation'))).toEqual(['rig01.json']);
  });
});

describe('a press channel exists only as installed', () => {
  const hold = () => new PressureHold({ plausibleMaxMPa: capacityMPa(HW, 10) });
  const installed = simChannelAsBuilt(0)!;

  it('refuses a node whose zero, span, die, port or pins differ (each within what the hardware checks allow)', async () => {
    rig = await openTestRig('sim', 3);
    const make =
      (extra: Record<string, unknown>, pins = SIM_PINS.press[0]!) =>
      () =>
        new PressChannel(rig!.hw, rig!.clock, {
          channel: ch1(extra),
          hardware: HW,
          installed,
          hold: hold(),
          pins,
        });
    // 41,000 counts is inside the zero window a calibration check alone allows (45,000): 4.9 MPa at 170.
    expect(make({ calibration: { zeroCounts: 8000 - 41_000, countsPerN: 107.37 } })).toThrow(
      /Zero -33000 counts is not the installed calibration .*4\.86 MPa apart.*Refused: the press stays stopped/,
    );
    expect(make({ calibration: { zeroCounts: 8000, countsPerN: 112 } })).toThrow(
      /Span 112 counts\/N is not the installed/,
    );
    expect(make({ dieDiameterMm: 11 })).toThrow(/die 11 mm is not the installed 10 mm/);
    expect(make({ muxPort: 1 })).toThrow(/mux port 1 is not the installed load cell's \(port 0\)/);
    expect(make({}, SIM_PINS.press[1]!)).toThrow(
      /pump pin 12 and valve pin 13 are not the installed press's \(5 and 6\)/,
    );
    // And a hold without any installation does not exist either.
    expect(
      () =>
        new PressChannel(rig!.hw, rig!.clock, {
          channel: ch1(),
          hardware: HW,
          hold: hold(),
          pins: SIM_PINS.press[0]!,
        }),
    ).toThrow(CommandRefused);
    const ok = make({})();
    expect(ok.guard!.overloadCounts).toBeCloseTo(LIMIT_COUNTS, 6);
  });

  it('keeps the raw-count overload limit through tare, span and redeploys: only the installation sets it', async () => {
    const p = await openPressRig(5);
    try {
      const limit = p.channel.guard!.overloadCounts;
      expect(limit).toBeCloseTo(LIMIT_COUNTS, 6);
      p.hw.sim!.inject({ device: 'press', port: 0, fault: 'released-by-hand' });
      for (let i = 0; i < 5; i++) await p.period();
      p.channel.command({ command: 'tare' }); // released: accepted, moves only the controller's zero
      expect(p.channel.guard!.overloadCounts).toBe(limit);
      p.redeploy();
      expect(p.channel.guard!.overloadCounts).toBe(limit);
      p.channel.command({ command: 'start' });
      let worst = 0;
      for (let i = 0; i < 900; i++) {
        const s = await p.period();
        if (s.reading) worst = Math.max(worst, s.reading.counts);
      }
      expect(worst).toBeLessThan(limit);
    } finally {
      p.close();
    }
  });
});

describe('calibration installs, only with the press released', () => {
  /** The procedure on the simulated rig, the clock moving so its waits pass. */
  async function calibrate(installation: RigInstallation, release: boolean) {
    const press = rig!.sim.presses.get(0)!;
    let done = false;
    const p = calibrateAndInstall({
      hw: rig!.hw,
      clock: rig!.clock,
      installation,
      channel: ch1(),
      pins: SIM_PINS.press[0]!,
      ask: async (s) => {
        if (s.step === 'release') {
          if (release) rig!.sim.inject({ device: 'press', port: 0, fault: 'released-by-hand' });
          return '';
        }
        press.displace(5000 / 60_000);
        return press.forceN.toFixed(1);
      },
    }).finally(() => {
      done = true;
    });
    p.catch(() => undefined);
    for (let i = 0; i < 100 && !done; i++) await rig!.clock.tick(500);
    return p;
  }

  it('refuses under load (the press still holding 150 MPa) and leaves the record byte for byte', async () => {
    rig = await openTestRig('sim', 11);
    const inst = installForTest(tempDir(), { backend: 'sim' });
    const before = readFileSync(inst.file, 'utf8');
    const err = await calibrate(inst, false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CalibrationError);
    expect(String(err)).toMatch(/tare refused: the load cell reads \d+ N .*by the installed calibration/);
    expect(readFileSync(inst.file, 'utf8')).toBe(before);
  });

  it('released: installs the measured zero and span with how and when, which a node must then match', async () => {
    rig = await openTestRig('sim', 11);
    const inst = installForTest(tempDir(), { backend: 'firmata' });
    const cal = await calibrate(inst, true);
    const loaded = readInstallationFile(inst.file);
    expect(loaded.kind).toBe('ok');
    const entry = loaded.kind === 'ok' ? loaded.record.channels.ch1! : undefined;
    expect(entry).toMatchObject({ muxPort: 0, dieDiameterMm: 10, pumpPin: 5, valvePin: 6, calibration: cal });
    expect(entry!.set.how).toBe('calibrate');
    expect(entry!.set.detail).toMatch(/reference cell reading \d+(\.\d)? N/);
    expect(Math.abs(cal.countsPerN / DEFAULT_LOAD_CELL.countsPerN - 1)).toBeLessThan(0.005);
    const reopened = RigInstallation.open({
      dataDir: join(inst.file, '../..'),
      rigId: 'rig01',
      backend: 'firmata',
    });
    expect(reopened.channel({ channel: 'ch1', muxPort: 0, dieDiameterMm: 10, calibration: cal }).ok).toBe(
      true,
    );
    const offByOne = { ...cal, zeroCounts: cal.zeroCounts + 1 };
    expect(
      reopened.channel({ channel: 'ch1', muxPort: 0, dieDiameterMm: 10, calibration: offByOne }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/is not the installed calibration .*cellrig calibrate/),
    });
  });

  it('a real rig without a record calibrates nothing', async () => {
    rig = await openTestRig('sim', 11);
    const inst = RigInstallation.open({ dataDir: tempDir(), rigId: 'rig01', backend: 'firmata' });
    await expect(calibrate(inst, true)).rejects.toThrow(/no installation record/);
    expect(readInstallationFile(inst.file).kind).toBe('missing');
  });
});

describe('cellrig install hardware', () => {
  const cli = (...argv: string[]) => runCli((a) => runProgram(buildProgram(), a), ['install', ...argv]);

  it('installs the limits of a file field by field, refuses a bad field by name, and needs cellrig stopped', async () => {
    const dir = tempDir();
    const limits = JSON.parse(JSON.stringify(REFERENCE_RIG));
    limits.press.nearZeroN = 1000; // 5 % of a 20 kN cell is not "released"
    const file = join(dir, 'limits.json');
    writeFileSync(file, JSON.stringify(limits));
    const bad = await cli('hardware', '--file', file, '--backend', 'firmata', '--data', join(dir, 'data'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /press\.nearZeroN: a "no load" of over 2 % of the capacity is not a released press/,
    );

    limits.press.nearZeroN = 50;
    writeFileSync(file, JSON.stringify(limits));
    // Another live process holds the data folder, as a running cellrig start does.
    mkdirSync(join(dir, 'data'));
    const held = { pid: process.ppid, since: new Date().toISOString(), nonce: 'other' };
    writeFileSync(join(dir, 'data', 'cellrig.lock'), JSON.stringify(held));
    const busy = await cli('hardware', '--file', file, '--backend', 'firmata', '--data', join(dir, 'data'));
    rmSync(join(dir, 'data', 'cellrig.lock'));
    expect(busy.code).toBe(1);
    expect(busy.err).toMatch(/cellrig install hardware needs cellrig stopped/);

    const ok = await cli('hardware', '--file', file, '--backend', 'firmata', '--data', join(dir, 'data'));
    expect(ok.code).toBe(0);
    const shown = await cli('show', '--data', join(dir, 'data'));
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/rig rig01: installed on the firmata backend/);
    expect(shown.out).toMatch(/tare at most 50 N/);
    expect(shown.out).toMatch(/channels: none installed yet/);
  });
});

describe('cellrig calibrate (the built CLI)', () => {
  it('on the simulated rig under its 150 MPa preload: exit 4, tare refused, neither record nor flow file written', () => {
    const dir = tempDir();
    const flows = join(dir, 'flows.json');
    copyFileSync(join(__dirname, '../../flows/rig.json'), flows);
    const before = readFileSync(flows, 'utf8');
    const r = spawnSync(
      process.execPath,
      [
        join(__dirname, '../../dist/bin/cellrig.js'),
        'calibrate',
        '--channel',
        'ch1',
        '--known-n',
        '5000',
        '--data',
        dir,
      ],
      { input: '\n\n', encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(
      /tare refused: the load cell reads \d+ counts, not an unloaded reading .*; nothing written/,
    );
    expect(readFileSync(flows, 'utf8')).toBe(before);
    const loaded = readInstallationFile(join(dir, 'installation', 'rig01.json'));
    expect(loaded.kind === 'ok' && Object.keys(loaded.record.channels)).toEqual([]);
  });
});
