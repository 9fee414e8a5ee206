/**
 * The example instrument files shipped in examples/data (not copies of ../shared data: generated here).
 * A small Modulo Bat run of its own making, written both as EC-Lab writes its binary file (after the
 * layout in src/instruments/eclab-mpr.md) and as its text export: three C/10 cycles of a LiIn | NMC811
 * cell, recorded every 10 minutes, rest / CC charge to 3.68 V / rest / PEIS / CC discharge to 1.88 V /
 * rest, with capacity fading and the cathode arc growing from cycle to cycle. Its own model (an OCV
 * line, an ohmic and a relaxing overpotential, a two-arc impedance with a diffusion tail), nothing
 * from the simulator in devices/sim.
 */

type Column = { name: string; id: number; type: 'flag' | 'f4' | 'f8' | 'u2' | 'u4'; mask?: number };

const COLUMNS: Column[] = [
  { name: 'mode', id: 1, type: 'flag', mask: 0x03 },
  { name: 'ox/red', id: 2, type: 'flag', mask: 0x04 },
  { name: 'error', id: 3, type: 'flag', mask: 0x08 },
  { name: 'control changes', id: 21, type: 'flag', mask: 0x10 },
  { name: 'Ns changes', id: 31, type: 'flag', mask: 0x20 },
  { name: 'counter inc.', id: 65, type: 'flag', mask: 0x80 },
  { name: 'Ns', id: 131, type: 'u2' },
  { name: 'time/s', id: 4, type: 'f8' },
  { name: 'control/V/mA', id: 5, type: 'f4' },
  { name: 'Ewe/V', id: 6, type: 'f4' },
  { name: 'I/mA', id: 8, type: 'f4' },
  { name: 'dq/mA.h', id: 7, type: 'f8' },
  { name: '(Q-Qo)/mA.h', id: 13, type: 'f8' },
  { name: 'freq/Hz', id: 32, type: 'f4' },
  { name: '|Z|/Ohm', id: 36, type: 'f4' },
  { name: 'Phase(Z)/deg', id: 35, type: 'f4' },
  { name: 'Re(Z)/Ohm', id: 37, type: 'f4' },
  { name: '-Im(Z)/Ohm', id: 38, type: 'f4' },
  { name: 'Q charge/discharge/mA.h', id: 467, type: 'f8' },
  { name: 'half cycle', id: 468, type: 'u4' },
];

type Row = Record<string, number>;

const CYCLES = 3;
const RECORD_S = 600;
const I_MA = 0.18; // C/10 of a 1.8 mAh cell
const V_MAX = 3.68;
const V_MIN = 1.88;

/** Impedance of the example cell at cycle c (Ohm, true sign of Im): R0 + anode arc + cathode arc + tail. */
function impedance(fHz: number, c: number): [number, number] {
  const w = 2 * Math.PI * fHz;
  const arc = (r: number, tau: number, alpha: number): [number, number] => {
    // r / (1 + (j w tau)^alpha)
    const m = (w * tau) ** alpha;
    const a = (alpha * Math.PI) / 2;
    const dr = 1 + m * Math.cos(a);
    const di = m * Math.sin(a);
    const d = dr * dr + di * di;
    return [(r * dr) / d, (-r * di) / d];
  };
  const anode = arc(12, 5e-6, 0.9);
  const cathode = arc(35 * 1.25 ** (c - 1), 4e-4, 0.8);
  const warburg = 60 / Math.sqrt(w); // semi-infinite: A (1 - j) / sqrt(w)
  return [18 + anode[0] + cathode[0] + warburg, anode[1] + cathode[1] - warburg];
}

