import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EIS_OPTIONS, main } from '../../../app/cli/eis';
import { runCli } from '../../support/cli';

const dataDir = path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'eis');
const tmp = mkdtempSync(path.join(tmpdir(), 'cellrig-eis-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `cellrig eis ...` in process and captures what it prints. */
const cli = (...argv: string[]) => runCli(main, argv);

describe('cellrig eis read', () => {
  it('prints format and f, re, im arrays with --json, Im with its true sign', async () => {
    const { code, out } = await cli('read', path.join(dataDir, 'exampleDataBioLogic.mpt'), '--json');
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.format).toBe('biologic-mpt');
    expect(json.f).toHaveLength(43);
    expect(json.re).toHaveLength(43);
    expect(json.im[0]).toBeCloseTo(-0.38998979, 8);
  });

  it('times repeated parses with --repeat', async () => {
    const { code, out } = await cli(
      'read',
      path.join(dataDir, 'exampleDataGamry.DTA'),
      '--repeat',
      '5',
      '--json',
    );
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.f).toHaveLength(72);
    expect(json.timing.runs).toBe(5);
    expect(json.timing.minMs).toBeGreaterThan(0);
  });

  it('says a folder is not a file, with the bad-input exit code 5', async () => {
    const { code, err } = await cli('read', dataDir);
    expect(code).toBe(5);
    expect(err).toMatch(/is a folder/);
  });

  it('names a missing file and exits 5 (bad input)', async () => {
    const { code, err } = await cli('read', path.join(tmp, 'nothing.csv'));
    expect(code).toBe(5);
    expect(err).toMatch(/nothing\.csv: no such file/);
  });
});

