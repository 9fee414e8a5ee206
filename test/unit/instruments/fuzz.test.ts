/**
 * 1,000 damaged EC-Lab files, made from the real pairs: truncated, bytes flipped, modules reordered or
 * repeated, lengths and counts made huge, lines cut, repeated or garbled. Each must end in a table read
 * whole or an InstrumentFileError that names the file and the place: never another exception, never a
 * hang. Damage that leaves the structure intact (a flipped byte inside a float) cannot be seen and reads
 * as a different value; damage to the structure must be refused.
 */
import { describe, expect, it } from 'vitest';
import { MPR_MAGIC } from '../../../src/instruments/eclab-mpr';
import { InstrumentFileError } from '../../../src/instruments/errors';
import { readInstrumentRun } from '../../../src/instruments/index';
import { type Random, seededRandom } from '../../../src/random';
import { PAIRS, readEclab } from '../../support/eclab-data';

type Module = { start: number; end: number };

/** Module spans of a real .mpr (both header layouts), to damage them on purpose. */
function modulesOf(b: Buffer): Module[] {
  const out: Module[] = [];
  let at = 52;
  while (at < b.length) {
    const isNew = b.readUInt32LE(at + 6 + 35) === 0xffffffff;
    const length = b.readUInt32LE(at + 6 + (isNew ? 39 : 35));
    const end = at + 6 + (isNew ? 59 : 51) + length;
    out.push({ start: at, end });
    at = end;
  }
  return out;
}

/** One bit of one byte turned over. */
function flip(b: Buffer, at: number, rnd: Random): void {
  b[at] = b[at]! ^ (1 << rnd.int(0, 7));
}

type Mutant = { name: string; bytes: Buffer; kind: string; mustFail: boolean };

function mutateMpr(seed: string, b: Buffer, rnd: Random, n: number): Mutant {
  const mods = modulesOf(b);
  const name = `${seed}.${n}.mpr`;
  const data = mods[1]!;
  const copy = Buffer.from(b);
  const pick = <T>(xs: readonly T[]) => xs[rnd.int(0, xs.length - 1)]!;
  switch (rnd.int(0, 8)) {
    case 0: {
      // Truncated anywhere but at a module boundary (where a shorter file is still whole).
      const bounds = new Set(mods.map((m) => m.end));
      let cut = rnd.int(0, b.length - 1);
      while (bounds.has(cut)) cut--;
      return { name, bytes: b.subarray(0, cut), kind: 'truncated', mustFail: cut < data.end };
    }
    case 1: {
      for (let k = rnd.int(1, 8); k > 0; k--) flip(copy, rnd.int(0, b.length - 1), rnd);
      return { name, bytes: copy, kind: 'bytes flipped anywhere', mustFail: false };
    }
    case 2: {
      // A flip in the file header or a module's tag, names, length, version or date.
      const m = pick(mods);
      const region = rnd.next() < 0.2 ? rnd.int(0, 51) : m.start + rnd.int(0, 6 + 59 - 1);
      flip(copy, region, rnd);
      return { name, bytes: copy, kind: 'module header flipped', mustFail: false };
    }
    case 3: {
      // Two modules swapped.
      if (mods.length < 2) return mutateMpr(seed, b, rnd, n);
      const i = rnd.int(0, mods.length - 2);
      const j = rnd.int(i + 1, mods.length - 1);
      const parts = mods.map((m) => b.subarray(m.start, m.end));
      [parts[i], parts[j]] = [parts[j]!, parts[i]!];
      return {
        name,
        bytes: Buffer.concat([b.subarray(0, 52), ...parts]),
        kind: 'modules reordered',
        mustFail: true,
      };
    }
    case 4: {
      // A module's length made huge.
      const m = pick(mods);
      const isNew = b.readUInt32LE(m.start + 41) === 0xffffffff;
      copy.writeUInt32LE(rnd.int(b.length, 0xfffffffe), m.start + 6 + (isNew ? 39 : 35));
      return { name, bytes: copy, kind: 'huge module length', mustFail: true };
    }
    case 5: {
      // The data module's row count made huge (or off by some).
      const dataAt = data.start + 6 + (b.readUInt32LE(data.start + 41) === 0xffffffff ? 59 : 51);
      const rows = b.readUInt32LE(dataAt);
      copy.writeUInt32LE(
        rnd.next() < 0.5 ? rnd.int(rows + 1, 0xffffffff) : rnd.int(0, Math.max(0, rows - 1)),
        dataAt,
      );
      return { name, bytes: copy, kind: 'huge or wrong row count', mustFail: true };
    }
    case 6: {
      // A flip in the data module's column count or ids.
      const isNew = b.readUInt32LE(data.start + 41) === 0xffffffff;
      const dataAt = data.start + 6 + (isNew ? 59 : 51);
      const ids = isNew ? b.readUInt16LE(dataAt + 4) : b[dataAt + 4]!;
      flip(copy, dataAt + 4 + rnd.int(0, 2 * ids + (isNew ? 1 : 0)), rnd);
      return { name, bytes: copy, kind: 'column ids flipped', mustFail: false };
    }
    case 7: {
      // A module repeated.
      const m = pick(mods);
      const parts = [b.subarray(0, m.end), b.subarray(m.start, m.end), b.subarray(m.end)];
      return { name, bytes: Buffer.concat(parts), kind: 'module repeated', mustFail: true };
    }
    default: {
      // Bytes inserted (a transfer that added garbage).
      const at = rnd.int(52, b.length - 1);
      const junk = Buffer.from(Array.from({ length: rnd.int(1, 64) }, () => rnd.int(0, 255)));
      return {
        name,
        bytes: Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]),
        kind: 'bytes inserted',
        mustFail: true,
      };
    }
  }
}