function rows(): Row[] {
  const out: Row[] = [];
  let t = 0;
  let q = 0; // (Q-Qo), mAh
  let soc = 0.02;
  let half = 0;
  let lastNs = -1;
  let qHalf = 0;
  const push = (
    ns: number,
    mode: number,
    iMa: number,
    v: number,
    control: number,
    z?: [number, number, number],
  ) => {
    // The charge passed since the previous point, at the current that flowed then.
    const prev = out[out.length - 1];
    const dq = prev ? (prev['I/mA']! * (t - prev['time/s']!)) / 3600 : 0;
    q += dq;
    qHalf += dq;
    const row: Row = {
      mode,
      'ox/red': iMa > 0 ? 1 : 0,
      error: 0,
      'control changes': ns !== lastNs ? 1 : 0,
      'Ns changes': ns !== lastNs ? 1 : 0,
      'counter inc.': 0,
      Ns: ns,
      'time/s': t,
      'control/V/mA': Math.fround(control),
      'Ewe/V': Math.fround(v),
      'I/mA': Math.fround(iMa),
      'dq/mA.h': dq,
      '(Q-Qo)/mA.h': q,
      'freq/Hz': Math.fround(z?.[0] ?? 0),
      '|Z|/Ohm': Math.fround(z ? Math.hypot(z[1], z[2]) : 0),
      'Phase(Z)/deg': Math.fround(z ? (Math.atan2(z[2], z[1]) * 180) / Math.PI : 0),
      'Re(Z)/Ohm': Math.fround(z?.[1] ?? 0),
      '-Im(Z)/Ohm': Math.fround(z ? -z[2] : 0),
      'Q charge/discharge/mA.h': qHalf,
      'half cycle': half,
    };
    lastNs = ns;
    out.push(row);
  };
  const ocv = (s: number) => 2.02 + 1.5 * s + 0.06 * Math.tanh((s - 0.5) * 6);
  for (let c = 1; c <= CYCLES; c++) {
    const capacity = 1.8 * 0.96 ** (c - 1); // mAh
    const rOhm = 0.1 + 0.02 * c; // kOhm: V = mA x kOhm
    const rest = (ns: number, seconds: number) => {
      for (let s = 0; s < seconds; s += RECORD_S) {
        push(ns, 3, 0, ocv(soc), 0);
        t += RECORD_S;
      }
    };
    rest(0, 1200);
    // CC charge, half cycle even.
    if (half % 2 === 1) half++;
    qHalf = 0;
    for (;;) {
      const v = ocv(soc) + I_MA * rOhm + 0.03;
      push(1, 1, I_MA, v, I_MA);
      if (v >= V_MAX || soc >= 0.999) break;
      t += RECORD_S;
      soc = Math.min(1, soc + (I_MA * RECORD_S) / 3600 / capacity);
    }
    t += 1;
    rest(2, 1800);
    // PEIS in the charged state, 100 kHz to 10 mHz, 3 points per decade; each point takes a few periods.
    for (let k = 0; k <= 21; k++) {
      const f = 1e5 * 10 ** (-k / 3);
      const [re, im] = impedance(f, c);
      push(3, 1, 0, ocv(soc), 0.01, [f, re, im]);
      t += Math.max(1, 3 / f);
    }
    push(3, 1, 0, ocv(soc), 0.01); // the end-of-technique point, without a frequency
    t += 1;
    // CC discharge, half cycle odd.
    half++;
    qHalf = 0;
    for (;;) {
      const v = ocv(soc) - I_MA * rOhm - 0.03;
      push(4, 1, -I_MA, v, -I_MA);
      if (v <= V_MIN || soc <= 0.001) break;
      t += RECORD_S;
      soc = Math.max(0, soc - (I_MA * RECORD_S) / 3600 / capacity);
    }
    t += 1;
    rest(5, 1800);
    half++;
  }
  return out;
}

const START = { text: '11/30/2026 09:00:00.000', ole: 46356.375, date: '11/30/26' };

