/**
 * BioLogic EC-Lab binary files (.mpr, "BIO-LOGIC MODULAR FILE"): a file header, then modules (settings,
 * data, log, loop), each a "MODULE" tag, a header giving its name, length and version, and its bytes.
 * The layout, the versions seen and where each fact comes from are written down in eclab-mpr.md beside
 * this file. Everything is checked before it is used: a length that runs past the end, an unknown
 * module, version or column id, a row count that does not fill the data module exactly, all are an
 * InstrumentFileError naming the file and the byte, never a guess or a crash.
 */
import { addDerivedColumns } from './derived';
import {
  DATA_COLUMNS,
  type DataColumnSpec,
  FLAG_COLUMNS,
  type StoredType,
  TECHNIQUES,
  TYPE_BYTES,
} from './eclab-mpr-columns';
import { InstrumentFileError } from './errors';
import type { EcLabTable } from './table';

export const MPR_MAGIC = 'BIO-LOGIC MODULAR FILE';
const FILE_HEADER_BYTES = 52;
const MODULE_TAG = 'MODULE';
/** Header after the tag: short name 10, long name 25, then old: length, version, date 8 (51 bytes) ... */
const OLD_HEADER_BYTES = 51;
/** ... or new (EC-Lab 11.50 on): 0xFFFFFFFF, length, 0, version, date 8 (59 bytes). */
const NEW_HEADER_BYTES = 59;
const NEW_HEADER_MARK = 0xffffffff;

type ModuleName = 'VMP Set' | 'VMP data' | 'VMP LOG' | 'VMP loop';
const MODULE_ORDER: readonly ModuleName[] = ['VMP Set', 'VMP data', 'VMP LOG', 'VMP loop'];
/** The long name each module carries in every file seen (it says the same as the short one). */
const LONG_NAMES: Record<ModuleName, string> = {
  'VMP Set': 'VMP settings',
  'VMP data': 'VMP data',
  'VMP LOG': 'VMP LOG',
  'VMP loop': 'VMP expt. loop indexes',
};
/** The versions each module may have, by header layout; other versions are refused. */
const KNOWN_VERSIONS: Record<ModuleName, { old: readonly number[]; new: readonly number[] }> = {
  'VMP Set': { old: [0], new: [10] },
  'VMP data': { old: [2, 3], new: [11] },
  'VMP LOG': { old: [0], new: [10] },
  'VMP loop': { old: [0], new: [10] },
};

/** Data module layouts by version: where the column count and ids are, where the rows start. */
const DATA_LAYOUT: Record<number, { countBytes: 1 | 2; idsAt: number; rowsAt: number }> = {
  2: { countBytes: 1, idsAt: 5, rowsAt: 0x195 },
  3: { countBytes: 1, idsAt: 5, rowsAt: 0x196 },
  11: { countBytes: 2, idsAt: 6, rowsAt: 0x3ef },
};

/** Offset of the acquisition start (an OLE date, f8) in a version-10 log module. */
const LOG_START_AT = 0x249;

export type MprModule = {
  readonly name: ModuleName;
  /** Byte offset of the module's "MODULE" tag in the file. */
  readonly offset: number;
  readonly version: number;
  readonly headerLayout: 'old' | 'new';
  readonly length: number;
  /** The module's date as stored (MM/DD/YY). */
  readonly date: string;
};

export type MprColumnInfo = {
  readonly id: number;
  readonly name: string;
  readonly type: StoredType | 'flag';
};

export type MprFile = EcLabTable & {
  readonly modules: readonly MprModule[];
  readonly dataVersion: number;
  readonly columnIds: readonly MprColumnInfo[];
  /** Row index at which each loop starts (the loop module), or null without one. */
  readonly loopStarts: readonly number[] | null;
  readonly techniqueId: number;
};

export function isMpr(content: Uint8Array): boolean {
  return ascii(content, 0, MPR_MAGIC.length) === MPR_MAGIC;
}