function mutateMpt(seed: string, b: Buffer, rnd: Random, n: number): Mutant {
  const name = `${seed}.${n}.mpt`;
  const lines = b.toString('latin1').split('\n');
  const headerLines = Number(/(\d+)/.exec(lines[1]!)![1]);
  const dataLine = () => rnd.int(headerLines, lines.length - 2);
  const text = (ls: string[]) => Buffer.from(ls.join('\n'), 'latin1');
  switch (rnd.int(0, 7)) {
    case 0: {
      // Cut anywhere. EC-Lab does not end its last row with a line end, so a cut inside the digits of a
      // row's last number leaves a row that reads (shortened); any other cut inside a row is refused.
      const cut = rnd.int(0, b.length - 1);
      const lineStart = b.lastIndexOf(0x0a, cut - 1) + 1;
      const tabsLeft = b.subarray(lineStart, cut).filter((x) => x === 0x09).length;
      const tabsInLine =
        lines[b.subarray(0, lineStart).filter((x) => x === 0x0a).length]!.split('\t').length - 1;
      const inLastField = tabsLeft >= tabsInLine - 1 && cut > lineStart;
      return {
        name,
        bytes: b.subarray(0, cut),
        kind: 'truncated (text)',
        mustFail: !inLastField && cut > lineStart,
      };
    }
    case 1: {
      const copy = Buffer.from(b);
      for (let k = rnd.int(1, 8); k > 0; k--) flip(copy, rnd.int(0, b.length - 1), rnd);
      return { name, bytes: copy, kind: 'bytes flipped anywhere', mustFail: false };
    }
    case 2: {
      lines[1] = `Nb header lines : ${rnd.next() < 0.5 ? rnd.int(lines.length + 1, 99_999_999) : rnd.int(0, 2)}`;
      return { name, bytes: text(lines), kind: 'huge or tiny header count', mustFail: true };
    }
    case 3: {
      // One field of a data row replaced by something that is not a number.
      const i = dataLine();
      const fields = lines[i]!.split('\t');
      fields[rnd.int(0, fields.length - 2)] = ['NaN', '', 'abc', '1.2.3', '--1', 'inf', '1e999'][
        rnd.int(0, 6)
      ]!;
      lines[i] = fields.join('\t');
      return { name, bytes: text(lines), kind: 'field garbled', mustFail: true };
    }
    case 4: {
      // A data row cut short, or one with a field too many.
      const i = dataLine();
      const fields = lines[i]!.split('\t');
      lines[i] =
        rnd.next() < 0.5
          ? fields.slice(0, rnd.int(1, fields.length - 3)).join('\t')
          : `${lines[i]}\t1.0\t2.0`;
      return { name, bytes: text(lines), kind: 'row width changed', mustFail: true };
    }
    case 5: {
      // The column-name line swapped with a data row.
      const i = dataLine();
      [lines[headerLines - 1], lines[i]] = [lines[i]!, lines[headerLines - 1]!];
      return { name, bytes: text(lines), kind: 'header swapped with a row', mustFail: true };
    }
    case 6: {
      // Rows deleted or repeated: still a table (a repeated sweep point is the run's business).
      const i = dataLine();
      if (rnd.next() < 0.5) lines.splice(i, rnd.int(1, 5));
      else lines.splice(i, 0, lines[i]!);
      return { name, bytes: text(lines), kind: 'rows deleted or repeated', mustFail: false };
    }
    default: {
      // The binary magic glued on (a text file renamed .mpr), or the text magic damaged.
      const bytes =
        rnd.next() < 0.5
          ? Buffer.concat([Buffer.from(MPR_MAGIC), b])
          : text(['EC-Lab ASCII', ...lines.slice(1)]);
      return { name, bytes, kind: 'magic damaged', mustFail: true };
    }
  }
}