/** EC-Lab's text export: the long header, tab-separated, every line ended (CRLF), decimal point. */
export function exampleMpt(): Buffer {
  const data = rows();
  const names = [...COLUMNS.map((c) => c.name), 'cycle number'];
  const header = [
    'EC-Lab ASCII FILE',
    'Nb header lines : HEADER',
    '',
    'Modulo Bat',
    '',
    'Run on channel : 1 (SN 0000)',
    'Comments : cellrig example, generated (test/support/eclab-example.ts): not a measured cell',
    `Acquisition started on : ${START.text}`,
    'Cycle Definition : Charge/Discharge alternance',
    '',
  ];
  header[1] = `Nb header lines : ${header.length + 1}`;
  const fmt = (c: Column, v: number) =>
    c.type === 'f4' ? eclabExp(v, 7) : c.type === 'f8' ? eclabExp(v, 15) : String(v);
  const lines = data.map((r) =>
    [...COLUMNS.map((c) => fmt(c, r[c.name]!)), eclabExp(Math.floor(r['half cycle']! / 2), 15)].join('\t'),
  );
  return Buffer.from(`${[...header, names.join('\t'), ...lines].join('\r\n')}\r\n`, 'latin1');
}

/** 1.2345678E+000, as EC-Lab prints: a three-digit exponent with its sign. */
function eclabExp(v: number, digits: number): string {
  const [m, e] = v.toExponential(digits).split('e');
  const n = Number(e);
  return `${m}E${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(3, '0')}`;
}

/** The same run as EC-Lab 11.50 writes its binary file: settings, data (v11), log and loop modules. */
export function exampleMpr(): Buffer {
  const data = rows();
  const module = (short: string, long: string, version: number, content: Buffer) => {
    const h = Buffer.alloc(6 + 59);
    h.write('MODULE', 0, 'latin1');
    h.write(short.padEnd(10, ' '), 6, 'latin1');
    h.write(long.padEnd(25, ' '), 16, 'latin1');
    h.writeUInt32LE(0xffffffff, 41);
    h.writeUInt32LE(content.length, 45);
    h.writeUInt32LE(0, 49);
    h.writeUInt32LE(version, 53);
    h.write(START.date, 57, 'latin1');
    return Buffer.concat([h, content]);
  };
  const settings = Buffer.alloc(64);
  settings[0] = 127; // Modulo Bat
  const rowBytes =
    1 +
    COLUMNS.filter((c) => c.type !== 'flag').reduce(
      (n, c) => n + { f4: 4, f8: 8, u2: 2, u4: 4, flag: 0 }[c.type],
      0,
    );
  const body = Buffer.alloc(0x3ef + data.length * rowBytes);
  body.writeUInt32LE(data.length, 0);
  body.writeUInt16LE(COLUMNS.length, 4);
  COLUMNS.forEach((c, k) => {
    body.writeUInt16LE(c.id, 6 + 2 * k);
  });
  body[0x3ee] = 1;
  data.forEach((r, k) => {
    let at = 0x3ef + k * rowBytes;
    let flags = 0;
    for (const c of COLUMNS)
      if (c.type === 'flag') flags |= (r[c.name]! << Math.log2(c.mask! & -c.mask!)) & c.mask!;
    body[at++] = flags;
    for (const c of COLUMNS) {
      const v = r[c.name]!;
      if (c.type === 'f4') at = body.writeFloatLE(v, at);
      else if (c.type === 'f8') at = body.writeDoubleLE(v, at);
      else if (c.type === 'u2') at = body.writeUInt16LE(v, at);
      else if (c.type === 'u4') at = body.writeUInt32LE(v, at);
    }
  });
  const log = Buffer.alloc(0x300);
  log.writeDoubleLE(START.ole, 0x249);
  const loops = Buffer.alloc(4 + 4 * 2);
  loops.writeUInt32LE(2, 0);
  loops.writeUInt32LE(0, 4);
  loops.writeUInt32LE(data.length, 8);
  const magic = Buffer.alloc(52, 0x20);
  magic.write('BIO-LOGIC MODULAR FILE\x1a', 0, 'latin1');
  magic.writeUInt32LE(0, 48);
  return Buffer.concat([
    magic,
    module('VMP Set', 'VMP settings', 10, settings),
    module('VMP data', 'VMP data', 11, body),
    module('VMP LOG', 'VMP LOG', 10, log),
    module('VMP loop', 'VMP expt. loop indexes', 10, loops),
  ]);
}
