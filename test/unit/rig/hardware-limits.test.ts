import { describe, expect, it } from 'vitest';
import { READY_PROFILES } from '../../../src/control/ready-profiles';
import {
  checkCalibration,
  checkOvenSettings,
  checkPressSettings,
  maxMeasurableMPa,
  REFERENCE_RIG,
} from '../../../src/rig/hardware-limits';

const press = REFERENCE_RIG.press;
const base = { dieDiameterMm: 10, targetMPa: 150, toleranceMPa: 1.5, rampMPaPerS: 0.5, overloadMPa: 170 };
const names = {
  targetMPa: '--target',
  toleranceMPa: '--tolerance',
  rampMPaPerS: '--ramp',
  overloadMPa: '--overload',
};
const check = (s: Partial<typeof base>) => checkPressSettings({ ...base, ...s }, press, names);

/** A refusal in words: names the setting and its value, gives a range, and is no schema dump. */
function expectPlain(message: string, setting: string, value: string) {
  expect(message.startsWith(`${setting} ${value}`)).toBe(true);
  expect(message).toMatch(/allowed [-\d.]+ to [\d.]+|allowed up to [\d.]+/);
  expect(message).not.toMatch(/[{}[\]"]|too_big|Invalid input|expected number/);
}

describe('pressure settings against the press hardware', () => {
  it('accepts the default flow (150 MPa, band 1.5, ramp 0.5, overload 170 on a 10 mm die)', () => {
    expect(check({})).toEqual([]);
  });

  it('refuses a target and an overload beyond what the load cell measures, naming both (450 / 470 MPa)', () => {
    const p = check({ targetMPa: 450, overloadMPa: 470 });
    expect(p.map((x) => x.setting)).toEqual(['--target', '--overload']);
    expectPlain(p[0]!.message, '--target', '450 MPa');
    expect(p[0]!.message).toMatch(/20 kN load cell reads up to 229.2 MPa on the 10 mm die/);
    expectPlain(p[1]!.message, '--overload', '470 MPa');
  });

  it('refuses a ramp the pump cannot follow, a band too wide, and an overload under the band', () => {
    expectPlain(check({ rampMPaPerS: 1_000_000 })[0]!.message, '--ramp', '1000000 MPa/s');
    expect(check({ rampMPaPerS: 1_000_000 })[0]!.message).toMatch(/allowed 0.01 to 6.11 MPa\/s/);
    expectPlain(check({ toleranceMPa: 100 })[0]!.message, '--tolerance', '100 MPa');
    const low = check({ overloadMPa: 10 });
    expectPlain(low[0]!.message, '--overload', '10 MPa');
    expect(low[0]!.message).toMatch(/above target \+ tolerance \(151.5 MPa\); allowed 153.54 to 229.2 MPa/);
  });

  it('keeps the band clear of the safety layer on a small die, where its margin is many MPa', () => {
    // 80 N on a 5 mm die is 4.1 MPa: the overload must sit two margins (8.1 MPa) above the band.
    const s = { dieDiameterMm: 5, targetMPa: 100, toleranceMPa: 1, rampMPaPerS: 0.5 };
    expect(checkPressSettings({ ...s, overloadMPa: 105 }, press)).toHaveLength(1);
    expect(checkPressSettings({ ...s, overloadMPa: 109.2 }, press)).toEqual([]);
  });

  it('refuses a control period the safety layer cannot work with', () => {
    expect(checkPressSettings({ ...base, periodMs: 60_000 }, press)[0]!.message).toMatch(/100 to 2000 ms/);
  });

  it('tops out at 90 % of the 20 kN cell: 229.2 MPa on 10 mm', () => {
    expect(maxMeasurableMPa(press, 10)).toBeCloseTo(229.18, 2);
  });
});

describe('load-cell calibration against the cell as built', () => {
  it('accepts the reference calibration and refuses a zero taken under load or a span far off', () => {
    expect(checkCalibration({ zeroCounts: 8000, countsPerN: 107.37 }, press)).toEqual([]);
    // The zero a tare under 150 MPa would give.
    const underLoad = checkCalibration({ zeroCounts: 1_273_019, countsPerN: 107.37 }, press);
    expect(underLoad[0]!.message).toMatch(/^zeroCounts 1273019 counts is not an unloaded reading/);
    expect(checkCalibration({ zeroCounts: 0, countsPerN: 50 }, press)[0]!.message).toMatch(
      /^countsPerN 50 counts\/N is not this rig's load cell.*allowed 96.63 to 118.11/,
    );
  });
});

describe('oven settings against its ratings', () => {
  const oven = REFERENCE_RIG.oven;
  it('accepts every ready profile under the default 220 C cutoff', () => {
    for (const p of Object.values(READY_PROFILES))
      expect(checkOvenSettings({ overTempCutoffC: 220, soakBandC: 1, segments: p.segments }, oven)).toEqual(
        [],
      );
  });

  it('refuses a cutoff above the oven rating, a target at the cutoff and a ramp the heater cannot follow', () => {
    const p = checkOvenSettings(
      {
        overTempCutoffC: 400,
        soakBandC: 1,
        segments: [
          { name: 'dry', targetC: 260, rampCPerMin: 3 },
          { name: 'fast', targetC: 150, rampCPerMin: 600 },
        ],
      },
      oven,
    );
    expect(p.map((x) => x.message)).toEqual([
      expect.stringMatching(
        /^overTempCutoffC 400 C is above what the oven is rated for.*allowed up to 250 C/,
      ),
      expect.stringMatching(
        /^segment 1 \('dry'\) targets 260 C, at or above the over-temperature cutoff \(250 C\)/,
      ),
      expect.stringMatching(
        /^segment 2 \('fast'\) ramps at 600 C\/min, faster than the oven can heat.*allowed 0.1 to 10 C\/min/,
      ),
    ]);
  });
});
