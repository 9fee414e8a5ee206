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

  it('names the bad option and the bad profile field, exit code 2', async () => {
    const io = capture();
    expect(await main(['pressure', '--hours', 'x'])).toBe(2);
    expect(io.err()).toMatch(/--hours must be a number/);
    const dir = mkdtempSync(join(tmpdir(), 'cellrig-sim-'));
    dirs.push(dir);
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'x', segments: [{ name: 'a', targetC: 'hot' }] }));
    expect(await main(['profile', file])).toBe(2);
    expect(io.err()).toMatch(/segments\.0\.targetC/);
  });
});
