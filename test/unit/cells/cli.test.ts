import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as health } from '../../../app/cli/health';
import { main as simCells } from '../../../app/cli/sim-cells';
import type { CellReport } from '../../../src/cells/analyse';
import { runCli } from '../../support/cli';

let root: string;

const digest = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cellrig-health-'));
  expect((await runCli(simCells, ['--seed', '1', '--out', join(root, 'a')])).code).toBe(0);
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('cellrig sim cells + cellrig health on the three reference cells (seed 1): the paper as an outcome', () => {
  let cells: CellReport[];
  beforeAll(async () => {
    const r = await runCli(health, [join(root, 'a'), '--json']);
    expect(r.code).toBe(0);
    cells = (JSON.parse(r.out) as { cells: CellReport[] }).cells;
  }, 60_000);
  const cell = (id: string) => cells.find((c) => c.id === id)!;
  const kinds = (id: string) =>
    cell(id)
      .alerts.map((a) => a.kind)
      .sort();
  const rcat = (id: string, cycle: number) => {
    const e = cell(id).rcat.find((x) => x.cycle === cycle)!;
    return 'rCatOhm' in e ? e.rCatOhm : Number.NaN;
  };

  it('flags the pristine soft short near cycle 60, from the files alone, and nothing before', () => {
    const short = cell('pristine').alerts.find((a) => a.kind === 'soft-short')!;
    expect(short.cycle).toBeGreaterThanOrEqual(55);
    expect(short.cycle).toBeLessThanOrEqual(70);
    const signals = (short.evidence as { signals: { name: string; present: boolean }[] }).signals;
    expect(signals.find((x) => x.name === 'ce-trend')!.present).toBe(true);
  });

  it('keeps about 78 % (pristine) and 95 % (TFAA) at cycle 100', () => {
    expect(cell('pristine').retention['100']!).toBeGreaterThan(0.75);
    expect(cell('pristine').retention['100']!).toBeLessThan(0.81);
    expect(cell('tfaa').retention['100']!).toBeGreaterThan(0.93);
    expect(cell('tfaa').retention['100']!).toBeLessThan(0.97);
  });

  it('flags pristine and LNO for resistance growth, R_CAT fitted from every spectrum with its uncertainty', () => {
    expect(kinds('pristine')).toContain('resistance-growth');
    expect(kinds('lno')).toEqual(['resistance-growth']);
    expect(cell('pristine').rcat).toHaveLength(100);
    for (const e of cell('pristine').rcat)
      expect('rCatOhm' in e && e.stderrOhm < 0.05 * e.rCatOhm).toBe(true);
    expect(rcat('pristine', 100)).toBeGreaterThan(1.5 * rcat('pristine', 10));
  });

  it('LNO starts lowest and keeps growing; TFAA rises over about 5 cycles, then stays (no alert in 100 cycles)', () => {
    expect(rcat('lno', 1)).toBeLessThan(rcat('tfaa', 1));
    expect(rcat('tfaa', 1)).toBeLessThan(rcat('pristine', 1));
    expect(cell('lno').resistance).toBe('growing');
    expect(cell('tfaa').alerts).toEqual([]);
    expect(cell('tfaa').resistance).toBe('stabilised');
    const early = rcat('tfaa', 5) - rcat('tfaa', 1);
    const later = rcat('tfaa', 20) - rcat('tfaa', 6);
    expect(early).toBeGreaterThan(3 * Math.abs(later));
    expect(cell('tfaa').rcatGrowth.upper!).toBeLessThan(0.0025);
    // Estimated from the logged temperature: the cell's own, not a constant handed over.
    expect(cell('tfaa').rcatGrowth.activation).toMatch(/estimated from \d+ pairs/);
    expect(cell('tfaa').coating).toBe('TFAA-2wt%');
  });

  it('prints the verdict with its evidence in text form', async () => {
    const r = await runCli(health, [join(root, 'a')]);
    expect(r.out).toMatch(/pristine \(pristine\): 100 cycles/);
    expect(r.out).toMatch(/ALERT soft-short \((critical|warning)\) from cycle \d+/);
    expect(r.out).toMatch(
      /\[x\] ce-trend: coulombic efficiency .* vs baseline .*CUSUM .* vs threshold .* \(5 x the cell's CE scatter/,
    );
    expect(r.out).toMatch(/noise {10}voltage scatter \d\.\d+ mV in constant-current steps/);
    expect(r.out).toMatch(/tfaa \(TFAA-2wt%\)[\s\S]*alerts {9}none/);
  });
});

describe('cellrig sim cells', () => {
  it('writes the same files from the same seed', async () => {
    expect(
      (await runCli(simCells, ['--seed', '1', '--out', join(root, 'b'), '--cells', 'tfaa', '--cycles', '3']))
        .code,
    ).toBe(0);
    expect(
      (await runCli(simCells, ['--seed', '1', '--out', join(root, 'c'), '--cells', 'tfaa', '--cycles', '3']))
        .code,
    ).toBe(0);
    for (const f of ['cycling.csv', 'eis/cycle-003.csv', 'cell.json']) {
      expect(await digest(join(root, 'b', 'tfaa', f))).toBe(await digest(join(root, 'c', 'tfaa', f)));
    }
  });

  it('refuses an unknown cell and a missing seed with exit code 2', async () => {
    const r = await runCli(simCells, ['--seed', '1', '--out', root, '--cells', 'nmc9']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /option '--cells <list>' argument 'nmc9' is invalid\. Allowed: .*pristine, lno, tfaa \(not nmc9\)/,
    );
    expect((await runCli(simCells, ['--out', root])).err).toMatch(/--seed/);
  });
});

describe('cellrig health on bad folders', () => {
  it('names the folder that holds no cells, with exit code 1', async () => {
    const r = await runCli(health, [join(root, 'nowhere')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nowhere: no such folder/);
  });
});

describe('cellrig health on damaged cycling data', () => {
  it('warns about NaN, time going backwards, missing cycles and a restarted counter, and raises nothing for TFAA', async () => {
    const dir = join(root, 'damaged', 'tfaa');
    await cp(join(root, 'a', 'tfaa'), dir, { recursive: true });
    const file = join(dir, 'cycling.csv');
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    const cycleOf = (l: string) => Number(l.split(',')[1]);
    const kept = lines.filter((l, i) => i === 0 || cycleOf(l) < 40 || cycleOf(l) > 42);
    kept[500] = '1234,2,NaN,0.0002,25.1';
    const [a, b] = [kept[800]!, kept[801]!];
    kept[800] = b;
    kept[801] = a;
    // From cycle 90 the cycler was restarted and counts from 1 again.
    const restarted = kept.map((l, i) => {
      if (i === 0 || cycleOf(l) < 90) return l;
      const f = l.split(',');
      f[1] = String(cycleOf(l) - 89);
      return f.join(',');
    });
    await writeFile(file, `${restarted.join('\n')}\n`);
    const r = await runCli(health, [dir, '--json']);
    expect(r.code).toBe(0);
    const [cell] = (JSON.parse(r.out) as { cells: CellReport[] }).cells;
    expect(cell!.alerts).toEqual([]);
    const w = cell!.warnings.join('\n');
    expect(w).toMatch(/cycling\.csv:501: not a number/);
    expect(w).toMatch(/cycling\.csv:802: .*time .* is before the previous/);
    expect(w).toMatch(/cycles 40\.\.42 have no samples/);
    expect(w).toMatch(/cycle counter went from 89 back to 1; continued as 90/);
  }, 60_000);
});