export function readMpr(fileName: string, content: Uint8Array): MprFile {
  const fail = (at: number | null, problem: string): never => {
    throw new InstrumentFileError(fileName, at === null ? null : `byte ${at}`, problem);
  };
  if (content.length < FILE_HEADER_BYTES) {
    fail(null, `${content.length} bytes: too short for an EC-Lab .mpr (its file header alone is 52)`);
  }
  if (!isMpr(content)) fail(0, `does not start with "${MPR_MAGIC}": not an EC-Lab .mpr`);
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  // The magic, 0x1A, padded with spaces to 48 bytes, then four zero bytes.
  const tail = content.subarray(MPR_MAGIC.length, FILE_HEADER_BYTES);
  if (tail[0] !== 0x1a || !tail.subarray(1, 26).every((b) => b === 0x20) || view.getUint32(48, true) !== 0) {
    fail(MPR_MAGIC.length, 'file header damaged (expected 0x1A, 25 spaces and four zero bytes)');
  }

  const modules: (MprModule & { dataAt: number })[] = [];
  let at = FILE_HEADER_BYTES;
  while (at < content.length) {
    const m = readModuleHeader(content, view, at, fail);
    const previous = modules.map((x) => x.name);
    if (previous.includes(m.name)) fail(at, `a second '${m.name}' module`);
    // EC-Lab writes settings, data, log, loop, in that order (log and loop may be missing): any other
    // order means a damaged file.
    const expectedFirst = MODULE_ORDER[modules.length];
    if (modules.length < 2 && m.name !== expectedFirst) {
      fail(at, `module '${m.name}' where EC-Lab writes '${expectedFirst}' (settings first, then data)`);
    }
    const last = modules[modules.length - 1];
    if (last && MODULE_ORDER.indexOf(m.name) < MODULE_ORDER.indexOf(last.name)) {
      fail(
        at,
        `module '${m.name}' after '${last.name}': EC-Lab writes ${MODULE_ORDER.join(', ')} in that order`,
      );
    }
    modules.push(m);
    at = m.dataAt + m.length;
  }
  const settings = modules.find((m) => m.name === 'VMP Set');
  const data = modules.find((m) => m.name === 'VMP data');
  if (!settings) return fail(null, "no 'VMP Set' module");
  if (!data) return fail(null, "no 'VMP data' module (the file ends after the settings)");

  if (settings.length < 1) fail(settings.dataAt, 'settings module is empty');
  const techniqueId = content[settings.dataAt]!;
  const parsed = readDataModule(content, view, data, fail);
  const log = modules.find((m) => m.name === 'VMP LOG');
  const loop = modules.find((m) => m.name === 'VMP loop');
  const table: EcLabTable = {
    fileName,
    format: 'eclab-mpr',
    technique: TECHNIQUES.get(techniqueId) ?? null,
    acquisitionStart: log ? acquisitionStart(view, log) : null,
    rowCount: parsed.rowCount,
    columns: parsed.columns,
    derived: [],
    complete: true,
  };
  return {
    ...addDerivedColumns(table),
    modules: modules.map(({ dataAt: _, ...m }) => m),
    dataVersion: data.version,
    columnIds: parsed.columnIds,
    loopStarts: loop ? readLoops(view, loop, parsed.rowCount, fail) : null,
    techniqueId,
  };
}