/** The large exports cut to their first 300 rows, so 500 text mutants stay within a few seconds. */
function mptSeed(pair: string): Buffer {
  const lines = readEclab(`${pair}.mpt`).toString('latin1').split('\n');
  const headerLines = Number(/(\d+)/.exec(lines[1]!)![1]);
  return Buffer.from(`${lines.slice(0, headerLines + 300).join('\n')}\n`, 'latin1');
}

describe('1,000 damaged EC-Lab files', () => {
  const rnd = seededRandom(13);
  const mutants: Mutant[] = [];
  for (let n = 0; n < 500; n++) {
    const pair = PAIRS[n % PAIRS.length]!;
    mutants.push(mutateMpr(pair, readEclab(`${pair}.mpr`), rnd, n));
  }
  const seeds = new Map(PAIRS.map((p) => [p, mptSeed(p)]));
  for (let n = 0; n < 500; n++) {
    const pair = PAIRS[n % PAIRS.length]!;
    mutants.push(mutateMpt(pair, seeds.get(pair)!, rnd, n));
  }

  it('end in a table or a clear error naming the file and the place, never a crash or a hang', () => {
    const tally = new Map<string, { read: number; refused: number }>();
    const crashes: string[] = [];
    const unclear: string[] = [];
    const notRefused: string[] = [];
    let slowestMs = 0;
    const t0 = performance.now();
    for (const m of mutants) {
      const t = tally.get(m.kind) ?? { read: 0, refused: 0 };
      tally.set(m.kind, t);
      const start = performance.now();
      try {
        const run = readInstrumentRun(m.name, m.bytes);
        expect(run.samples.every((s) => Number.isFinite(s.timeS) || Number.isNaN(s.timeS))).toBe(true);
        t.read++;
        if (m.mustFail) notRefused.push(`${m.name} (${m.kind})`);
      } catch (e) {
        t.refused++;
        if (!(e instanceof InstrumentFileError)) crashes.push(`${m.name} (${m.kind}): ${(e as Error).stack}`);
        else if (!/^\S+\.\d+\.mp[rt](, (byte|line) \d+)?: \S/.test(e.message)) unclear.push(e.message);
      }
      slowestMs = Math.max(slowestMs, performance.now() - start);
    }
    const totalMs = performance.now() - t0;
    console.log(
      `1,000 mutants in ${totalMs.toFixed(0)} ms (slowest ${slowestMs.toFixed(1)} ms):\n` +
        [...tally].map(([k, t]) => `  ${k}: ${t.refused} refused, ${t.read} read`).join('\n'),
    );
    expect(crashes).toEqual([]);
    expect(unclear).toEqual([]);
    expect(notRefused).toEqual([]);
    expect(mutants).toHaveLength(1000);
  });
});
