/**
 * Recognises the column names instruments use for frequency, real and imaginary impedance and phase,
 * with the unit scale and the sign convention each name implies.
 */

export type ColumnRole = 'frequency' | 'real' | 'imaginary' | 'phase';

export type ColumnMatch = {
  readonly role: ColumnRole;
  /** Multiply the stored value by this to get Hz, Ohm or degrees. */
  readonly scale: number;
  /** -1 when the column stores -Im(Z) (EC-Lab's "-Im(Z)/Ohm", "-Z''"). */
  readonly sign: 1 | -1;
};

// Compact form: spaces dropped, lower case; the unit is read from the original spelling because
// mHz and MHz, mOhm and MOhm differ only in case.
function compact(name: string): string {
  return name.replace(/\s+/g, '').toLowerCase();
}

function frequencyScale(name: string): number {
  if (/kHz/i.test(name)) return 1e3;
  if (/MHz/.test(name)) return 1e6;
  if (/mHz/.test(name)) return 1e-3;
  return 1;
}

function ohmScale(name: string): number {
  if (/k(ohm|Ω)/i.test(name)) return 1e3;
  if (/M(ohm|Ω)/.test(name)) return 1e6;
  if (/m(ohm|Ω)/.test(name)) return 1e-3;
  return 1;
}

const IMAGINARY = [
  /^-?im\(z\)/,
  /^-?z''/,
  /^-?zs''/,
  /^-?zimag/,
  /^-?zim\b/,
  /^-?z_?imag/,
  /^-?imag/,
  /^-?zi\b/,
  /^-?im_?ohm/,
];
const REAL = [
  /^re_?ohm/,
  /^re\(z\)/,
  /^z'(?!')/,
  /^zs'(?!')/,
  /^zreal/,
  /^zre\b/,
  /^z_?real/,
  /^real/,
  /^zr\b/,
];
const FREQUENCY = [/^freq/, /^frequency/, /^f(\/|\[|\(|$)/, /^f_hz$/];
const PHASE = [/^phase\(z\)/, /^zphz/, /^phase/, /^-?phz/];

/** The meaning of a column header, or null when it is not one cellrig needs (|Z|, time, Ewe, admittance...). */
export function matchColumn(name: string): ColumnMatch | null {
  const c = compact(name);
  if (c.includes('*area')) return null; // area-scaled copies (Dahn exports) are not the cell's impedance
  if (IMAGINARY.some((r) => r.test(c))) {
    return { role: 'imaginary', scale: ohmScale(name), sign: c.startsWith('-') ? -1 : 1 };
  }
  if (REAL.some((r) => r.test(c))) return { role: 'real', scale: ohmScale(name), sign: 1 };
  if (FREQUENCY.some((r) => r.test(c))) return { role: 'frequency', scale: frequencyScale(name), sign: 1 };
  if (PHASE.some((r) => r.test(c)))
    return { role: 'phase', scale: /rad/i.test(name) ? 180 / Math.PI : 1, sign: 1 };
  return null;
}

export type ColumnLayout = {
  readonly frequency: { index: number; scale: number };
  readonly real: { index: number; scale: number };
  /** sign null: the header does not say whether the column holds Im or -Im (decided from the phase). */
  readonly imaginary: { index: number; scale: number; sign: 1 | -1 | null };
  readonly phase: { index: number; scale: number } | null;
};

/**
 * Finds the needed columns by name. The first match of each role wins (EC-Lab puts Z before Y).
 * A spreadsheet-mangled imaginary header (e.g. "#NAME?" from "-Im(Z)/Ohm") right after the real column
 * is accepted with an unknown sign, to be settled from the phase column.
 * Returns a description of what is missing instead of a layout when the header is not usable.
 */
export function findColumns(names: readonly string[]): ColumnLayout | string {
  const first = new Map<ColumnRole, { index: number; match: ColumnMatch }>();
  names.forEach((name, index) => {
    const match = matchColumn(name);
    if (match !== null && !first.has(match.role)) first.set(match.role, { index, match });
  });
  const f = first.get('frequency');
  const re = first.get('real');
  let im: ColumnLayout['imaginary'] | undefined;
  const imMatch = first.get('imaginary');
  if (imMatch !== undefined) {
    im = { index: imMatch.index, scale: imMatch.match.scale, sign: imMatch.match.sign };
  } else if (
    re !== undefined &&
    re.index + 1 < names.length &&
    matchColumn(names[re.index + 1] ?? '') === null
  ) {
    im = { index: re.index + 1, scale: re.match.scale, sign: null };
  }
  const missing = [
    f === undefined ? 'frequency' : '',
    re === undefined ? 'real part' : '',
    im === undefined ? 'imaginary part' : '',
  ]
    .filter((m) => m !== '')
    .join(', ');
  if (f === undefined || re === undefined || im === undefined) {
    return `no ${missing} column in header [${names.join(' | ')}]`;
  }
  const phase = first.get('phase');
  return {
    frequency: { index: f.index, scale: f.match.scale },
    real: { index: re.index, scale: re.match.scale },
    imaginary: im,
    phase: phase === undefined ? null : { index: phase.index, scale: phase.match.scale },
  };
}