function readModuleHeader(
  content: Uint8Array,
  view: DataView,
  at: number,
  fail: (at: number | null, problem: string) => never,
): MprModule & { dataAt: number } {
  const tagEnd = at + MODULE_TAG.length;
  if (tagEnd > content.length || ascii(content, at, tagEnd) !== MODULE_TAG) {
    const found = printable(content.subarray(at, Math.min(tagEnd, content.length)));
    fail(at, `expected "${MODULE_TAG}" (the next module), found "${found}"`);
  }
  const h = tagEnd;
  if (h + OLD_HEADER_BYTES > content.length) fail(at, 'file ends inside a module header');
  const shortName = ascii(content, h, h + 10);
  const name = shortName.trimEnd();
  const isNew = view.getUint32(h + 35, true) === NEW_HEADER_MARK;
  if (isNew && h + NEW_HEADER_BYTES > content.length) fail(at, 'file ends inside a module header');
  const headerLayout = isNew ? 'new' : 'old';
  const length = view.getUint32(h + (isNew ? 39 : 35), true);
  if (isNew && view.getUint32(h + 43, true) !== 0) {
    fail(h + 43, `module '${printable(content.subarray(h, h + 10))}': header field expected 0`);
  }
  const version = view.getUint32(h + (isNew ? 47 : 39), true);
  const dateAt = h + (isNew ? 51 : 43);
  const date = ascii(content, dateAt, dateAt + 8);
  const dataAt = h + (isNew ? NEW_HEADER_BYTES : OLD_HEADER_BYTES);
  if (!Object.hasOwn(KNOWN_VERSIONS, name) || shortName !== name.padEnd(10, ' ')) {
    fail(
      at,
      `unknown module '${printable(content.subarray(h, h + 10)).trimEnd()}' (cellrig reads VMP Set, VMP data, VMP LOG and VMP loop)`,
    );
  }
  const longName = ascii(content, h + 10, h + 35);
  if (longName !== LONG_NAMES[name as ModuleName].padEnd(25, ' ')) {
    fail(
      h + 10,
      `module '${name}': long name "${printable(content.subarray(h + 10, h + 35)).trimEnd()}", expected "${LONG_NAMES[name as ModuleName]}"`,
    );
  }
  const known = KNOWN_VERSIONS[name as ModuleName][headerLayout];
  if (!known.includes(version)) {
    fail(
      at,
      `module '${name}' version ${version} with the ${headerLayout} header layout is not known (known: ${known.join(', ')})`,
    );
  }
  if (!/^\d\d[/-]\d\d[/-]\d\d$/.test(date)) {
    fail(
      dateAt,
      `module '${name}': date field "${printable(content.subarray(dateAt, dateAt + 8))}" is not MM/DD/YY`,
    );
  }
  if (length > content.length - dataAt) {
    fail(
      at,
      `module '${name}' declares ${length} bytes but only ${content.length - dataAt} remain (file truncated or damaged)`,
    );
  }
  return { name: name as ModuleName, offset: at, version, headerLayout, length, date, dataAt };
}

type Field = { readonly name: string; readonly type: StoredType | 'flag'; readonly offset: number };

function readDataModule(
  content: Uint8Array,
  view: DataView,
  m: MprModule & { dataAt: number },
  fail: (at: number | null, problem: string) => never,
): { rowCount: number; columns: Map<string, Float64Array>; columnIds: MprColumnInfo[] } {
  const layout = DATA_LAYOUT[m.version]!;
  const base = m.dataAt;
  if (m.length < layout.rowsAt) {
    fail(base, `data module of ${m.length} bytes is shorter than its own header (${layout.rowsAt})`);
  }
  const rowCount = view.getUint32(base, true);
  const nColumns = layout.countBytes === 1 ? view.getUint8(base + 4) : view.getUint16(base + 4, true);
  const idsEnd = layout.idsAt + 2 * nColumns;
  // The header after the ids is zero-filled; versions 3 and 11 end it with the byte 1.
  const markerAt = m.version === 2 ? layout.rowsAt : layout.rowsAt - 1;
  if (nColumns === 0) fail(base + 4, 'data module declares no columns');
  if (idsEnd > markerAt)
    fail(base + 4, `data module declares ${nColumns} columns, more than its header holds`);

  const fields: Field[] = [];
  const columnIds: MprColumnInfo[] = [];
  const seen = new Set<number>();
  let rowBytes = 0;
  let flagOffset: number | null = null;
  for (let k = 0; k < nColumns; k++) {
    const idAt = base + layout.idsAt + 2 * k;
    const id = view.getUint16(idAt, true);
    if (seen.has(id)) fail(idAt, `column id ${id} appears twice`);
    seen.add(id);
    const flag = FLAG_COLUMNS.get(id);
    if (flag) {
      // All flags share one byte, placed where the first flag id is listed.
      if (flagOffset === null) {
        flagOffset = rowBytes;
        rowBytes += 1;
      }
      fields.push({ name: flag.name, type: 'flag', offset: flagOffset });
      columnIds.push({ id, name: flag.name, type: 'flag' });
      continue;
    }
    const spec: DataColumnSpec | undefined = DATA_COLUMNS.get(id);
    if (!spec) {
      return fail(
        idAt,
        `unknown column id ${id} (column ${k + 1} of ${nColumns}); cellrig does not guess its type or meaning`,
      );
    }
    if (fields.some((f) => f.name === spec.name)) fail(idAt, `column '${spec.name}' twice (id ${id})`);
    fields.push({ name: spec.name, type: spec.type, offset: rowBytes });
    columnIds.push({ id, name: spec.name, type: spec.type });
    rowBytes += TYPE_BYTES[spec.type];
  }
  for (let i = base + idsEnd; i < base + markerAt; i++) {
    if (content[i] !== 0) fail(i, 'data module header: expected zero padding after the column ids');
  }
  if (markerAt < layout.rowsAt && content[base + markerAt] !== 1) {
    fail(base + markerAt, 'data module header: expected the byte 0x01 before the rows');
  }
  const rowBytesHeld = m.length - layout.rowsAt;
  if (rowBytesHeld !== rowCount * rowBytes) {
    const whole = Math.floor(rowBytesHeld / rowBytes);
    fail(
      base,
      `data module declares ${rowCount} rows of ${rowBytes} bytes but holds ${rowBytesHeld} bytes (${whole} whole rows): truncated, still being written, or damaged`,
    );
  }

  const columns = new Map<string, Float64Array>();
  const start = base + layout.rowsAt;
  for (const f of fields) {
    const values = new Float64Array(rowCount);
    const mask = f.type === 'flag' ? FLAG_COLUMNS.get(columnIds.find((c) => c.name === f.name)!.id)!.mask : 0;
    const shift = mask ? Math.log2(mask & -mask) : 0;
    for (let r = 0, at = start + f.offset; r < rowCount; r++, at += rowBytes) {
      values[r] = readValue(view, at, f.type, mask, shift);
    }
    columns.set(f.name, values);
  }
  return { rowCount, columns, columnIds };
}