describe('cellrig eis fit', () => {
  const example = path.join(dataDir, 'exampleData.csv');

  it('fits the getting-started example from the documented guess, as JSON with named parameters', async () => {
    const { code, out } = await cli(
      'fit',
      example,
      '--circuit',
      'R0-p(R1,C1)-p(R2-Wo1,C2)',
      '--drop-inductive',
      '--guess',
      '.01,.01,100,.01,.05,100,1',
      '--json',
    );
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.dropped).toBe(9);
    expect(json.converged).toBe(true);
    expect(json.parameters.map((p: { name: string }) => p.name)).toEqual([
      'R0',
      'R1',
      'C1',
      'R2',
      'Wo1_0',
      'Wo1_1',
      'C2',
    ]);
    expect(json.parameters[0]).toMatchObject({ name: 'R0', unit: 'Ohm' });
    expect(Number(json.parameters[0].value.toPrecision(3))).toBe(0.0165);
    expect(json.parameters[0].stderr).toBeGreaterThan(0);
    expect(json.rmse).toBeGreaterThan(0);
    expect(json.iterations).toBeGreaterThan(0);
  });

  it('writes Nyquist, Bode magnitude and phase and residual panels with every data point and the fitted lines', async () => {
    const svgPath = path.join(tmp, 'fit.svg');
    const { code } = await cli(
      'fit',
      example,
      '--circuit',
      'R0-p(R1,CPE1)-p(R2,CPE2)-CPE3',
      '--drop-inductive',
      '--plot',
      svgPath,
    );
    expect(code).toBe(0);
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const title of ['Nyquist', 'Bode: magnitude', 'Bode: phase', 'Residuals (Z_fit - Z) / |Z|'])
      expect(svg).toContain(`>${title}</text>`);
    // 57 points in the Nyquist and the two Bode panels, twice (real, imaginary) in the residuals, and a
    // legend marker for each of those five point series.
    expect(svg.match(/<circle /g)).toHaveLength(5 * 57 + 5);
    // The model over 300 frequencies in the Nyquist and both Bode panels.
    expect(svg.match(/<polyline [^>]*points="([\d.]+,[\d.]+ ){299}[\d.]+,[\d.]+"/g)).toHaveLength(3);
    // Frequency labels at the data points nearest each decade.
    for (const f of ['10 mHz', '1 Hz', '100 Hz']) expect(svg).toContain(`>${f}</text>`);
    expect(svg).not.toMatch(/NaN|Infinity/);
    // Each panel's legend box lies inside that panel's plot frame.
    const rects = (stroke: string) =>
      [
        ...svg.matchAll(
          new RegExp(
            `<rect x="([\\d.]+)" y="([\\d.]+)" width="([\\d.]+)" height="([\\d.]+)"[^>]*stroke="${stroke}"`,
            'g',
          ),
        ),
      ].map((m) => m.slice(1, 5).map(Number) as [number, number, number, number]);
    const frames = rects('#444');
    const legends = rects('#bbb');
    expect(frames).toHaveLength(4);
    expect(legends).toHaveLength(4);
    for (const [x, y, w, h] of legends) {
      const inside = frames.some(
        ([fx, fy, fw, fh]) => x >= fx && y >= fy && x + w <= fx + fw && y + h <= fy + fh,
      );
      expect(inside, `legend at ${x},${y}`).toBe(true);
    }
  });

  it('times repeated fits with --repeat', async () => {
    const { out } = await cli('fit', example, '--circuit', 'R0-p(R1,C1)', '--repeat', '5', '--json');
    const json = JSON.parse(out);
    expect(json.timing.runs).toBe(5);
    expect(json.timing.minMs).toBeGreaterThan(0);
    expect(json.timing.medianMs).toBeGreaterThanOrEqual(json.timing.minMs);
  });

  it('holds parameters given with --fix', async () => {
    const { out } = await cli('fit', example, '--circuit', 'R0-p(R1,C1)', '--fix', 'R0=0.02', '--json');
    const r0 = JSON.parse(out).parameters[0];
    expect(r0).toMatchObject({ name: 'R0', value: 0.02, stderr: null, fixed: true });
  });

  it.each([
    [
      ['--weight', 'heavy'],
      /option '--weight <scheme>' argument 'heavy' is invalid. Allowed choices are unit, modulus, proportional/,
    ],
    [
      ['--guess', '1,x'],
      /option '--guess <v1,v2,...>' argument '1,x' is invalid. value 2 \('x'\) is not a number/,
    ],
    [
      ['--repeat', '0'],
      /option '--repeat <n>' argument '0' is invalid. Allowed: a whole number from 1 to 10000/,
    ],
    [['--fix', 'R0'], /option '--fix <NAME=V,...>' argument 'R0' is invalid. 'R0' is not NAME=VALUE/],
    [
      ['--starts', '1000000'],
      /option '--starts <n>' argument '1000000' is invalid. Allowed: a whole number from 1 to 1000/,
    ],
  ])('rejects bad option %j naming it, with a hint to --help and exit code 2', async (extra, message) => {
    const { code, err } = await cli('fit', example, '--circuit', 'R0-p(R1,C1)', ...(extra as string[]));
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toMatch(/run 'cellrig eis fit --help' for usage/);
  });

  it('requires --circuit', async () => {
    const { code, err } = await cli('fit', example);
    expect(code).toBe(2);
    expect(err).toMatch(/required option '--circuit <text>' not specified/);
  });

  it('reports a circuit syntax error with its position as a command-line error (exit 2)', async () => {
    const { code, err } = await cli('fit', example, '--circuit', 'R0-p(R1,C1');
    expect(code).toBe(2);
    expect(err).toMatch(/position 11/);
  });

  it('reports a guess of the wrong length naming the free parameters, as bad input (exit 5)', async () => {
    const { code, err } = await cli('fit', example, '--circuit', 'R0-p(R1,C1)', '--guess', '1,2');
    expect(code).toBe(5);
    expect(err).toMatch(/R0, R1, C1/);
  });

  it('exits 4 when a parameter is not determined, and says which and why', async () => {
    // Two resistances in series: only their sum is in the data, so neither has a standard error.
    const { code, out } = await cli('fit', example, '--circuit', 'R0-R9-p(R1,C1)', '--drop-inductive');
    expect(code).toBe(4);
    expect(out).toMatch(/NOT DETERMINED by the data: R0, R9\n/);
    expect(out).toMatch(/R0 .* not determined: no finite standard error/);
    expect(out).toMatch(/R9 .* not determined: no finite standard error/);
  });
});

describe('cellrig eis', () => {
  it('rejects an unknown subcommand with usage', async () => {
    const { code, err } = await cli('frobnicate');
    expect(code).toBe(2);
    expect(err).toMatch(/unknown command 'frobnicate'/);
  });

  it.each(['read', 'fit', 'validate', 'drt'])(
    'answers eis %s --help with every option and the exit codes',
    async (sub) => {
      const { code, out } = await cli(sub, '--help');
      expect(code).toBe(0);
      expect(out).toMatch(new RegExp(`^Usage: cellrig eis ${sub} \\[options\\] <file>`));
      for (const option of EIS_OPTIONS[sub as keyof typeof EIS_OPTIONS]) expect(out).toContain(option.flags);
      for (const code of ['0 ', '1 ', '2 ', '3 ', '4 ', '5 ']) expect(out).toContain(`\n  ${code} `);
    },
  );
});
