import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../app/cli/eis';
import { runCli } from '../../support/cli';

const dataDir = path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'eis');
const tmp = mkdtempSync(path.join(tmpdir(), 'cellrig-kk-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `cellrig eis ...` in process and captures what it prints. */
const cli = (...argv: string[]) => runCli(main, argv);

describe('cellrig eis validate', () => {
  it('calls the battery spectrum exampleData.csv valid with --json: valid, M and why, mu and max residuals', async () => {
    const { code, out } = await cli('validate', path.join(dataDir, 'exampleData.csv'), '--json');
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.valid).toBe(true);
    expect(json.rule).toBe('chi-square');
    expect(json.M).toBeLessThanOrEqual(json.maxM);
    expect(json.reason).toMatch(new RegExp(`^M = ${json.M}: `));
    expect(json.scan.length).toBeGreaterThanOrEqual(json.M);
    expect(json.scan.length).toBeLessThanOrEqual(json.maxM);
    expect(typeof json.mu).toBe('number');
    expect(json.maxResidualRealPct).toBeLessThan(1);
    expect(json.maxResidualImagPct).toBeLessThan(1);
    expect(json.thresholdPct).toBe(1);
    expect(json.residuals.f).toHaveLength(66);
  });

  it('drops inductive points when asked and reports how many', async () => {
    const { out } = await cli(
      'validate',
      path.join(dataDir, 'exampleDataAutolab.txt'),
      '--drop-inductive',
      '--json',
    );
    const json = JSON.parse(out);
    expect(json.dropped).toBe(6);
    expect(json.points).toBe(35);
    expect(json.valid).toBe(true);
  });

  it('prints an INVALID verdict with the worst frequency for the drifting Gamry spectrum, and exits 3', async () => {
    const { code, out } = await cli('validate', path.join(dataDir, 'exampleDataGamry.DTA'));
    expect(code).toBe(3);
    expect(out).toMatch(/INVALID/);
    expect(out).toMatch(/largest residual at 0\.01589 Hz/);
  });

  it('draws the data, the chain and the residuals against the limit with --plot', async () => {
    const svgPath = path.join(tmp, 'kk.svg');
    const { code } = await cli('validate', path.join(dataDir, 'exampleDataGamry.DTA'), '--plot', svgPath);
    expect(code).toBe(3);
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg).toContain('Kramers-Kronig INVALID');
    expect(svg).toContain('+1 % limit');
    // 72 points in the Nyquist panel, 72 real and 72 imaginary residuals, three legend markers.
    expect(svg.match(/<circle /g)).toHaveLength(3 * 72 + 3);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it("honours --fit, --mu, --threshold and --rule (impedance.py's first-M rule)", async () => {
    const file = path.join(dataDir, 'DAHN_TXT_example.txt');
    const json = JSON.parse(
      (
        await cli(
          'validate',
          file,
          '--fit',
          'real',
          '--mu',
          '0.85',
          '--threshold',
          '15',
          '--rule',
          'first',
          '--json',
        )
      ).out,
    );
    expect(json.fitType).toBe('real');
    expect(json.rule).toBe('first');
    expect(json.thresholdPct).toBe(15);
    expect(json.valid).toBe(true);
  });

  it('reports timing over --repeat runs', async () => {
    const json = JSON.parse(
      (await cli('validate', path.join(dataDir, 'LIB_data.txt'), '--repeat', '3', '--json')).out,
    );
    expect(json.timing.runs).toBe(3);
    expect(json.timing.minMs).toBeGreaterThan(0);
  });

  it('rejects a bad option value with exit code 2 naming the option', async () => {
    const { code, err } = await cli('validate', path.join(dataDir, 'LIB_data.txt'), '--mu', '1.5');
    expect(code).toBe(2);
    expect(err).toMatch(/--mu/);
    expect((await cli('validate')).code).toBe(2);
  });
});