function readValue(view: DataView, at: number, type: Field['type'], mask: number, shift: number): number {
  switch (type) {
    case 'f4':
      return view.getFloat32(at, true);
    case 'f8':
      return view.getFloat64(at, true);
    case 'u2':
      return view.getUint16(at, true);
    case 'u4':
      return view.getUint32(at, true);
    case 'flag':
      return (view.getUint8(at) & mask) >> shift;
  }
}

/** Loop module: a count, then that many row indexes at which loops start (not decreasing). */
function readLoops(
  view: DataView,
  m: MprModule & { dataAt: number },
  rowCount: number,
  fail: (at: number | null, problem: string) => never,
): number[] {
  if (m.length < 4) fail(m.dataAt, 'loop module too short for its count');
  const n = view.getUint32(m.dataAt, true);
  if (4 + 4 * n > m.length)
    fail(m.dataAt, `loop module declares ${n} loops but holds ${(m.length - 4) >> 2}`);
  const starts: number[] = [];
  for (let k = 0; k < n; k++) {
    const at = m.dataAt + 4 + 4 * k;
    const v = view.getUint32(at, true);
    if (v > rowCount || (k > 0 && v < starts[k - 1]!)) {
      fail(at, `loop ${k} starts at row ${v}: outside the ${rowCount} rows or before the previous loop`);
    }
    starts.push(v);
  }
  return starts;
}

/** The acquisition start from a version-10 log module, as the instrument PC's local wall-clock time. */
function acquisitionStart(view: DataView, m: MprModule & { dataAt: number }): string | null {
  if (m.version !== 10 || m.length < LOG_START_AT + 8) return null;
  // An OLE automation date: days since 1899-12-30, local time.
  const days = view.getFloat64(m.dataAt + LOG_START_AT, true);
  if (!Number.isFinite(days) || days < 25_000 || days > 75_000) return null; // 1968..2105: else not a date
  const ms = Math.round(Date.UTC(1899, 11, 30) + days * 86_400_000);
  return new Date(ms).toISOString().slice(0, 23);
}

function ascii(content: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < Math.min(to, content.length); i++) s += String.fromCharCode(content[i]!);
  return s;
}

function printable(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes)
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return s;
}
