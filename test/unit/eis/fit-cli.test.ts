import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../app/cli/eis';
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

  it('says a folder is not a file', async () => {
    const { code, err } = await cli('read', dataDir);
    expect(code).toBe(1);
    expect(err).toMatch(/is a folder/);
  });

  it('names a missing file and exits 1', async () => {
    const { code, err } = await cli('read', path.join(tmp, 'nothing.csv'));
    expect(code).toBe(1);
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

  it('writes a Nyquist plot with every data point and the fitted line', async () => {
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
    // 57 data points plus one legend marker.
    expect(svg.match(/<circle /g)).toHaveLength(58);
    expect(svg).toMatch(/<polyline [^>]*points="([\d.]+,[\d.]+ ){299}[\d.]+,[\d.]+"/);
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
    [['--weight', 'heavy'], /--weight: .*"unit"\|"modulus"\|"proportional"/],
    [['--guess', '1,x'], /--guess: value 2 \('x'\) is not a number/],
    [['--repeat', '0'], /--repeat: /],
    [['--fix', 'R0'], /--fix: 'R0' is not NAME=VALUE/],
  ])('rejects bad option %j with usage and exit code 2', async (extra, message) => {
    const { code, err } = await cli('fit', example, '--circuit', 'R0-p(R1,C1)', ...extra);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).toMatch(/usage:/);
  });

  it('requires --circuit', async () => {
    const { code, err } = await cli('fit', example);
    expect(code).toBe(2);
    expect(err).toMatch(/--circuit: is required/);
  });

  it('reports a circuit syntax error with its position and exits 1', async () => {
    const { code, err } = await cli('fit', example, '--circuit', 'R0-p(R1,C1');
    expect(code).toBe(1);
    expect(err).toMatch(/position 11/);
  });

  it('reports a guess of the wrong length naming the free parameters', async () => {
    const { code, err } = await cli('fit', example, '--circuit', 'R0-p(R1,C1)', '--guess', '1,2');
    expect(code).toBe(1);
    expect(err).toMatch(/R0, R1, C1/);
  });
});

describe('cellrig eis', () => {
  it('rejects an unknown subcommand with usage', async () => {
    const { code, err } = await cli('frobnicate');
    expect(code).toBe(2);
    expect(err).toMatch(/unknown eis command 'frobnicate'/);
  });
});
