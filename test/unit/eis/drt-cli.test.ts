import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../app/cli/eis';
import { runCli } from '../../support/cli';

const dataDir = path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'eis');
const tmp = mkdtempSync(path.join(tmpdir(), 'cellrig-drt-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `cellrig eis ...` in process and captures what it prints. */
const cli = (...argv: string[]) => runCli(main, argv);

describe('cellrig eis drt', () => {
  const lib = path.join(dataDir, 'LIB_data.txt');

  it('prints lambda, Rinf, L, tau, gamma and peaks {tau, f, R} with --json', async () => {
    const { code, out } = await cli('drt', lib, '--lambda', '1e-3', '--json');
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.lambda).toBe(1e-3);
    expect(json.Rinf).toBeCloseTo(0.11288, 4);
    expect(json.L).toBeGreaterThan(0);
    expect(json.tau).toHaveLength(1070);
    expect(json.gamma).toHaveLength(1070);
    expect(json.peaks).toHaveLength(5);
    for (const p of json.peaks) {
      expect(p.f).toBeCloseTo(1 / (2 * Math.PI * p.tau), 10);
      expect(p.R).toBeGreaterThan(0);
    }
  });

  it('chooses lambda by GCV when none is given and says so', async () => {
    const { out } = await cli('drt', path.join(dataDir, 's04147-200deg.txt'));
    expect(out).toMatch(/lambda \S+ by GCV/);
    expect(out).toMatch(/R_inf/);
  });

  it('writes a DRT plot as SVG', async () => {
    const svg = path.join(tmp, 'drt.svg');
    const { code, out } = await cli('drt', lib, '--plot', svg);
    expect(code).toBe(0);
    expect(out).toMatch(/plot written/);
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text).toMatch(/tau \/ s/);
  });

  it('reports the first run (matrix build) apart from the cached runs with --repeat', async () => {
    const json = JSON.parse(
      (await cli('drt', path.join(dataDir, 'data_1.csv'), '--repeat', '4', '--json')).out,
    );
    expect(json.timing.runs).toBe(3);
    expect(json.timing.firstMs).toBeGreaterThan(0);
  });

  it('rejects a non-positive lambda and a bad penalty order with exit code 2', async () => {
    expect((await cli('drt', lib, '--lambda=-1')).code).toBe(2);
    const { code, err } = await cli('drt', lib, '--penalty', '3');
    expect(code).toBe(2);
    expect(err).toMatch(/--penalty/);
  });

  it('names the file and line of a malformed spectrum and exits 5 (bad input)', async () => {
    const { code, err } = await cli('drt', path.join(dataDir, 'SOURCES.md'));
    expect(code).toBe(5);
    expect(err).toMatch(/SOURCES\.md/);
  });
});
