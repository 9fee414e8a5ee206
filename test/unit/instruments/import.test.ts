import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../../app/cli/grammar';
import { main as health } from '../../../app/cli/health';
import { buildProgram } from '../../../app/cli/program';
import type { CellReport } from '../../../src/cells/analyse';
import { readCellDir } from '../../../src/cells/directory';
import { cleanSamples } from '../../../src/cycling/samples';
import { type CycleSummary, summarizeCycles } from '../../../src/cycling/summary';
import { parseCircuit } from '../../../src/eis/circuit';
import { fitCircuit } from '../../../src/eis/fit';
import { parseSpectrumFile } from '../../../src/eis/readers';
import type { Spectrum } from '../../../src/eis/spectrum';
import { readMpt } from '../../../src/instruments/eclab-mpt';
import { runFromTable } from '../../../src/instruments/run';
import { runCli } from '../../support/cli';
import { ECLAB_DIR, readEclab } from '../../support/eclab-data';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cellrig-import-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const file = (name: string) => join(ECLAB_DIR, name);
const cellrig = (argv: string[]) => runProgram(buildProgram(), argv);
const importCli = (out: string, cell: string, ...files: string[]) =>
  runCli(cellrig, ['cells', 'import', ...files, '--cell', cell, '--out', out, '--json']);

/** Per-cycle figures computed straight from the text export: EC-Lab cycle n is the cell's cycle n + 1. */
function summariesFromText(name: string): CycleSummary[] {
  const run = runFromTable(readMpt(name, readEclab(name)));
  const samples = run.samples.map((s) => ({
    timeS: s.timeS,
    cycle: s.ecCycle + 1,
    voltageV: s.voltageV,
    currentA: s.currentA,
  }));
  return summarizeCycles(cleanSamples(samples).samples);
}

async function summariesFromFolder(dir: string): Promise<CycleSummary[]> {
  return summarizeCycles(cleanSamples((await readCellDir(dir)).samples).samples);
}

/** EC-Lab's own per-cycle charge, discharge and efficiency: the last row of each cycle in the export. */
function ecLabPerCycle(name: string): Map<number, { qChargemAh: number; qDischargemAh: number }> {
  const t = readMpt(name, readEclab(name));
  const cyc = t.columns.get('cycle number')!;
  const qc = t.columns.get('Q charge/mA.h')!;
  const qd = t.columns.get('Q discharge/mA.h')!;
  const out = new Map<number, { qChargemAh: number; qDischargemAh: number }>();
  for (let k = 0; k < t.rowCount; k++) {
    const c = cyc[k]! + 1;
    const prev = out.get(c) ?? { qChargemAh: 0, qDischargemAh: 0 };
    out.set(c, {
      qChargemAh: Math.max(prev.qChargemAh, qc[k]!),
      qDischargemAh: Math.max(prev.qDischargemAh, qd[k]!),
    });
  }
  return out;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-15);

