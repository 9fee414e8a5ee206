import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../app/cli/sim';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function capture() {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  return { out: () => out, err: () => err };
}

describe('cellrig sim', () => {
  it('runs a 24 h pressure hold in well under 60 s and writes one trace row per control period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellrig-sim-'));
    dirs.push(dir);
    const trace = join(dir, 'p.csv');
    const io = capture();
    const t0 = performance.now();
    const code = await main([
      'pressure',
      '--target',
      '150',
      '--hours',
      '24',
      '--seed',
      '2',
      '--trace',
      trace,
      '--json',
    ]);
    const wallS = (performance.now() - t0) / 1000;
    expect(code).toBe(0);
    expect(wallS).toBeLessThan(60);
    const summary = JSON.parse(io.out());
    expect(summary.inBandPercent).toBeGreaterThanOrEqual(99);
    expect(summary.maxOvershootMPa).toBeLessThan(2);
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('t_s,setpoint,value,output');
    expect(lines).toHaveLength(1 + 24 * 3600 + 1);
    expect(lines[3600]!.split(',').map(Number)[1]).toBe(150);
  });

  it('runs the TFAA profile with a batch label and prints each hold against its plan', async () => {
    const io = capture();
    const code = await main(['profile', 'tfaa-drying', '--seed', '3', '--batch', 'B-07']);
    expect(code).toBe(0);
    expect(io.out()).toMatch(/heat-treat: 160 C, hold 14400 s planned, 14400 s soaked/);
  });

  it('refuses --target 450 --overload 470 up front, with the reason, instead of faulting at 400 MPa (exit 2)', async () => {
    const io = capture();
    expect(await main(['pressure', '--target', '450', '--overload', '470', '--hours', '1'])).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(
      /--target 450 MPa is more than this rig can hold: the 20 kN load cell reads up to 229.2 MPa/,
    );
    expect(io.err()).toMatch(/--overload 470 MPa is above what this rig can measure/);
  });

  it('answers --ramp 1000000, --tolerance 100 and --overload 10 in words naming the option and the range', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--ramp', '1000000'],
        /--ramp 1000000 MPa\/s is faster than the press can follow.*allowed 0.01 to 6.11 MPa\/s/,
      ],
      [['--tolerance', '100'], /--tolerance 100 MPa is not a usable hold band.*allowed 0.1 to 10 MPa/],
      [['--overload', '10'], /--overload 10 MPa is not above the hold band.*allowed 153.54 to 229.2 MPa/],
    ];
    for (const [args, message] of cases) {
      const io = capture();
      expect(await main(['pressure', ...args])).toBe(2);
      expect(io.err()).toMatch(message);
      // No schema dump.
      expect(io.err()).not.toMatch(/"code"|too_big|\[\s*\{/);
      vi.restoreAllMocks();
    }
  });

  it('refuses a profile whose ramp the oven cannot follow, naming the segment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellrig-sim-'));
    dirs.push(dir);
    const file = join(dir, 'fast.json');
    writeFileSync(
      file,
      JSON.stringify({ name: 'fast', segments: [{ name: 'up', targetC: 150, rampCPerMin: 600, holdS: 60 }] }),
    );
    const io = capture();
    expect(await main(['profile', file])).toBe(2);
    expect(io.err()).toMatch(
      /segment 1 \('up'\) ramps at 600 C\/min, faster than the oven can heat.*allowed 0.1 to 10 C\/min/,
    );
  });

  it('names the bad option and the bad profile field, exit code 2', async () => {
    const io = capture();
    expect(await main(['pressure', '--hours', 'x'])).toBe(2);
    expect(io.err()).toMatch(
      /option '--hours <h>' argument 'x' is invalid\. Allowed: a number above 0 and at most 1440 h/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'cellrig-sim-'));
    dirs.push(dir);
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'x', segments: [{ name: 'a', targetC: 'hot' }] }));
    expect(await main(['profile', file])).toBe(2);
    expect(io.err()).toMatch(/segments\.0\.targetC/);
  });
});