describe('cellrig cells import of gcpl.pr_182.1.mpr (a real charge/discharge series)', () => {
  let dir: string;
  let folder: CycleSummary[];
  beforeAll(async () => {
    const r = await importCli(join(root, 'gcpl'), 'gcpl-182', file('gcpl.pr_182.1.mpr'));
    expect(r.code, r.err).toBe(0);
    dir = JSON.parse(r.out).dir;
    folder = await summariesFromFolder(dir);
  });

  it('gives the per-cycle capacities and coulombic efficiencies computed from the text export', () => {
    const text = summariesFromText('gcpl.pr_182.1.mpt');
    expect(folder.map((c) => c.cycle)).toEqual([1, 2, 3, 4, 5]);
    expect(folder.map((c) => c.cycle)).toEqual(text.map((c) => c.cycle));
    let worst = 0;
    folder.forEach((c, i) => {
      const t = text[i]!;
      worst = Math.max(
        worst,
        rel(c.chargeAh, t.chargeAh || 1e-30),
        rel(c.dischargeAh, t.dischargeAh || 1e-30),
      );
      if (t.coulombicEfficiency === null) expect(c.coulombicEfficiency).toBeNull();
      else expect(Math.abs(c.coulombicEfficiency! - t.coulombicEfficiency)).toBeLessThan(1e-6);
    });
    console.log(
      `gcpl.pr_182.1: worst relative capacity difference, folder vs text export: ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThan(1e-6);
  });

  it("agrees with EC-Lab's own Q charge, Q discharge and efficiency per cycle", () => {
    const ec = ecLabPerCycle('gcpl.pr_182.1.mpt');
    const lines: string[] = [];
    for (const c of folder) {
      const e = ec.get(c.cycle)!;
      const ce = c.coulombicEfficiency;
      lines.push(
        `cycle ${c.cycle}: charge ${(c.chargeAh * 1000).toFixed(4)} / ${e.qChargemAh.toFixed(4)} mAh, discharge ${(c.dischargeAh * 1000).toFixed(4)} / ${e.qDischargemAh.toFixed(4)} mAh, CE ${ce === null ? '-' : ce.toFixed(4)}`,
      );
      // The trapezoid over the recorded points against the instrument's own integration.
      if (e.qChargemAh > 0) expect(rel(c.chargeAh * 1000, e.qChargemAh)).toBeLessThan(0.01);
      if (e.qDischargemAh > 0) expect(rel(c.dischargeAh * 1000, e.qDischargemAh)).toBeLessThan(0.01);
    }
    console.log(lines.join('\n'));
  });

  it('is a cell `cellrig health` judges', async () => {
    const r = await runCli(health, [join(root, 'gcpl'), '--json']);
    expect(r.code, r.err).toBe(0);
    const [cell] = (JSON.parse(r.out) as { cells: CellReport[] }).cells;
    expect(cell!.id).toBe('gcpl-182');
    expect(Object.keys(cell!.retention).length).toBeGreaterThan(0);
  });
});

/** One sweep of the text export as a file of its own, read by the spectrum readers of src/eis/readers. */
function sweepsFromText(name: string): Spectrum[] {
  const lines = readEclab(name).toString('latin1').split(/\r?\n/);
  const headerLines = Number(/(\d+)/.exec(lines[1]!)![1]);
  const names = lines[headerLines - 1]!.split('\t');
  const f = names.indexOf('freq/Hz');
  const sweeps: string[][] = [];
  let current: string[] = [];
  let last = 0;
  for (const line of lines.slice(headerLines)) {
    const freq = Number((line.split('\t')[f] ?? '0').replace(',', '.'));
    if (!(freq > 0) || (current.length > 0 && freq >= last)) {
      if (current.length > 0) sweeps.push(current);
      current = [];
    }
    if (freq > 0) current.push(line);
    last = freq;
  }
  if (current.length > 0) sweeps.push(current);
  return sweeps.map((rows, k) => {
    const text = [...lines.slice(0, headerLines), ...rows, ''].join('\n');
    return parseSpectrumFile(`${name} sweep ${k + 1}`, Buffer.from(text, 'latin1')).spectrum;
  });
}

describe('cellrig cells import of mb.issue_149.mpr (cycling and PEIS interleaved)', () => {
  let dir: string;
  beforeAll(async () => {
    const r = await importCli(join(root, 'mb'), 'mb-149', file('mb.issue_149.mpr'));
    expect(r.code, r.err).toBe(0);
    dir = JSON.parse(r.out).dir;
  });

  it('gives the per-cycle capacities computed from the text export', async () => {
    const folder = await summariesFromFolder(dir);
    const text = summariesFromText('mb.issue_149.mpt');
    expect(folder.length).toBe(text.length);
    folder.forEach((c, i) => {
      expect(rel(c.chargeAh, text[i]!.chargeAh)).toBeLessThan(1e-6);
      expect(c.dischargeAh).toBeCloseTo(text[i]!.dischargeAh, 12);
      expect(c.coulombicEfficiency).toBe(text[i]!.coulombicEfficiency);
    });
  });

  it('keeps every sweep, and each fits as well as the same sweep read from the text export', async () => {
    const eis = join(dir, 'eis');
    const files = [
      ...(await readdir(eis)).filter((n) => n.endsWith('.csv')).map((n) => join(eis, n)),
      ...(await readdir(join(eis, 'extra'))).map((n) => join(eis, 'extra', n)),
    ];
    const fromText = sweepsFromText('mb.issue_149.mpt');
    expect(files.length).toBe(fromText.length);
    expect(fromText.length).toBe(16);
    const byStart = async (f: string) => parseSpectrumFile(f, await readFile(f)).spectrum;
    const imported = await Promise.all(files.sort(bySweep).map(byStart));
    const circuit = parseCircuit('R0-p(R1,CPE1)');
    let worst = 0;
    imported.forEach((s, k) => {
      const t = fromText[k]!;
      expect(Array.from(s.fHz)).toEqual(Array.from(t.fHz).map((x) => Number(x.toPrecision(8))));
      const a = fitCircuit(circuit, s, { weighting: 'modulus' });
      const b = fitCircuit(circuit, t, { weighting: 'modulus' });
      worst = Math.max(worst, Math.abs(a.rmsRelative - b.rmsRelative));
      expect(a.rmsRelative).toBeLessThan(b.rmsRelative * 1.001 + 1e-6);
    });
    console.log(
      `mb.issue_149: 16 sweeps, largest difference in rms relative residual ${(worst * 100).toExponential(2)} %`,
    );
  });
});

/** cycle-001.csv is sweep 1 of cycle 1; extra/cycle-001-s2.csv sweep 2... */
function bySweep(a: string, b: string): number {
  const key = (f: string) => {
    const m = /cycle-(\d+)(?:-s(\d+))?\.csv$/.exec(f)!;
    return Number(m[1]) * 1000 + Number(m[2] ?? 1);
  };
  return key(a) - key(b);
}

describe('appending to a cell', () => {
  it('continues the cell with a later file, cycles in order', async () => {
    const out = join(root, 'two');
    expect((await importCli(out, 'c', file('gcpl.issue_149.mpr'))).code).toBe(0);
    const r = await importCli(out, 'c', file('gcpl.pr_182.1.mpr'));
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).cycles).toEqual([5, 6, 7, 8, 9]);
    const { samples } = await readCellDir(join(out, 'c'));
    for (let k = 1; k < samples.length; k++) {
      expect(samples[k]!.timeS).toBeGreaterThanOrEqual(samples[k - 1]!.timeS);
      expect(samples[k]!.cycle).toBeGreaterThanOrEqual(samples[k - 1]!.cycle);
    }
  });

  it('adds nothing twice: the same file again, or the text export of a run imported as binary', async () => {
    const out = join(root, 'twice');
    await importCli(out, 'c', file('mb.issue_149.mpr'));
    const before = await readFile(join(out, 'c', 'cycling.csv'), 'utf8');
    for (const again of ['mb.issue_149.mpr', 'mb.issue_149.mpt']) {
      const r = JSON.parse((await importCli(out, 'c', file(again))).out);
      expect([r.samplesAdded, r.spectraAdded]).toEqual([0, 0]);
    }
    expect(await readFile(join(out, 'c', 'cycling.csv'), 'utf8')).toBe(before);
  });

  it('takes the rest of a file that grew, and ends as one import of the whole file would', async () => {
    const lines = readEclab('gcpl.pr_182.1.mpt').toString('latin1').split('\n');
    const partial = join(root, 'partial', 'gcpl.pr_182.1.mpt');
    await mkdir(join(root, 'partial'));
    await writeFile(partial, Buffer.from(`${lines.slice(0, 1200).join('\n')}\n`, 'latin1'));
    expect(JSON.parse((await importCli(join(root, 'grown'), 'c', partial)).out).samplesAdded).toBe(1197);
    // The same run grown, once as its text export and once as the binary file.
    const text = JSON.parse((await importCli(join(root, 'grown'), 'c', file('gcpl.pr_182.1.mpt'))).out);
    expect(text.samplesAdded).toBe(2533 - 1197);
    await importCli(join(root, 'grown-mpr'), 'c', partial);
    const binary = JSON.parse((await importCli(join(root, 'grown-mpr'), 'c', file('gcpl.pr_182.1.mpr'))).out);
    expect(binary.samplesAdded).toBe(2533 - 1197);
    await importCli(join(root, 'whole'), 'c', file('gcpl.pr_182.1.mpt'));
    const whole = await readFile(join(root, 'whole', 'c', 'cycling.csv'), 'utf8');
    expect(await readFile(join(root, 'grown', 'c', 'cycling.csv'), 'utf8')).toBe(whole);
    // From the binary file, the same samples to the precision the export prints.
    const a = (await readCellDir(join(root, 'grown-mpr', 'c'))).samples;
    const b = (await readCellDir(join(root, 'whole', 'c'))).samples;
    expect(a.length).toBe(b.length);
    a.forEach((x, k) => {
      expect([x.cycle, x.timeS]).toEqual([b[k]!.cycle, b[k]!.timeS]);
      expect(Math.abs(x.voltageV - b[k]!.voltageV)).toBeLessThanOrEqual(1.01e-6);
      expect(Math.abs(x.currentA - b[k]!.currentA)).toBeLessThanOrEqual(
        2e-7 * Math.abs(b[k]!.currentA) + 1e-15,
      );
    });
  });

  it('refuses a damaged file by name, and writes nothing', async () => {
    const bad = join(root, 'bad.mpr');
    await writeFile(bad, readEclab('gcpl.issue_149.mpr').subarray(0, 9000));
    const r = await importCli(join(root, 'refused'), 'c', file('gcpl.issue_149.mpr'), bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.mpr, byte 7070: module 'VMP data' declares 8003 bytes but only \d+ remain/);
    await expect(readdir(join(root, 'refused'))).rejects.toThrow();
  });
});
